"""Document text made safe to print: it is data, never terminal control or Rich markup.

Titles, ids, paths and passage text come from documents and corpus files that anyone may have written. Printed
as Rich markup, an id such as `x[/dim][bold]` crashed `scent search` (MarkupError); printed raw, an escape
sequence in a document (an OSC 52 clipboard write, a cursor move, a bidi override that reorders what is shown)
reached the terminal. Control characters are removed on output; JSON keeps every character but writes the C1
controls and bidi overrides as \\u escapes, which JSON readers decode back to the same text.
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 controls except tab and newline, DEL, C1 controls (U+0080–U+009F: 8-bit CSI/OSC), and the bidi controls that
# can make a terminal show text in another order than it is stored
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"\s*[\n\r\x0b\x0c\x85\u2028\u2029]\s*")
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def plain(text: object) -> str:
    """Text for the terminal: control characters removed, newlines and tabs kept."""
    return _CONTROLS.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n"))


def inline(text: object) -> str:
    """Text for one line of terminal output (a title, a path, an id): line breaks become spaces, then `plain`."""
    return plain(_LINE_BREAKS.sub(" ", str(text)))


def markup(text: object, one_line: bool = True) -> str:
    """Text to place inside a Rich markup string: `inline` (or `plain`), with markup escaped."""
    from rich.markup import escape

    return escape(inline(text) if one_line else plain(text))


def dumps(value: Any) -> str:
    """JSON for stdout: readable UTF-8, with terminal-unsafe characters as \\u escapes (same decoded value)."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def write_problem(index: object, error: BaseException) -> str:
    """A sentence for an error met while writing an index folder (read-only, full disk, permissions)."""
    import errno
    import sqlite3

    text = str(error)
    if isinstance(error, OSError):
        text = f"{error.strerror or error}{f': {error.filename}' if error.filename else ''}"
    lowered = text.lower()
    code = error.errno if isinstance(error, OSError) else None
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or "full" in lowered or "no space" in lowered:
        hint = "the disk (or a file size limit) is full: free space and run again"
    elif "disk i/o error" in lowered:
        hint = "the disk may be full or failing (or a file size limit was reached)"
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS) or "readonly" in lowered or "read-only" in lowered \
            or "permission denied" in lowered or (isinstance(error, sqlite3.Error) and "unable to open" in lowered):
        hint = "the index folder is not writable: fix its permissions or choose another with --index"
    else:
        hint = "check the disk and the folder's permissions, then run again"
    return (f"cannot write the index {index}: {text} ({hint}; what earlier runs committed is still searchable)")

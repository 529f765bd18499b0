"""Find the files to index under the given paths; report what cannot be walked.

Symlinks are followed inside the indexed folder. One that leads outside it (to `/etc/passwd`, to `~/.ssh`, into
`/proc`) is skipped and reported as `outside-root` unless `follow_outside` is set: a folder received from
someone else must not pull files from the rest of the machine into the index (and from there into prompts).
Even then, pseudo-filesystems (`/proc`, `/sys`, `/dev`) are never entered through a link.

Roots are canonical: a folder is walked under its resolved real path, so a folder reached through a symlink is
the same documents; a path inside a known root (`roots`) is walked as that part of the root, so a subfolder of
an indexed folder is the same documents too. Every file the walk sees and does not take is reported: a type
no loader reads is `unsupported-type` (files left out by --include/--exclude or hidden ones are not).
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from scent.config import IngestConfig
from scent.types import IngestIssue


@dataclass(frozen=True, slots=True)
class FileCandidate:
    """A file to consider: `root` is the indexed folder, `relpath` the display path inside it."""

    root: str
    relpath: str
    abspath: str
    size: int
    mtime_ns: int


def display_path(rel: str) -> str:
    """A path that is valid UTF-8 text, one-to-one with the file name: a name that is valid UTF-8 and holds no
    backslash is kept as is; any other name has its backslashes doubled and its undecodable bytes written as
    \\xNN. (Escaping only the bad bytes mapped the files `\\xe9.txt` and b"\\xe9.txt" to one document key,
    which left one of them silently unsearchable.)"""
    raw = os.fsencode(rel)
    try:
        text = raw.decode("utf-8")
        if "\\" not in text:
            return text
    except UnicodeDecodeError:
        pass
    return "".join(f"\\x{ord(ch) - 0xDC00:02x}" if "\udc80" <= ch <= "\udcff" else "\\\\" if ch == "\\" else ch
                   for ch in raw.decode("utf-8", errors="surrogateescape"))


_ESCAPE = re.compile(r"\\\\|\\x([0-9a-f]{2})|[^\\]+|\\")


def fs_path(display: str) -> str:
    """The file name (as `os` functions take it) of a display path: the inverse of `display_path`."""
    if "\\" not in display:
        return display
    raw = b"".join(b"\\" if m.group() == "\\\\" else bytes([int(m.group(1), 16)]) if m.group(1)
                   else m.group().encode("utf-8") for m in _ESCAPE.finditer(display))
    return os.fsdecode(raw)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file or folder the walk could not take, under the indexed folder `root` ("" when there is none)."""

    root: str
    issue: IngestIssue


PSEUDO_FILESYSTEMS = ("/proc", "/sys", "/dev")


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _matches(rel: str, patterns: list[str]) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p) for p in patterns)


def root_of(path: str | Path, roots: list[str] | tuple[str, ...] = ()) -> tuple[str, str]:
    """(root, path inside it) of a path: the innermost known root holding its real path, else the folder itself
    (a file: its folder). The path inside is "" for the root itself."""
    real = os.path.realpath(path)
    holders = [r for r in roots if _inside(real, r)]
    if holders:
        root = max(holders, key=len)
        return root, os.path.relpath(real, root) if real != root else ""
    if os.path.isdir(real):
        return real, ""
    return os.path.dirname(real), os.path.basename(real)


def walk(paths: list[Path], config: IngestConfig, skip: Path | None = None,
         roots: list[str] | tuple[str, ...] = ()) -> Iterator[FileCandidate | Skipped]:
    """Candidates under each path (a folder or a file), plus a `Skipped` for each file or folder that cannot (or
    must not) be walked. Symlinks inside the folder are followed; a link back into a folder already walked is
    reported, not looped; a link out of the folder is reported unless `config.follow_outside`. Hidden entries and
    the index folder itself (`skip`) are left out."""
    limit = int(config.max_file_mb * 1024 * 1024)
    skip_real = os.path.realpath(skip) if skip else None
    for path in paths:
        if not os.path.lexists(path):
            yield Skipped("", IngestIssue(path=str(path), status="skipped", reason="not-found",
                                          detail="no such file or folder"))
            continue
        root, start = root_of(path, roots)
        if os.path.isfile(path):
            yield from _file(root, start, config, limit, explicit=True)
            continue
        root_real = root
        seen: set[tuple[int, int]] = set()
        stack = [start]
        while stack:
            rel_dir = stack.pop()
            full = os.path.join(root, rel_dir) if rel_dir else root
            try:
                st = os.stat(full)
            except OSError as e:
                yield _issue(root, rel_dir, "unreadable", e)
                continue
            if (st.st_dev, st.st_ino) in seen:
                yield Skipped(root, IngestIssue(path=display_path(rel_dir), status="skipped", reason="symlink-loop",
                                                detail=f"links back to {os.path.realpath(full)}, already walked"))
                continue
            seen.add((st.st_dev, st.st_ino))
            try:
                entries = sorted(os.scandir(full), key=lambda e: e.name, reverse=True)
            except OSError as e:
                yield _issue(root, rel_dir, "unreadable", e)
                continue
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                if entry.name.startswith(".") or (skip_real and os.path.realpath(entry.path) == skip_real):
                    continue
                if _matches(rel, config.exclude):
                    continue
                try:
                    is_dir = entry.is_dir(follow_symlinks=True)
                except OSError as e:
                    yield _issue(root, rel, "unreadable", e)
                    continue
                if not is_dir and not _wanted(rel, config):
                    if _included(rel, config):
                        yield Skipped(root, IngestIssue(path=display_path(rel), status="skipped",
                                                        reason="unsupported-type",
                                                        detail=f"no loader for {extension(rel) or 'this file'}"))
                    continue
                if entry.is_symlink() and (outside := _outside(entry.path, root_real, config)) is not None:
                    yield Skipped(root, IngestIssue(path=display_path(rel), status="skipped", reason=outside[0],
                                                    detail=outside[1]))
                    continue
                if is_dir:
                    stack.append(rel)
                else:
                    yield from _file(root, rel, config, limit)


def extension(rel: str) -> str:
    """`.csv` for `a/b.CSV`; "" for a name with no extension (`LICENSE`, `.profile`)."""
    name = rel.rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[1].lower() if "." in name.lstrip(".") else ""


def _included(rel: str, config: IngestConfig) -> bool:
    return not config.include or _matches(rel, config.include)


def _wanted(rel: str, config: IngestConfig) -> bool:
    from scent.ingest.loaders import supported

    return supported(rel) and _included(rel, config)


def _outside(link: str, root_real: str, config: IngestConfig) -> tuple[str, str] | None:
    """(reason, detail) when a symlink must not be followed, else None."""
    target = os.path.realpath(link)
    if _inside(target, root_real):
        return None
    if any(_inside(target, fs) for fs in PSEUDO_FILESYSTEMS):
        return "pseudo-filesystem", f"links to {target!r}: /proc, /sys and /dev are never indexed through a link"
    if config.follow_outside:
        return None
    return "outside-root", (f"links to {target!r}, outside the indexed folder {root_real!r}: not followed "
                            "(--follow-outside indexes it)")


def _file(root: str, rel: str, config: IngestConfig, limit: int, explicit: bool = False) -> Iterator[
        FileCandidate | Skipped]:
    if not explicit and not _wanted(rel, config):
        return
    full = os.path.join(root, rel)
    try:
        st = os.stat(full)
    except FileNotFoundError:
        yield Skipped(root, IngestIssue(
            path=display_path(rel), status="skipped", reason="broken-symlink",
            detail=f"points to {display_path(os.readlink(full))!r}" if os.path.islink(full) else "vanished"))
        return
    except OSError as e:
        yield _issue(root, rel, "unreadable", e)
        return
    if not stat.S_ISREG(st.st_mode):
        yield Skipped(root, IngestIssue(path=display_path(rel), status="skipped", reason="not-a-file",
                                        detail="not a regular file (device, FIFO or socket)"))
        return
    if st.st_size > limit and not rel.lower().endswith(".jsonl"):  # corpus files are streamed, not loaded
        yield Skipped(root, IngestIssue(
            path=display_path(rel), status="skipped", reason="too-large",
            detail=f"{st.st_size / 1e6:.1f} MB > limit {config.max_file_mb:g} MB (--max-file-mb)"))
        return
    yield FileCandidate(root, rel, full, st.st_size, st.st_mtime_ns)


def _issue(root: str, rel: str, reason: str, error: OSError) -> Skipped:
    return Skipped(root, IngestIssue(path=display_path(rel) or ".", status="skipped", reason=reason,
                                     detail=error.strerror or str(error)))

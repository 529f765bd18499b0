"""The intermediate form every loader produces: the document's extracted text plus its blocks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_WS = re.compile(r"\s+")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")


class LoadError(Exception):
    """A file that cannot be read at all; `reason` is a short code for the ingest report. `unexpected`: made by a
    catch-all guard from an exception no loader anticipated (a parser bug on a hostile file; the fuzz tests and
    bench/fuzz_loaders.py collect these)."""

    def __init__(self, reason: str, detail: str = "", unexpected: bool = False) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.unexpected = unexpected


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph-level span of the extracted text, in one section (and page)."""

    start: int
    end: int
    headings: tuple[str, ...] = ()
    page: int | None = None


@dataclass(slots=True)
class Extracted:
    """A document as text: `blocks` index into `text`; `warnings` say what was only partly read."""

    text: str
    title: str
    blocks: list[Block]
    warnings: list[tuple[str, str]] = field(default_factory=list)


class TextBuilder:
    """Appends blocks to a growing text, separated by blank lines, recording their offsets."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self.blocks: list[Block] = []

    def add(self, text: str, headings: tuple[str, ...] = (), page: int | None = None, *, block: bool = True) -> None:
        text = text.strip()
        if not text:
            return
        if self._parts:
            self._parts.append("\n\n")
            self._length += 2
        start = self._length
        self._parts.append(text)
        self._length += len(text)
        if block:
            self.blocks.append(Block(start, self._length, headings, page))

    def text(self) -> str:
        return "".join(self._parts)


def collapse_whitespace(text: str) -> str:
    return _WS.sub(" ", text).strip()


def paragraph_blocks(
    text: str, base: int = 0, headings: tuple[str, ...] = (), page: int | None = None
) -> list[Block]:
    """Split `text` at blank lines into blocks whose offsets are shifted by `base`, trimmed of whitespace."""
    blocks = []
    pos = 0
    for m in [*_PARAGRAPH_BREAK.finditer(text), None]:
        end = m.start() if m else len(text)
        piece = text[pos:end]
        stripped = piece.strip()
        if stripped:
            lead = len(piece) - len(piece.lstrip())
            s = base + pos + lead
            blocks.append(Block(s, s + len(stripped), headings, page))
        if m:
            pos = m.end()
    return blocks


_TEXT_CONTROL = bytes(range(32)).replace(b"\t", b"").replace(b"\n", b"").replace(b"\r", b"").replace(b"\f", b"")


_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"),
         (b"\xfe\xff", "utf-16-be"))


def _nonempty(text: str) -> str:
    if not text.strip():
        raise LoadError("empty", "the file holds no text")
    return text


def decode_text(data: bytes) -> tuple[str, list[tuple[str, str]]]:
    """Decode a text file as UTF-8 (UTF-16/32 when it starts with their byte-order mark); reject binary content;
    replace (and report) invalid bytes."""
    for bom, codec in _BOMS:  # UTF-32's marks first: UTF-32-LE's begins with UTF-16-LE's
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(codec)
            except UnicodeDecodeError as e:
                text = data[len(bom):].decode(codec, errors="replace")
                return _nonempty(text), [("invalid-utf8", f"invalid {codec} at byte {e.start}; replaced")]
            return _nonempty(text), []
    if not data.strip():
        raise LoadError("empty", "the file holds no text")
    head = data[:8192]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LoadError("binary", "NUL bytes: binary content with a text extension")
    controls = sum(head.count(bytes([c])) for c in _TEXT_CONTROL)
    if controls > len(head) * 0.1:
        raise LoadError("binary", f"{controls} control bytes in the first {len(head)}: not text")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as e:
        text = data.decode("utf-8", errors="replace")
        bad = text.count("\ufffd")
        return text, [("invalid-utf8", f"first invalid byte at offset {e.start}; {bad} replaced with U+FFFD")]

"""Cut an extracted document into passages: whole sentences, ~100–300 words (and never more than `max_chars`
characters), never across a section.

Pure functions over offsets: a passage is a (start, end) slice of the extracted text, so its text is always
exactly `text[start:end]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scent.config import ChunkConfig
from scent.ingest.extracted import Block, Extracted
from scent.text import sentence_spans

_WORD = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class PassageSpan:
    """One passage to be: the slice text[start:end] of one section (and page), with its word count."""

    start: int
    end: int
    headings: tuple[str, ...]
    page: int | None
    words: int
    cut: bool = False  # cut inside a run of non-whitespace at max_chars



def _word_cuts(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence (a code listing, a table) every `max_words` words, at whitespace."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(text, start, end)]
    return [(words[i][0], words[min(i + max_words, len(words)) - 1][1]) for i in range(0, len(words), max_words)]


def _char_cuts(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int, bool]]:
    """Cut a span longer than `max_chars` into spans no longer: at the last whitespace in the second half of each
    window when there is one, else mid-word (flagged True, for the ingest report)."""
    out = []
    while end - start > max_chars:
        window = text[start : start + max_chars]
        space = max(window.rfind(" "), window.rfind("\n"), window.rfind("\t"))
        hard = space < max_chars // 2
        stop = start + (max_chars if hard else space)
        out.append((start, stop, hard))
        start = stop
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        out.append((start, end, False))
    return out


def _pieces(text: str, block: Block, max_words: int, max_chars: int) -> list[PassageSpan]:
    """A block as one piece, or as sentence groups when it is longer than `max_words` (or `max_chars`)."""
    words = len(_WORD.findall(text, block.start, block.end))
    if words <= max_words and block.end - block.start <= max_chars:
        return [PassageSpan(block.start, block.end, block.headings, block.page, words)]
    pieces = []
    for s, e in sentence_spans(text, block.start, block.end):
        n = len(_WORD.findall(text, s, e))
        cuts = [(s, e)] if n <= max_words else _word_cuts(text, s, e, max_words)
        for cs, ce in cuts:
            for ps, pe, hard in _char_cuts(text, cs, ce, max_chars):
                pieces.append(PassageSpan(ps, pe, block.headings, block.page, len(_WORD.findall(text, ps, pe)), hard))
    return pieces


def chunk(doc: Extracted, config: ChunkConfig | None = None) -> list[PassageSpan]:
    """Greedily merge pieces of one section (and page) until `target_words`, never past `max_words`."""
    cfg = config or ChunkConfig()
    out: list[PassageSpan] = []
    current: list[PassageSpan] = []

    def flush() -> None:
        if current:
            first, last = current[0], current[-1]
            out.append(PassageSpan(first.start, last.end, first.headings, first.page, sum(p.words for p in current),
                                   any(p.cut for p in current)))
            current.clear()

    for block in doc.blocks:
        for piece in _pieces(doc.text, block, cfg.max_words, cfg.max_chars):
            if current:
                words = sum(p.words for p in current)
                same_section = (piece.headings, piece.page) == (current[0].headings, current[0].page)
                if (not same_section or words >= cfg.target_words or words + piece.words > cfg.max_words
                        or piece.end - current[0].start > cfg.max_chars):
                    flush()
            current.append(piece)
    flush()
    return out

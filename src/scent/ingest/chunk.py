"""Cut an extracted document into passages: whole sentences, ~100–300 words, never across a section.

Pure functions over offsets: a passage is a (start, end) slice of the extracted text, so its text is always
exactly `text[start:end]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scent.config import ChunkConfig
from scent.ingest.extracted import Block, Extracted

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace and a capital,
# digit or opening quote/bracket. Abbreviations like "e.g. the" are not split (lower-case follows).
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*(\s+)(?=[\"'(\[]?[A-Z0-9])")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    headings: tuple[str, ...]
    page: int | None
    words: int


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence boundaries inside text[start:end], as absolute offsets, whitespace trimmed."""
    spans = []
    pos = start
    for m in _SENTENCE_END.finditer(text, start, end):
        spans.append((pos, m.start(1)))
        pos = m.end()
    spans.append((pos, end))
    return [(s, e) for s, e in spans if e > s]


def _word_cuts(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence (a code listing, a table) every `max_words` words, at whitespace."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(text, start, end)]
    return [(words[i][0], words[min(i + max_words, len(words)) - 1][1]) for i in range(0, len(words), max_words)]


def _pieces(text: str, block: Block, max_words: int) -> list[Span]:
    """A block as one piece, or as sentence groups when it is longer than `max_words`."""
    words = len(_WORD.findall(text, block.start, block.end))
    if words <= max_words:
        return [Span(block.start, block.end, block.headings, block.page, words)]
    pieces = []
    for s, e in sentence_spans(text, block.start, block.end):
        n = len(_WORD.findall(text, s, e))
        cuts = [(s, e)] if n <= max_words else _word_cuts(text, s, e, max_words)
        for cs, ce in cuts:
            pieces.append(Span(cs, ce, block.headings, block.page, len(_WORD.findall(text, cs, ce))))
    return pieces


def chunk(doc: Extracted, config: ChunkConfig | None = None) -> list[Span]:
    """Greedily merge pieces of one section (and page) until `target_words`, never past `max_words`."""
    cfg = config or ChunkConfig()
    out: list[Span] = []
    current: list[Span] = []

    def flush() -> None:
        if current:
            first, last = current[0], current[-1]
            out.append(Span(first.start, last.end, first.headings, first.page, sum(p.words for p in current)))
            current.clear()

    for block in doc.blocks:
        for piece in _pieces(doc.text, block, cfg.max_words):
            if current:
                words = sum(p.words for p in current)
                same_section = (piece.headings, piece.page) == (current[0].headings, current[0].page)
                if not same_section or words >= cfg.target_words or words + piece.words > cfg.max_words:
                    flush()
            current.append(piece)
    flush()
    return out

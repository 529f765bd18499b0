"""The evidence ledger: verbatim quotes from passages, shared by every step of one run."""

from __future__ import annotations

import hashlib
import re
import threading

from scent.text import sentence_spans
from scent.types import Evidence, Passage

_WS = re.compile(r"\s+")
_TOKEN = re.compile(r"\w+")


def _norm(text: str) -> str:
    return _WS.sub(" ", text).strip()


def find_verbatim(passage_text: str, quote: str) -> str | None:
    """The quote as it occurs in the passage (whitespace-insensitive), else None."""
    quote = _norm(quote).strip(" .\"'…")
    if len(quote) < 3:
        return None
    text = _norm(passage_text)
    at = text.find(quote)
    if at < 0:
        at = text.lower().find(quote.lower())
    return text[at : at + len(quote)] if at >= 0 else None


def best_sentence(passage_text: str, quote: str, min_overlap: float = 0.6) -> str | None:
    """The passage sentence that shares the most words with a mis-copied quote (a small model's paraphrase),
    if it shares at least `min_overlap` of them: the ledger then holds the passage's own words."""
    wanted = {t.lower() for t in _TOKEN.findall(quote)}
    if not wanted:
        return None
    best, best_score = None, 0.0
    for start, end in sentence_spans(passage_text, 0, len(passage_text)):
        sentence = passage_text[start:end]
        score = len(wanted & {t.lower() for t in _TOKEN.findall(sentence)}) / len(wanted)
        if score > best_score:
            best, best_score = _norm(sentence), score
    return best if best_score >= min_overlap else None


def evidence_id(passage_id: str, quote: str) -> str:
    return "e" + hashlib.sha256(f"{passage_id}\x00{quote}".encode()).hexdigest()[:11]


class Ledger:
    """Thread-safe, ordered, de-duplicated evidence."""

    def __init__(self) -> None:
        self.items: list[Evidence] = []
        self._ids: set[str] = set()
        self._lock = threading.Lock()

    def add(self, passage: Passage, quote: str, question: str = "") -> Evidence | None:
        """Record a quote if it is (or can be repaired to) a verbatim span of the passage; None otherwise."""
        span = find_verbatim(passage.text, quote) or best_sentence(passage.text, quote)
        if span is None:
            return None
        item = Evidence(id=evidence_id(passage.id, span), passage_id=passage.id, path=passage.path,
                        title=passage.title, headings=passage.headings, page=passage.page,
                        source_id=passage.source_id, quote=span, question=question)
        with self._lock:
            if item.id in self._ids:
                return None
            self._ids.add(item.id)
            self.items.append(item)
        return item

    def get_or_add(self, passage: Passage, quote: str, question: str = "") -> Evidence | None:
        """The ledger's item for this quote of this passage, added if new; None if the quote is not the passage's."""
        span = find_verbatim(passage.text, quote) or best_sentence(passage.text, quote)
        if span is None:
            return None
        wanted = evidence_id(passage.id, span)
        with self._lock:
            found = next((e for e in self.items if e.id == wanted), None)
        return found or self.add(passage, span, question)

    def restore(self, item: Evidence) -> None:
        with self._lock:
            if item.id not in self._ids:
                self._ids.add(item.id)
                self.items.append(item)

    def __len__(self) -> int:
        return len(self.items)

    def passages(self) -> set[str]:
        return {e.passage_id for e in self.items}

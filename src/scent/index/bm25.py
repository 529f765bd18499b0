"""BM25 over title + headings + text with English stemming, on tantivy (`tantivy/` in the index folder).

Title, headings and text are indexed as one field, so a passage is scored as the single text a reader sees.
Scoring them as separate fields over-rewards a query word found in a short title *and* its heading path
(PostgreSQL docs: "max_connections default" ranked every page titled "… Default …" above the answer).
Only the passage id is stored in tantivy; passage text and provenance live in the SQLite store.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scent.types import Passage

FIELDS = ("text",)
# Characters with a meaning in tantivy's query language; escaped so that user text is searched as text.
# Double quotes stay: "exact phrase" queries are a feature.
_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^~*?:\\/<>=\'`])')


def _schema() -> Any:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_integer_field("doc", indexed=True)
    builder.add_text_field("text", stored=False, tokenizer_name="en_stem")
    return builder.build()


def indexed_text(p: Passage) -> str:
    """What BM25 sees: the title, the headings not repeating it, then the passage text."""
    return "\n".join([p.title, *[h for h in p.headings if h != p.title], p.text])


def open_index(path: Path, create: bool = False) -> Any:
    import tantivy

    if create:
        path.mkdir(parents=True, exist_ok=True)
    return tantivy.Index(_schema(), path=str(path), reuse=True)


def escape_query(query: str) -> str:
    escaped = _SPECIAL.sub(r"\\\1", query)
    return escaped if escaped.count('"') % 2 == 0 else escaped.replace('"', " ")


def parse(index: Any, query: str) -> Any:
    parsed, _errors = index.parse_query_lenient(escape_query(query), list(FIELDS))
    return parsed


def search(index: Any, query: str, k: int) -> list[tuple[str, float]]:
    """(passage id, score) pairs, best first."""
    if not query.strip() or k <= 0:
        return []
    searcher = index.searcher()
    result = searcher.search(parse(index, query), limit=k, count=False)
    return [(searcher.doc(address)["id"][0], float(score)) for score, address in result.hits]


class Writer:
    """Replaces or deletes a document's passages; nothing is visible until `commit()`."""

    def __init__(self, index: Any, heap_mb: int = 256) -> None:
        self.index = index
        try:
            self.writer = index.writer(heap_mb * 1024 * 1024)
        except ValueError as e:
            if "LockBusy" not in str(e):
                raise
            from scent.index.lock import IndexBusyError

            raise IndexBusyError("another process holds the BM25 index's writer lock: wait for it to finish and "
                                 "run again") from None

    def delete(self, doc: int) -> None:
        self.writer.delete_documents_by_term("doc", doc)

    def add(self, doc: int, passages: Sequence[Passage]) -> None:
        import tantivy

        for p in passages:
            self.writer.add_document(tantivy.Document(id=p.id, doc=doc, text=indexed_text(p)))

    def commit(self) -> None:
        self.writer.commit()

    def rollback(self) -> None:
        """Drop every operation since the last commit."""
        self.writer.rollback()

    def close(self) -> None:
        """Let background segment merges finish; the writer cannot be used afterwards."""
        self.writer.wait_merging_threads()

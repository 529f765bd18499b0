"""BM25 over title + headings + text with English stemming, plus the passage's own heading as a second, weighted
field, on tantivy (`tantivy/` in the index folder).

Title, headings and text are indexed as one field, `text`, so a passage is scored as the single text a reader
sees. Scoring the title and the heading path as separate fields over-rewarded a query word found in a short title
*and* its heading path (PostgreSQL docs: "max_connections default" ranked every page titled "… Default …" above
the answer). The second field, `heading`, holds only the innermost heading of the passage and only when it is not
the document's title: the name of the section, or of the API entry (`scent.ingest.html`: Sphinx signatures),
that the passage is *about*. A query's score is the sum over fields, the heading's multiplied by
`HEADING_WEIGHT` (chosen on the tune halves of the question sets, `bench/heading_field.py`; BENCHMARKS.md).
Records of corpus files have no headings: their ranking is what the text field alone gives.

Only the passage id is stored in tantivy; passage text and provenance live in the SQLite store. The layout is
versioned (`FORMAT`, in the store's meta table as `bm25`); an index of the one-field layout is still searched (text
only) and is rebuilt from the store by the next `scent index` run (`scent.ingest.pipeline`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scent.types import Passage

FIELDS = ("text", "heading")
FORMAT = "2"  # 1: id, doc, text; 2: + heading
META_KEY = "bm25"
HEADING_WEIGHT = 0.25  # chosen on the tune halves: BENCHMARKS.md, "BM25's heading field"
# Characters with a meaning in tantivy's query language; escaped so that user text is searched as text.
# Double quotes stay: "exact phrase" queries are a feature.
_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^~*?:\\/<>=\'`])')


def _schema() -> Any:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_integer_field("doc", indexed=True)
    builder.add_text_field("text", stored=False, tokenizer_name="en_stem")
    builder.add_text_field("heading", stored=False, tokenizer_name="en_stem")
    return builder.build()


def indexed_text(p: Passage) -> str:
    """What BM25 sees: the title, the headings not repeating it, then the passage text."""
    return "\n".join([p.title, *[h for h in p.headings if h != p.title], p.text])


def heading_text(p: Passage) -> str:
    """The `heading` field: the passage's innermost heading, unless it is the document's title."""
    return p.headings[-1] if p.headings and p.headings[-1] != p.title else ""


def fields_on_disk(path: Path) -> tuple[str, ...] | None:
    """The searchable fields of the tantivy index at `path` (None when there is none)."""
    import json

    try:
        schema = json.loads((path / "meta.json").read_text(encoding="utf-8"))["schema"]
    except FileNotFoundError:
        return None
    return tuple(f["name"] for f in schema if f["name"] in FIELDS)


def outdated(path: Path, recorded: str | None, has_documents: bool) -> bool:
    """True when the index at `path` must be rebuilt in this layout: it has the one-field layout, or the store
    holding documents does not record this layout (a rebuild interrupted before it was recorded)."""
    fields = fields_on_disk(path)
    if fields is not None and fields != FIELDS:
        return True
    return has_documents and recorded != FORMAT


def open_index(path: Path, create: bool = False) -> Any:
    """The tantivy index at `path`: a writer's in this layout (created when `create`); a reader's in the layout
    on disk, so an index of an older layout is still searched until `scent index` rebuilds it."""
    import tantivy

    if create:
        path.mkdir(parents=True, exist_ok=True)
    elif fields_on_disk(path) not in (None, FIELDS):
        return tantivy.Index.open(str(path))
    return tantivy.Index(_schema(), path=str(path), reuse=True)


def escape_query(query: str) -> str:
    escaped = _SPECIAL.sub(r"\\\1", query)
    return escaped if escaped.count('"') % 2 == 0 else escaped.replace('"', " ")


def parse(index: Any, query: str, fields: Sequence[str] = FIELDS, heading_weight: float = HEADING_WEIGHT) -> Any:
    """The query over `fields` (those the index has: `fields_on_disk`), the heading's scores times
    `heading_weight` (0: the text field alone, as the one-field layout ranked)."""
    fields = [f for f in fields if f != "heading" or heading_weight > 0]
    boosts = {"heading": heading_weight} if "heading" in fields else None
    parsed, _errors = index.parse_query_lenient(escape_query(query), fields, field_boosts=boosts)
    return parsed


def search(index: Any, query: str, k: int, fields: Sequence[str] = FIELDS,
           heading_weight: float = HEADING_WEIGHT) -> list[tuple[str, float]]:
    """(passage id, score) pairs, best first."""
    if not query.strip() or k <= 0:
        return []
    searcher = index.searcher()
    result = searcher.search(parse(index, query, fields, heading_weight), limit=k, count=False)
    return [(searcher.doc(address)["id"][0], float(score)) for score, address in result.hits]


def best_in(index: Any, query: str, doc: int, fields: Sequence[str] = FIELDS,
            heading_weight: float = HEADING_WEIGHT) -> tuple[str, float] | None:
    """The best (passage id, score) of one document for `query`, None when none of its passages matches."""
    import tantivy

    if not query.strip():
        return None
    only = tantivy.Query.const_score_query(tantivy.Query.term_query(index.schema, "doc", doc), 0.0)
    both = tantivy.Query.boolean_query([(tantivy.Occur.Must, parse(index, query, fields, heading_weight)),
                                        (tantivy.Occur.Must, only)])
    searcher = index.searcher()
    result = searcher.search(both, limit=1, count=False)
    return next(((searcher.doc(address)["id"][0], float(score)) for score, address in result.hits), None)


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
            self.writer.add_document(tantivy.Document(id=p.id, doc=doc, text=indexed_text(p),
                                                      heading=heading_text(p)))

    def commit(self) -> None:
        self.writer.commit()

    def rollback(self) -> None:
        """Drop every operation since the last commit."""
        self.writer.rollback()

    def close(self) -> None:
        """Let background segment merges finish; the writer cannot be used afterwards."""
        self.writer.wait_merging_threads()

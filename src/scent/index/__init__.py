"""The local index: BM25 (tantivy) + passage store (SQLite) in one folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scent.config import SearchConfig
from scent.index import bm25
from scent.index.layout import STORE_FILE, TANTIVY_DIR
from scent.index.snippet import snippet
from scent.index.store import Store
from scent.types import Hit, Passage


class IndexNotFoundError(FileNotFoundError):
    """The folder holds no scent index (or an empty one)."""


class Index:
    """A scent index folder opened for searching. `Index.open(dir).search(query, k)` mirrors `scent search`."""

    def __init__(self, path: Path, store: Store, tantivy_index: Any, config: SearchConfig) -> None:
        self.path = path
        self.store = store
        self.tantivy = tantivy_index
        self.config = config

    @classmethod
    def open(cls, path: str | Path, config: SearchConfig | None = None) -> Index:
        path = Path(path)
        if not (path / STORE_FILE).exists() or not (path / TANTIVY_DIR / "meta.json").exists():
            raise IndexNotFoundError(f"no scent index in {str(path)!r}: build one with `scent index FOLDER "
                                     f"--index {path}`")
        tantivy_index = bm25.open_index(path / TANTIVY_DIR)
        tantivy_index.config_reader("OnCommit")  # see new commits of a concurrent `scent index` without polling
        return cls(path, Store(path / STORE_FILE, readonly=True), tantivy_index, config or SearchConfig())

    def search(self, query: str, k: int = 10, snippets: bool = False) -> list[Hit]:
        """The `k` best passages for `query` (BM25), best first; `snippets` adds a query-focused excerpt."""
        # ids missing from the store belong to a document being re-indexed right now: left out
        hits = self.store.hits(bm25.search(self.tantivy, query, k))
        if snippets:
            for hit in hits:
                hit.snippet = snippet(hit.text, query)
        return hits

    def get(self, passage_id: str) -> Passage | None:
        return self.store.get_many([passage_id]).get(passage_id)

    def neighbours(self, passage_id: str, before: int = 1, after: int = 1) -> list[Passage]:
        """The passage and up to `before`/`after` passages around it in its document, in document order."""
        return self.store.neighbours(passage_id, before, after)

    def stats(self) -> dict[str, int]:
        documents, passages = self.store.counts()
        return {"documents": documents, "passages": passages}

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

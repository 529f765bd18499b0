"""A third index backend, kept in the tests to prove that one module plus one registry line is all a backend
takes (docs/backends.md walks through it): every passage in memory, BM25 over tantivy's English stems written
out in Python, exact phrases, dense by dot product and the shared fusion (`fuse`). tests/test_backends.py registers
it as `memory://NAME` and runs the conformance suite against it, beside the folder index and Milvus."""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

from scent.backends import retrieval_settings
from scent.backends.errors import IndexNotFound
from scent.config import RetrievalConfig
from scent.index import resolve_retriever
from scent.index.bm25 import indexed_text
from scent.index.dense import VectorsError
from scent.index.hybrid import fuse
from scent.index.store import DocRow
from scent.ingest.diff import diff, same_content, unchanged
from scent.ingest.read import file_sha256, read_document
from scent.ingest.walk import display_path
from scent.milvus.analysis import stems
from scent.types import Hit, IngestSummary, Passage

STORES: dict[str, Memory] = {}  # location → index: what a server would hold


class Memory:
    def __init__(self) -> None:
        self.docs: dict[tuple[str, str], DocRow[str]] = {}
        self.passages: dict[str, tuple[str, Passage, list[str], Any]] = {}  # id → (doc, passage, stems, vector)
        self.kinds: dict[str, str] = {}
        self.embedder: Any = None


class MemoryIndex:
    def __init__(self, memory: Memory, retrieval: RetrievalConfig | None, embedder: Any) -> None:
        self.m, self.retrieval, self._embedder = memory, retrieval or RetrievalConfig(), embedder or memory.embedder

    def has_vectors(self) -> bool:
        return self.m.embedder is not None

    def embedder(self) -> Any:
        if not self.has_vectors():
            raise VectorsError("this index has no vectors: use --retriever bm25")
        return self._embedder

    def resolve(self, retriever: str | None = None) -> str:
        return resolve_retriever(retriever, self.retrieval.retriever, self.has_vectors)

    def _bm25(self, query: str, k: int) -> list[tuple[str, float]]:
        terms, rows = stems(query.replace('"', " ")).split(), list(self.m.passages.items())
        phrases = [stems(p).split() for p in re.findall(r'"([^"]*)"', query)] if query.count('"') % 2 == 0 else []
        if not terms or not rows:
            return []
        avg, scores = sum(len(r[2]) for _, r in rows) / len(rows), {}
        for pid, (_, _, words, _) in rows:
            if any(p and not any(words[i:i + len(p)] == p for i in range(len(words))) for p in phrases):
                continue
            tf = Counter(words)
            score = sum(math.log(1 + (len(rows) - df + 0.5) / (df + 0.5)) * tf[t] * 2.2 /
                        (tf[t] + 1.2 * (0.25 + 0.75 * len(words) / avg))
                        for t in set(terms) if tf[t] and (df := sum(t in r[2] for _, r in rows)))
            if score > 0:
                scores[pid] = score
        return sorted(scores.items(), key=lambda kv: -kv[1])[:k]

    def _dense(self, query: str, k: int) -> list[tuple[str, float]]:
        vector = self.embedder().embed([query])[0]
        scored = [(pid, float(row[3] @ vector)) for pid, row in self.m.passages.items()]
        return sorted(scored, key=lambda kv: -kv[1])[:k]

    def ranked(self, query: str, k: int, retriever: str | None = None) -> list[tuple[str, float]]:
        retriever = self.resolve(retriever)
        if not query.strip() or k <= 0:
            return []
        if retriever != "hybrid":
            return self._bm25(query, k) if retriever == "bm25" else self._dense(query, k)
        depth = max(k, self.retrieval.depth)
        return fuse(self._bm25(query, depth), self._dense(query, depth), self.retrieval, k)

    def search(self, query: str, k: int = 10, snippets: bool = False, retriever: str | None = None) -> list[Hit]:
        from scent.index.snippet import snippet

        hits = [Hit(**self.m.passages[pid][1].to_dict(), score=s) for pid, s in self.ranked(query, k, retriever)]
        for hit in hits if snippets else []:
            hit.snippet = snippet(hit.text, query)
        return hits

    def get(self, passage_id: str) -> Passage | None:
        return self.get_many([passage_id]).get(passage_id)

    def get_many(self, ids: Any) -> dict[str, Passage]:
        return {i: self.m.passages[i][1] for i in ids if i in self.m.passages}

    def _doc(self, doc: str, record: str | None = None) -> list[Passage]:
        found = [p for d, p, _, _ in self.m.passages.values() if d == doc and (record is None or p.source_id == record)]
        return sorted(found, key=lambda p: p.seq)

    def neighbours(self, passage_id: str, before: int = 1, after: int = 1) -> list[Passage]:
        if passage_id not in self.m.passages:
            return []
        doc, p, _, _ = self.m.passages[passage_id]
        return [q for q in self._doc(doc, p.source_id) if p.seq - before <= q.seq <= p.seq + after]

    def document_passages(self, docid: str) -> list[Passage]:
        path, _, record = docid.partition("#")
        docs = [d.doc for d in self.m.docs.values() if d.path == path]
        return next((found for d in docs if (found := self._doc(d, record or None))), [])

    def list_documents(self, limit: int = 100, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
        docs = sorted(self.m.docs.values(), key=lambda d: d.path)
        return len(docs), [{"path": d.path, "title": d.title, "kind": d.kind, "passages": d.n_passages}
                           for d in docs[offset : offset + limit]]

    def stats(self) -> dict[str, int]:
        return {"documents": len(self.m.docs), "passages": len(self.m.passages)}

    def close(self) -> None:
        pass

    def __enter__(self) -> MemoryIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class MemoryBackend:
    def open(self, location: str, cfg: Any = None, retriever: str | None = None, embedder: Any = None) -> MemoryIndex:
        if location not in STORES:
            raise IndexNotFound(f"no scent index in {location}: build one with `scent index FOLDER --index {location}`")
        return MemoryIndex(STORES[location], retrieval_settings(cfg, retriever), embedder)

    def build(self, location: str, paths: Any, cfg: Any = None, ingest: Any = None, embedder: Any = None,
              progress: Any = None) -> IngestSummary:
        from scent.config import IngestConfig

        started, m = time.monotonic(), STORES.setdefault(location, Memory())
        m.embedder = m.embedder or embedder
        todo = diff(list(paths), ingest or IngestConfig(), m.docs)
        s = IngestSummary(index=location, skipped=len(todo.skipped))
        for c, row in todo.files:
            path = display_path(c.relpath)
            if unchanged(row, c) or same_content(row, sha := file_sha256(c.abspath)):
                s.unchanged += 1  # (a real backend also records the new mtime of a touched file)
                continue
            loaded, key = read_document(c.abspath, path, ingest or IngestConfig()), f"{c.root}\x00{path}"
            self._drop(m, key)
            passages = [p for batch in loaded.batches for p in batch if p.id not in m.passages]
            vectors = m.embedder.embed([indexed_text(p) for p in passages]) if m.embedder and passages else []
            for i, p in enumerate(passages):
                m.passages[p.id] = (key, p, stems(indexed_text(p)).split(), vectors[i] if m.embedder else None)
            m.docs[(c.root, path)] = DocRow(key, c.root, path, sha, c.size, c.mtime_ns, "indexed", len(passages),
                                            loaded.warnings, loaded.kind, loaded.title)
            s.updated, s.added = s.updated + bool(row), s.added + (not row)
        for row in todo.gone:
            self._drop(m, row.doc)
            del m.docs[(row.root, row.path)]
            s.removed += 1
        s.documents_total, s.passages_total = len(m.docs), len(m.passages)
        s.seconds = round(time.monotonic() - started, 3)
        return s

    @staticmethod
    def _drop(m: Memory, doc: str) -> None:
        for pid in [pid for pid, row in m.passages.items() if row[0] == doc]:
            del m.passages[pid]

    def sync_vectors(self, location: str, embedder: Any, cfg: Any = None, progress: Any = None,
                     rebuild: bool = False) -> None:
        return None  # vectors are made with the passages, in `build`

    def vectors_embedder(self, location: str, cfg: Any = None) -> str | None:
        m = STORES.get(location)
        return None if m is None else m.embedder.spec if m.embedder else ""

    def label(self, location: str) -> str:
        return location

    def traces_folder(self, location: str) -> Path:
        return Path(".scent") / "traces" / location.replace("://", "-")


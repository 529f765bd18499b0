"""`MilvusIndex`: a scent index in a Milvus collection, searched like the embedded one (`scent.index.Index`).

BM25 is Milvus's BM25 function over its analyzer's tokens; dense search uses the collection's vector index
(HNSW by default) with cosine; hybrid fuses the two rankings, each `retrieval.depth` deep, client-side with the
embedded index's own fusion (`scent.index.hybrid.fuse`: `retrieval.fusion`, its weights, `rrf_k`) — Milvus's
RRFRanker takes no weights and its WeightedRanker mixes raw scores.

A "quoted phrase" in a BM25 query matches exactly, as tantivy's phrase query does on the folder index: Milvus's
BM25 has no phrase query, so each phrase becomes a filter over the stored text — with `stem` (the default) its
stems must appear consecutively in `bm25_text` (the same tokens tantivy's phrase query compares), without it the
phrase must appear as written (case-sensitive) in `text`. BM25 then ranks the passages that pass.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from scent.config import EmbedConfig, MilvusConfig, RetrievalConfig
from scent.milvus import MilvusLocation
from scent.milvus.client import Client, quote
from scent.types import Hit, Passage

if TYPE_CHECKING:
    from scent.protocols import Embedder

OUTPUT = ["id", "doc", "path", "record", "seq", "meta", "text"]
_PHRASE = re.compile(r'"([^"]*)"')


def passage_of(row: dict[str, Any], cls: type[Passage] = Passage, **extra: Any) -> Passage:
    meta = row["meta"]
    return cls(id=row["id"], path=row["path"], title=meta["title"], text=row["text"],
               start=meta["start"], end=meta["end"], seq=row["seq"], source_id=row["record"] or None,
               headings=list(meta["headings"]), page=meta["page"], **extra)


class MilvusIndex:
    """A Milvus collection made by `scent index … --index milvus://HOST:PORT/COLLECTION`, opened for search."""

    def __init__(self, client: Client, properties: dict[str, str], retrieval: RetrievalConfig | None = None,
                 embed_config: EmbedConfig | None = None, local_only: bool = False,
                 embedder: Embedder | None = None) -> None:
        self.client = client
        self.location: MilvusLocation = client.location
        self.path = self.location  # what messages name, as the embedded index's folder
        self.spec = properties.get("scent.embedder", "")
        self.dim = int(properties.get("scent.dim", "0"))
        self.stem = properties.get("scent.stem") == "1"  # the collection's, whatever today's config says
        self.retrieval = retrieval or RetrievalConfig()
        self.embed_config = embed_config or EmbedConfig()
        self.local_only = local_only
        self._embedder = embedder
        self._lock = threading.Lock()
        self.grouped = client.has_groups()  # a collection of before has no duplicate groups until its next run

    @classmethod
    def open(cls, location: MilvusLocation, retrieval: RetrievalConfig | None = None,
             embed_config: EmbedConfig | None = None, local_only: bool = False,
             config: MilvusConfig | None = None, embedder: Embedder | None = None) -> MilvusIndex:
        """Connect and check the collection (MilvusUnavailable, MilvusSchemaError); IndexNotFoundError when there is
        no collection of that name."""
        from scent.index import IndexNotFoundError

        client = Client(location, config)
        try:
            if not client.exists():
                raise IndexNotFoundError(f"no scent index in {location}: build one with `scent index FOLDER "
                                         f"--index {location}`")
            properties = client.properties()
            client.load()
        except BaseException:
            client.close()
            raise
        return cls(client, properties, retrieval, embed_config, local_only, embedder)

    # -- retrievers ----------------------------------------------------------------------------------------
    def has_vectors(self) -> bool:
        return self.dim > 0

    def resolve(self, retriever: str | None = None) -> str:
        from scent.index import resolve_retriever

        return resolve_retriever(retriever, self.retrieval.retriever, self.has_vectors)

    def embedder(self) -> Embedder:
        from scent.index.dense import VectorsError

        if not self.has_vectors():
            raise VectorsError(f"the index {self.location} has no vectors, so it cannot be searched with the dense "
                               f"or hybrid retriever: index into a new collection with vectors, or use --retriever "
                               "bm25")
        with self._lock:
            if self._embedder is None:
                from scent.embed import EmbedError, load_embedder

                try:
                    self._embedder = load_embedder(self.spec, self.embed_config, self.local_only)
                except EmbedError as e:
                    raise VectorsError(f"the vectors in {self.location} need the embedder {self.spec}: {e}") from None
            if self._embedder.dim != self.dim:
                raise VectorsError(f"the vectors in {self.location} are {self.dim}-d ({self.spec}) but "
                                   f"{self._embedder.spec} gives {self._embedder.dim}-d vectors")
            return self._embedder

    def phrase_filter(self, query: str) -> str:
        """The filter that keeps only passages holding each "quoted phrase" of `query` ("" when it quotes none;
        an odd number of quotes is no phrase, as tantivy reads it)."""
        if query.count('"') % 2:
            return ""
        clauses = []
        for phrase in _PHRASE.findall(query):
            if self.stem:
                from scent.milvus.analysis import stems

                words = stems(phrase)  # letters and digits only: nothing for `like` to read as a wildcard
                if words:
                    clauses.append(f"(bm25_text == {quote(words)} or bm25_text like {quote(words + ' %')} or "
                                   f"bm25_text like {quote('% ' + words + ' %')} or bm25_text like "
                                   f"{quote('% ' + words)})")
            elif phrase.strip():
                escaped = phrase.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                clauses.append(f"text like {quote('%' + escaped + '%')}")
        return " and ".join(clauses)

    def _one(self, query: str, retriever: str, depth: int, doc: str = "") -> list[tuple[dict[str, Any], float]]:
        """One ranking, best first: BM25 on the query's text (its phrases as a filter), or dense on its vector;
        within one document when `doc` is given."""
        c = self.client
        param: dict[str, Any]
        if retriever == "bm25":
            from scent.milvus.analysis import stems

            text = stems(query) if self.stem else query
            if not text.strip():  # a query with no word BM25 can search (punctuation only)
                return []
            data, field, param = [text], "sparse", {"metric_type": "BM25"}
            expr = self.phrase_filter(query)
        else:
            vector = self.embedder().embed([query])[0]
            cfg = self.client.config
            params = ({"ef": max(cfg.ef, depth)} if cfg.index_type == "HNSW"
                      else {"nprobe": max(1, cfg.nlist // 16)} if cfg.index_type == "IVF_FLAT" else {})
            data, field, param, expr = [vector.tolist()], "dense", {"metric_type": "COSINE", "params": params}, ""
        if doc:
            expr = f"doc == {quote(doc)}" + (f" and ({expr})" if expr else "")
        found = c.call("search", c.milvus.search, self.location.collection, data=data, anns_field=field,
                       search_params=param, limit=depth, output_fields=OUTPUT, filter=expr)
        # Milvus Lite reports BM25 as a negated distance; a Milvus server as the positive score: rank order is
        # the same, and scores are given as the server's BM25 score
        return [(hit["entity"], abs(float(hit["distance"])) if retriever == "bm25" else float(hit["distance"]))
                for hit in (found[0] if found else [])]

    def _rows(self, query: str, k: int, retriever: str | None) -> list[tuple[dict[str, Any], float]]:
        retriever = self.resolve(retriever)
        if not query.strip() or k <= 0:
            return []
        if retriever != "hybrid":
            return self._one(query, retriever, k)
        from scent.index.hybrid import fuse

        depth = max(k, self.retrieval.depth)
        rankings = [self._one(query, "bm25", depth), self._one(query, "dense", depth)]
        rows = {row["id"]: row for ranking in rankings for row, _ in ranking}
        lexical, dense = ([(row["id"], score) for row, score in ranking] for ranking in rankings)
        return [(rows[pid], score) for pid, score in fuse(lexical, dense, self.retrieval, k)]

    def ranked(self, query: str, k: int, retriever: str | None = None) -> list[tuple[str, float]]:
        """(passage id, score) pairs, best first: BM25 scores, cosines, or the configured fusion's scores."""
        return [(row["id"], score) for row, score in self._rows(query, k, retriever)]

    def search(self, query: str, k: int = 10, snippets: bool = False, retriever: str | None = None) -> list[Hit]:
        from scent.index.snippet import snippet

        rows = self._rows(query, k, retriever)
        hits = self._collapsed(query, rows)
        if len(hits) < k and len(rows) == k and self.grouped:  # duplicates left out: look deeper
            hits = self._collapsed(query, self._rows(query, 3 * k, retriever))[:k]
        if snippets:
            for hit in hits:
                hit.snippet = snippet(hit.text, query)
        return hits

    def _collapsed(self, query: str, rows: list[tuple[dict[str, Any], float]]) -> list[Hit]:
        """Hits of the rows, one member per duplicate group (`scent.milvus.groups`, as the folder index: a group's
        standing document's best BM25 passage takes the place of a member's when only members ranked)."""
        hits: list[Hit] = []
        for row, score in rows:
            hit = passage_of(row, Hit, score=score)
            assert isinstance(hit, Hit)
            hits.append(hit)
        if not self.grouped:
            return hits
        from scent.milvus.groups import collapse

        def standing_hit(doc: str) -> Hit | None:
            best = self._one(query, "bm25", 1, doc)
            hit = passage_of(best[0][0], Hit, score=best[0][1]) if best else None
            return hit if isinstance(hit, Hit) else None

        return collapse(self.client, hits, {row["id"]: row["doc"] for row, _ in rows}, standing_hit)

    # -- passages and documents ----------------------------------------------------------------------------
    def _query(self, collection: str, expr: str, fields: Sequence[str], limit: int | None = None) -> list[Any]:
        c = self.client
        kwargs: dict[str, Any] = {"limit": limit} if limit is not None else {}
        return list(c.call("query", c.milvus.query, collection, filter=expr, output_fields=list(fields), **kwargs))

    def get_many(self, ids: Sequence[str]) -> dict[str, Passage]:
        if not ids:
            return {}
        rows = self.client.get(self.location.collection, ids, OUTPUT)
        return {row["id"]: passage_of(row) for row in rows}

    def get(self, passage_id: str) -> Passage | None:
        return self.get_many([passage_id]).get(passage_id)

    def neighbours(self, passage_id: str, before: int = 1, after: int = 1) -> list[Passage]:
        """The passage and up to `before`/`after` passages around it in its document (a record of a corpus file
        is a document of its own), in document order."""
        rows = self.client.get(self.location.collection, [passage_id], ["doc", "seq", "record"])
        if not rows:
            return []
        row = rows[0]
        expr = (f"doc == {quote(row['doc'])} and seq >= {row['seq'] - before} and seq <= {row['seq'] + after}"
                + (f" and record == {quote(row['record'])}" if row["record"] else ""))
        found = self._query(self.location.collection, expr, OUTPUT)
        return [passage_of(r) for r in sorted(found, key=lambda r: r["seq"])]

    def _documents(self, expr: str) -> list[dict[str, Any]]:
        return self._query(self.location.documents, expr, ["doc", "path", "title", "kind", "n_passages", "state"])

    def document_passages(self, docid: str) -> list[Passage]:
        """Every passage of a document named by its docid (path, or path#record for a corpus record), in order."""
        path, _, record = docid.partition("#")
        docs = self._documents(f"path == {quote(path)} and state == \"indexed\"")
        if not docs and record:  # a path that itself holds '#'
            docs, record = self._documents(f"path == {quote(docid)} and state == \"indexed\""), ""
        for doc in sorted(docs, key=lambda d: d["doc"]):
            expr = f"doc == {quote(doc['doc'])}" + (f" and record == {quote(record)}" if record else "")
            rows = self._query(self.location.collection, expr, OUTPUT)
            if rows:
                return [passage_of(r) for r in sorted(rows, key=lambda r: r["seq"])]
        return []

    def list_documents(self, limit: int = 100, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
        """(indexed documents, a page of them by path: path, title, kind, passages). Reads the manifest's paths
        whole: fine to millions of documents, one query per page."""
        docs = sorted(self._documents('state == "indexed"'), key=lambda d: (d["path"], d["doc"]))
        page = [{"path": d["path"], "title": d["title"], "kind": d["kind"], "passages": int(d["n_passages"])}
                for d in docs[offset : offset + limit]]
        return len(docs), page

    def stats(self) -> dict[str, int]:
        c = self.client
        count = "count(*)"
        docs = self._query(self.location.documents, 'state != "deleting"', [count])
        passages = c.call("count passages", c.milvus.query, self.location.collection, filter="",
                          output_fields=[count])
        return {"documents": int(docs[0][count]) if docs else 0,
                "passages": int(passages[0][count]) if passages else 0}

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> MilvusIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


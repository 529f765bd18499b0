"""Talking to a Milvus server: connect with a clear error, retry transient failures, and the two collections of
a scent index (their schema, created once and checked on every open).

Collections (format `FORMAT`):
- `COLLECTION`: one row per passage. `id` (primary), `doc` (the document's key), `path`, `record` (the record id
  of a corpus-file passage, else ""), `seq`, `meta` (JSON: title, headings, page, start, end), `text` (the
  passage text), `bm25_text` (title, new headings and text — as stems with `stem`, `scent.milvus.analysis` —
  what Milvus's analyzer reads), `sparse` (the BM25 function's output) and, with vectors, `dense`.
- `COLLECTION__documents`: the manifest, one row per document: `doc`, `root`, `path`, `kind`, `title`, `sha256`,
  `size`, `mtime_ns`, `state` (pending | indexed | deleting), `n_passages`, `warnings`, and a 2-d placeholder
  vector (a Milvus collection must hold one).
- `COLLECTION__groups` (duplicate groups, `scent.milvus.groups`; made by the first run that lacks it, so a
  collection of before is grouped by its next run): `doc`, `minhash` (the document's MinHash signature as hex,
  `scent.ingest.duplicates`), `standing` (the document that stands for its group; "" when it is that one or
  alone), a 2-d placeholder vector.
Collection properties record the format, the embedder and its vector size: an index is searched with the
embedder that made it, and written to only with it.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from scent.config import MilvusConfig
from scent.milvus import MilvusError, MilvusLocation, MilvusSchemaError, MilvusUnavailable

FORMAT = "1"
PASSAGE_FIELDS = ("id", "doc", "path", "record", "seq", "meta", "text", "bm25_text", "sparse")
DOCUMENT_FIELDS = ("doc", "root", "path", "kind", "title", "sha256", "size", "mtime_ns", "state", "n_passages",
                   "warnings", "placeholder")
MAX_VARCHAR = 65_535  # bytes: Milvus's limit for one VARCHAR value
T = TypeVar("T")


def transient(error: BaseException) -> bool:
    """Worth retrying: the server is (re)starting, overloaded, or the call timed out."""
    from pymilvus.exceptions import ConnectError, MilvusException, MilvusUnavailableException

    if isinstance(error, ConnectError | MilvusUnavailableException):
        return True
    if isinstance(error, MilvusException):
        # the first line only: later lines may quote the request (a filter of passage ids holding any words)
        text = str(getattr(error, "message", "")).lower().split("\n", 1)[0]
        return bool(getattr(error, "retriable", False)) or error.code == 8 or any(
            word in text for word in ("unavailable", "deadline exceeded", "fail connecting", "connection refused",
                                      "timed out", "rate limit"))
    try:
        import grpc
    except ImportError:
        return False
    return isinstance(error, grpc.RpcError) and error.code() in (
        grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED)


class Client:
    """One connection to the server of `location`, every call retried on transient errors (`call`)."""

    def __init__(self, location: MilvusLocation, config: MilvusConfig | None = None) -> None:
        self.location = location
        self.config = config or MilvusConfig()
        self.milvus = self._connect()

    def _connect(self) -> Any:
        import logging

        from pymilvus import MilvusClient

        # pymilvus warns on every query iterator that Milvus Lite does not report an MVCC timestamp (it then uses
        # the client's, which is what a single writer wants) and logs each failed try with a traceback: scent
        # reports what failed itself
        logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
        from pymilvus.exceptions import MilvusException

        last: BaseException | None = None
        for attempt in range(self.config.max_retries + 1):
            try:
                return MilvusClient(uri=self.location.uri, timeout=self.config.timeout_s)
            except MilvusException as e:
                last = e
                if attempt < self.config.max_retries:
                    time.sleep(min(0.5 * 2**attempt, 8.0))
        raise MilvusUnavailable(
            f"cannot reach the Milvus server at {self.location.host}:{self.location.port} ({_message(last)}) after "
            f"{self.config.max_retries + 1} tries: start it (e.g. `milvus-lite server --data-dir DIR --host "
            f"127.0.0.1 --port {self.location.port}`, or a Milvus cluster: docs/scale-out.md) or fix the address")

    def call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)`, retried with doubling backoff while it fails transiently."""
        from pymilvus.exceptions import MilvusException

        for attempt in range(self.config.max_retries + 1):
            try:
                return fn(*args, **kwargs)
            except Exception as e:
                if not transient(e):
                    if isinstance(e, MilvusException):
                        raise MilvusError(f"Milvus refused to {what} on {self.location}: {_message(e)}") from None
                    raise
                if attempt == self.config.max_retries:
                    raise MilvusUnavailable(f"the Milvus server at {self.location.host}:{self.location.port} "
                                            f"stopped answering ({what}: {_message(e)}); what was written before "
                                            "stays, run again once it is back") from None
                time.sleep(min(0.5 * 2**attempt, 8.0))
        raise AssertionError("not reached")

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing a connection to a server that is gone: nothing to release
            self.milvus.close()

    # -- collections ---------------------------------------------------------------------------------------
    def exists(self) -> bool:
        return bool(self.call("list collections", self.milvus.has_collection, self.location.collection))

    def properties(self) -> dict[str, str]:
        """The scent properties of the passage collection, after checking that its schema is scent's."""
        described = self.call("describe the collection", self.milvus.describe_collection, self.location.collection)
        names = {f["name"] for f in described["fields"]}
        props = {k: str(v) for k, v in (described.get("properties") or {}).items()}
        if not set(PASSAGE_FIELDS) <= names or props.get("scent.format") != FORMAT:
            raise MilvusSchemaError(
                f"the collection {self.location} was not made by scent (format {FORMAT}: fields "
                f"{', '.join(PASSAGE_FIELDS)}; it has {', '.join(sorted(names))}): index into another collection "
                "name, or drop this one if it is yours to drop")
        if not self.call("list collections", self.milvus.has_collection, self.location.documents):
            raise MilvusSchemaError(f"the manifest collection {self.location.documents} of {self.location} is "
                                    "missing: index into a new collection")
        has_dense = "dense" in names
        if has_dense != (int(props.get("scent.dim", "0")) > 0):
            raise MilvusSchemaError(f"the collection {self.location} has inconsistent vector properties: "
                                    "re-index into a new collection")
        return props

    def create(self, embedder: str, dim: int) -> None:
        """The passage and manifest collections, with their indexes, loaded. `dim` 0: no dense vectors."""
        from pymilvus import DataType, Function, FunctionType, MilvusClient

        c, cfg = self.milvus, self.config
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=512)
        schema.add_field("doc", DataType.VARCHAR, max_length=64)
        schema.add_field("path", DataType.VARCHAR, max_length=4096)
        schema.add_field("record", DataType.VARCHAR, max_length=512)
        schema.add_field("seq", DataType.INT64)
        schema.add_field("meta", DataType.JSON)
        schema.add_field("text", DataType.VARCHAR, max_length=MAX_VARCHAR)
        schema.add_field("bm25_text", DataType.VARCHAR, max_length=MAX_VARCHAR, enable_analyzer=True,
                         analyzer_params=cfg.analyzer)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["bm25_text"],
                                     output_field_names=["sparse"]))
        index = c.prepare_index_params()
        index.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        index.add_index(field_name="doc", index_type="INVERTED")
        if dim > 0:
            schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
            params = ({"M": cfg.hnsw_m, "efConstruction": cfg.ef_construction} if cfg.index_type == "HNSW"
                      else {"nlist": cfg.nlist} if cfg.index_type == "IVF_FLAT" else {})
            index.add_index(field_name="dense", index_type=cfg.index_type, metric_type="COSINE", params=params)
        props = {"scent.format": FORMAT, "scent.embedder": embedder if dim > 0 else "", "scent.dim": str(dim),
                 "scent.analyzer": json.dumps(cfg.analyzer, sort_keys=True), "scent.stem": "1" if cfg.stem else "0"}
        docs = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        docs.add_field("doc", DataType.VARCHAR, is_primary=True, max_length=64)
        docs.add_field("root", DataType.VARCHAR, max_length=4096)
        docs.add_field("path", DataType.VARCHAR, max_length=4096)
        for name in ("kind", "title", "sha256", "state"):
            docs.add_field(name, DataType.VARCHAR, max_length=MAX_VARCHAR if name == "title" else 64)
        for name in ("size", "mtime_ns", "n_passages"):
            docs.add_field(name, DataType.INT64)
        docs.add_field("warnings", DataType.JSON)
        docs.add_field("placeholder", DataType.FLOAT_VECTOR, dim=2)
        docs_index = c.prepare_index_params()
        docs_index.add_index(field_name="placeholder", index_type="FLAT", metric_type="L2")
        # the manifest first: a passage collection without one is refused as unfinished, not half-used
        if not self.call("list collections", c.has_collection, self.location.documents):
            self.call("create the manifest collection", c.create_collection, self.location.documents, schema=docs,
                      index_params=docs_index)
        self.call("create the collection", c.create_collection, self.location.collection, schema=schema,
                  index_params=index, properties=props, num_shards=cfg.shards)
        self.create_groups()

    def has_groups(self) -> bool:
        return bool(self.call("list collections", self.milvus.has_collection, self.location.groups))

    def create_groups(self) -> None:
        """The duplicate-groups collection, when missing (a collection made before groups has none), loaded."""
        from pymilvus import DataType, MilvusClient

        c = self.milvus
        if not self.has_groups():
            schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
            schema.add_field("doc", DataType.VARCHAR, is_primary=True, max_length=64)
            schema.add_field("minhash", DataType.VARCHAR, max_length=1024)
            schema.add_field("standing", DataType.VARCHAR, max_length=64)
            schema.add_field("placeholder", DataType.FLOAT_VECTOR, dim=2)
            index = c.prepare_index_params()
            index.add_index(field_name="placeholder", index_type="FLAT", metric_type="L2")
            index.add_index(field_name="standing", index_type="INVERTED")
            self.call("create the groups collection", c.create_collection, self.location.groups, schema=schema,
                      index_params=index)
        self.call("load the collection", c.load_collection, self.location.groups, replica_number=self.config.replicas)

    def get(self, collection: str, ids: Sequence[str], fields: Sequence[str]) -> list[dict[str, Any]]:
        """Rows by primary key. A filter written here, not pymilvus's `get`: that one quotes ids with single
        quotes, which an id holding an apostrophe (DBpedia's <dbpedia:Miller's_Crossing>) breaks."""
        if not ids:
            return []
        key = "doc" if collection in (self.location.documents, self.location.groups) else "id"
        expr = f"{key} in [{', '.join(map(quote, ids))}]"
        return list(self.call("get rows", self.milvus.query, collection, filter=expr, output_fields=list(fields)))

    def load(self) -> None:
        names = [self.location.documents, self.location.collection] + ([self.location.groups] if self.has_groups()
                                                                       else [])
        for name in names:
            self.call("load the collection", self.milvus.load_collection, name, replica_number=self.config.replicas)


def quote(value: str) -> str:
    """A string literal of Milvus's filter language."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _message(error: BaseException | None) -> str:
    if error is None:
        return "no answer"
    message = getattr(error, "message", "") or str(error) or type(error).__name__
    return str(message).splitlines()[0][:300]

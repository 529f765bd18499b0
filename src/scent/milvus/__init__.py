"""A Milvus index: passages with their provenance, BM25 by Milvus's analyzer and BM25 function, dense vectors
(HNSW or IVF) and RRF hybrid search inside Milvus, behind the same `Index` interface as the embedded index.

An index is named `milvus://HOST:PORT/COLLECTION` wherever a folder is accepted (`scent.app.open_index`). The
same client code runs against a Milvus Lite server (`milvus-lite server`, the tests), Milvus Standalone and a
Milvus cluster (docs/scale-out.md). Only this module is imported by the wiring layer; pymilvus is imported
inside the functions of `client`, `index` and `ingest`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SCHEME = "milvus://"
# A typer Path option collapses "//" into "/": milvus://h:1/c arrives as milvus:/h:1/c, read the same way
_URI = re.compile(r"^milvus:/{1,2}(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(?P<port>\d{1,5})/"
                  r"(?P<collection>[A-Za-z_][A-Za-z0-9_]{0,200})/?$")


class MilvusError(RuntimeError):
    """A Milvus index that cannot be used as asked; the message says what to fix."""


class MilvusUnavailable(MilvusError):
    """The server does not answer (or stopped answering after the retries)."""


class MilvusSchemaError(MilvusError):
    """The collection exists but was not made by scent, by another scent format, or with another embedder."""


@dataclass(frozen=True)
class MilvusLocation:
    host: str
    port: int
    collection: str

    @property
    def uri(self) -> str:
        """What pymilvus connects to."""
        return f"http://{self.host}:{self.port}"

    @property
    def documents(self) -> str:
        """The manifest collection: one row per indexed document and its state."""
        return f"{self.collection}__documents"

    @property
    def groups(self) -> str:
        """Duplicate groups: one row per signed document, its MinHash and the document standing for its group."""
        return f"{self.collection}__groups"

    def __str__(self) -> str:
        return f"{SCHEME}{self.host}:{self.port}/{self.collection}"


def is_milvus_uri(value: str | Path) -> bool:
    return str(value).startswith("milvus:/")


def parse_uri(value: str | Path) -> MilvusLocation:
    """`milvus://HOST:PORT/COLLECTION` → its parts; MilvusError with the expected form otherwise."""
    match = _URI.match(str(value))
    if match is None or not 0 < int(match["port"]) < 65536:
        raise MilvusError(f"{str(value)!r} is not a Milvus index: expected milvus://HOST:PORT/COLLECTION (a "
                          "collection name is letters, digits and '_', starting with a letter or '_')")
    return MilvusLocation(match["host"], int(match["port"]), match["collection"])

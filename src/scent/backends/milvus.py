"""`milvus://HOST:PORT/COLLECTION`: a Milvus collection (Milvus Lite, Standalone or a cluster; docs/scale-out.md).
Vectors are written with the passages (`build`), by the collection's own embedder; hybrid search fuses BM25 and
dense client-side with the configured weights, as the folder index does (`scent.milvus.index`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scent.backends import retrieval_settings
from scent.backends.errors import BackendError, BadLocation, IndexIncompatible, IndexNotFound, IndexUnavailable

if TYPE_CHECKING:
    from scent.config import IngestConfig, ScentConfig
    from scent.milvus import MilvusLocation
    from scent.milvus.index import MilvusIndex
    from scent.protocols import Embedder
    from scent.types import IngestSummary


@contextmanager
def translated() -> Iterator[None]:
    """Milvus's errors as the backend-neutral ones."""
    from scent.index import IndexNotFoundError
    from scent.milvus import MilvusError, MilvusSchemaError, MilvusUnavailable

    try:
        yield
    except IndexNotFoundError as e:
        raise IndexNotFound(str(e)) from None
    except MilvusUnavailable as e:
        raise IndexUnavailable(str(e)) from None
    except MilvusSchemaError as e:
        raise IndexIncompatible(str(e)) from None
    except MilvusError as e:
        raise BackendError(str(e)) from None


def location_of(location: str | Path) -> MilvusLocation:
    from scent.milvus import MilvusError, parse_uri

    try:
        return parse_uri(location)
    except MilvusError as e:
        raise BadLocation(str(e)) from None


class MilvusBackend:
    def open(self, location: str, cfg: ScentConfig | None = None, retriever: str | None = None,
             embedder: Embedder | None = None) -> MilvusIndex:
        from scent.milvus.index import MilvusIndex

        where = location_of(location)
        with translated():
            return MilvusIndex.open(where, retrieval_settings(cfg, retriever),
                                    cfg.embed if cfg is not None else None, bool(cfg is not None and cfg.local_only),
                                    cfg.index.milvus if cfg is not None else None, embedder)

    def build(self, location: str, paths: Sequence[Path], cfg: ScentConfig | None = None,
              ingest: IngestConfig | None = None, embedder: Embedder | None = None,
              progress: Callable[[str, int], None] | None = None) -> IngestSummary:
        """`scent.milvus.ingest`: passages and, with `embedder`, their vectors in one pass."""
        from scent.milvus.ingest import build

        where = location_of(location)
        with translated():
            return build(where, list(paths), ingest, cfg.index.milvus if cfg is not None else None, embedder,
                         progress)

    def sync_vectors(self, location: str, embedder: Embedder, cfg: ScentConfig | None = None,
                     progress: Callable[[str, int], None] | None = None,
                     rebuild: bool = False) -> dict[str, Any] | None:
        """Nothing to do: a collection's vectors are written with its passages, by the embedder it was made with."""
        if rebuild:
            raise IndexIncompatible("--rebuild-vectors: a Milvus collection keeps the embedder it was made with; "
                                    "index into a new collection instead")
        return None

    def vectors_embedder(self, location: str, cfg: ScentConfig | None = None) -> str | None:
        from scent.milvus.client import Client

        with translated():
            client = Client(location_of(location), cfg.index.milvus if cfg is not None else None)
            try:
                return client.properties().get("scent.embedder", "") if client.exists() else None
            finally:
                client.close()

    def label(self, location: str) -> str:
        return str(location_of(location))

    def traces_folder(self, location: str) -> Path:
        """No folder of its own: .scent/traces/milvus-HOST-PORT-COLLECTION under the working directory."""
        from scent.index.layout import DEFAULT_INDEX_DIR

        where = location_of(location)
        return Path(DEFAULT_INDEX_DIR) / "traces" / f"milvus-{where.host.strip('[]').replace(':', '_')}-" \
            f"{where.port}-{where.collection}"

"""The embedded folder index (a path, no scheme): tantivy BM25 + a SQLite passage store + optional vectors in one
folder (docs/index-format.md). Hybrid search fuses BM25 and dense client-side with the configured weights
(`scent.index.hybrid.rrf`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scent.backends import retrieval_settings
from scent.backends.errors import IndexAccess, IndexNotFound

if TYPE_CHECKING:
    from scent.config import IngestConfig, ScentConfig
    from scent.index import Index
    from scent.protocols import Embedder
    from scent.types import IngestSummary


@contextmanager
def translated() -> Iterator[None]:
    """The folder index's own errors as the backend-neutral ones."""
    from scent.index import IndexAccessError, IndexNotFoundError

    try:
        yield
    except IndexNotFoundError as e:
        raise IndexNotFound(str(e)) from None
    except IndexAccessError as e:
        raise IndexAccess(str(e)) from None


class FolderBackend:
    def open(self, location: str, cfg: ScentConfig | None = None, retriever: str | None = None,
             embedder: Embedder | None = None) -> Index:
        from scent.index import Index

        with translated():
            return Index.open(Path(location), retrieval=retrieval_settings(cfg, retriever), embedder=embedder,
                              embed_config=cfg.embed if cfg is not None else None,
                              local_only=bool(cfg is not None and cfg.local_only))

    def build(self, location: str, paths: Sequence[Path], cfg: ScentConfig | None = None,
              ingest: IngestConfig | None = None, embedder: Embedder | None = None,
              progress: Callable[[str, int], None] | None = None) -> IngestSummary:
        """BM25 and the store (`scent.ingest.pipeline`), then, with `embedder` and unless interrupted, vectors."""
        from scent.ingest.pipeline import build

        summary = build(Path(location), list(paths), ingest, progress=progress)
        if embedder is not None and not summary.interrupted:
            self.sync_vectors(location, embedder, cfg)
        return summary

    def sync_vectors(self, location: str, embedder: Embedder, cfg: ScentConfig | None = None,
                     progress: Callable[[str, int], None] | None = None, rebuild: bool = False) -> dict[str, Any]:
        """`vectors/` in line with the store (`scent.index.dense.sync`): incremental, under the writer lock."""
        from scent.index.dense import sync
        from scent.index.layout import STORE_FILE
        from scent.index.store import Store

        folder = Path(location)
        store = Store(folder / STORE_FILE, readonly=True)
        try:
            return asdict(sync(folder, store, embedder, cfg.embed if cfg is not None else None, progress,
                               rebuild=rebuild))
        finally:
            store.close()

    def vectors_embedder(self, location: str, cfg: ScentConfig | None = None) -> str | None:
        from scent.index.dense import read_manifest

        manifest = read_manifest(Path(location))
        return str(manifest["embedder"]) if manifest is not None else None

    def label(self, location: str) -> str:
        return str(Path(location).resolve())

    def traces_folder(self, location: str) -> Path:
        return Path(location) / "traces"


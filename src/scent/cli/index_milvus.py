"""`scent index FOLDER --index SCHEME://…` for an index on a server (`milvus://HOST:PORT/COLLECTION`): the branch of
`scent index` for a backend that writes vectors with the passages, through the backend registry
(`scent.backends`; the Milvus ingestion itself is `scent.milvus.ingest`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from scent.cli.common import fail, index_embedder, vectors_setting
from scent.cli.output import dumps

INTERRUPTED = "interrupted: what was written is searchable; run `scent index` again to finish"


def embedder_for(backend: Any, location: str, cfg: Any, vectors: bool | None, embedder: str | None,
                 ray: str | None) -> Any:
    """The embedder this run writes vectors with, or None (no vectors): the collection's own when it exists,
    else --embedder, else the config's when it can run here; `ray` (an address, or "" for a local cluster)
    fans the embedding batches out over Ray workers."""
    from scent.embed import bundled_available

    have = backend.vectors_embedder(location, cfg)
    vectors = vectors_setting(vectors)
    if have is not None:
        if vectors is None:
            vectors = bool(have)
        spec = embedder or have or cfg.embed.spec
    else:
        spec = embedder or cfg.embed.spec
        if vectors is None:
            vectors = embedder is not None or spec != "minilm" or bundled_available()
    if not vectors:
        return None
    model = index_embedder(spec, cfg)
    if ray is None:
        return model
    from scent.scale.ray_embed import RayEmbedder

    return RayEmbedder(model, cfg.embed, cfg.local_only, cfg.ray)


def index_collection(index: Path, paths: list[Path], cfg: Any, config: Any, vectors: bool | None,
                     embedder: str | None, rebuild_vectors: bool, ray: str | None, show: bool, as_json: bool) -> None:
    from contextlib import nullcontext

    from scent import app
    from scent.backends import BackendError
    from scent.cli.bars import IndexProgress
    from scent.cli.common import app_errors

    if rebuild_vectors:
        raise fail("--rebuild-vectors: a Milvus collection keeps the embedder it was made with; index into a new "
                   "collection instead")
    with app_errors():
        backend = app.index_backend(index)
        location = app.index_label(index)  # also checks the URI
    session: Any = nullcontext()
    if ray is not None:
        from scent.scale.ray_pool import ray_session

        session = ray_session(ray or None, cfg.ray)
    try:
        with session:
            model = embedder_for(backend, location, cfg, vectors, embedder, ray)
            with IndexProgress(enabled=show) as progress:
                summary = backend.build(location, paths, cfg, config, model, progress)
    except BackendError as e:
        raise fail(str(e), 1) from None
    s = summary
    if as_json:
        typer.echo(dumps({**summary.model_dump(), "vectors": {"embedder": model.spec, "dim": model.dim}
                          if model is not None else None}))
    elif show:
        typer.echo(f"{s.added} added, {s.updated} updated, {s.removed} removed, {s.unchanged} unchanged; "
                   f"{s.skipped} skipped, {s.partial} read in part; +{s.passages_added}/-{s.passages_removed} "
                   f"passages, {s.passages_total} in {s.documents_total} documents"
                   f"{f' (vectors: {model.spec}, {model.dim}-d)' if model is not None else ''}; {s.seconds:.1f} s",
                   err=True)
    if s.interrupted:
        raise fail(INTERRUPTED, 130)

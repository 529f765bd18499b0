"""What every command module shares: the option types, `fail`, and `app_errors` (the wiring layer's typed
errors as `error: …` on stderr and an exit status). Only typer is imported here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from scent.index.layout import DEFAULT_INDEX_DIR

DEFAULT_INDEX = Path(DEFAULT_INDEX_DIR)
IndexOption = Annotated[Path, typer.Option("--index", "-i", help="Index folder, or milvus://HOST:PORT/COLLECTION.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
RetrieverOption = Annotated[str | None, typer.Option(
    "--retriever", "-r", help="bm25 | dense | hybrid | auto (default: the config's, auto = hybrid when the index "
    "has vectors, else bm25).")]
ModelOption = Annotated[list[str], typer.Option(
    "--model", "-m", help="SPEC for every role, or ROLE=SPEC (planner, searcher, reader, writer, judge). "
    "SPEC: llamacpp:default | llamacpp:PATH.gguf | openai:URL#MODEL | scripted:FILE.")]
ConfigOption = Annotated[Path | None, typer.Option("--config", help="Config file (default ./scent.toml).")]
LocalOnlyOption = Annotated[bool | None, typer.Option(
    "--local-only/--no-local-only", help="Refuse model endpoints that are not on a loopback address.")]
SetOption = Annotated[list[str], typer.Option(
    "--set", help="SECTION.FIELD=VALUE over the config file, e.g. agent.views=1, agent.preset=thorough "
    "(repeatable).")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No live progress.")]
RayOption = Annotated[bool, typer.Option("--ray", help="Fan the work out over Ray workers: a local cluster for "
                                         "this run, or the one at --ray-address (needs `scent[scale]`).")]
RayAddressOption = Annotated[str | None, typer.Option(
    "--ray-address", help="A Ray cluster to join (ray://HOST:10001, HOST:6379 or auto); implies --ray.")]


def ray_target(ray: bool, address: str | None) -> str | None:
    """None: no Ray; "": a local cluster; else the address of the cluster to join."""
    return address if address else "" if ray else None


def fail(message: str, code: int = 2) -> typer.Exit:
    """`error: message` on stderr; raise the returned Exit."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def app_errors(code: int | None = None) -> Iterator[None]:
    """The wiring layer's AppError as `error: …` and its exit status (or `code`)."""
    from scent.app import AppError

    try:
        yield
    except AppError as e:
        raise fail(str(e), code if code is not None else e.code) from None


def vectors_setting(vectors: bool | None) -> bool | None:
    """`--vectors/--no-vectors` as given, else off when SCENT_VECTORS says so (e.g. test suites that index large
    corpora and only need BM25), else None: the caller's default."""
    import os

    if vectors is None and os.environ.get("SCENT_VECTORS", "").lower() in ("0", "off", "false", "no"):
        return False
    return vectors


def index_embedder(spec: str, cfg: Any) -> Any:
    """The embedder `scent index` makes vectors with; a clear error when it cannot load."""
    from scent.embed import EmbedError, load_embedder

    try:
        return load_embedder(spec, cfg.embed, cfg.local_only)
    except EmbedError as e:
        raise fail(f"vectors: {e} (or index without them: --no-vectors)") from None

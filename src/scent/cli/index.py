"""`scent index`: bring an index up to date (BM25, then dense vectors), under one writer lock; a Ctrl-C anywhere
ends in "interrupted" with what was committed kept."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer

from scent.cli.common import (
    DEFAULT_INDEX,
    ConfigOption,
    IndexOption,
    JsonOption,
    RayAddressOption,
    RayOption,
    app_errors,
    fail,
    index_embedder,
    ray_target,
    vectors_setting,
)
from scent.cli.output import dumps, write_problem
from scent.index.layout import REPORT_FILE

INTERRUPTED = "interrupted: what was committed is searchable; run `scent index` again to finish"


def index_cmd(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Folders or files to index (none: re-sync every folder the index remembers, with its rules).")] = None,
    index: IndexOption = DEFAULT_INDEX,
    include: Annotated[list[str], typer.Option(help="Glob of files to include (repeatable).")] = [],  # noqa: B006
    exclude: Annotated[list[str], typer.Option(help="Glob of files or folders to skip (repeatable).")] = [],  # noqa: B006
    max_file_mb: Annotated[float, typer.Option(help="Skip (and report) files larger than this.")] = 50.0,
    commit_every: Annotated[int, typer.Option(help="Commit every N passages: bounds the work a kill loses.",
                                              min=1)] = 20_000,
    vectors: Annotated[bool | None, typer.Option(
        "--vectors/--no-vectors", help="Compute dense vectors for new/changed passages (default: on when the "
        "bundled embedder is installed or the index already has vectors, unless SCENT_VECTORS=0).")] = None,
    embedder: Annotated[str | None, typer.Option(
        help="minilm | openai:BASE_URL#MODEL (default: the one the index's vectors were made with, else the "
        "config's).")] = None,
    rebuild_vectors: Annotated[bool, typer.Option(
        "--rebuild-vectors", help="Drop the existing vectors and embed every passage again.")] = False,
    max_line_kb: Annotated[int, typer.Option(help="Skip (and report) corpus .jsonl lines longer than this.",
                                             min=1)] = 1024,
    max_record_chars: Annotated[int, typer.Option(help="Cut (and report) corpus records whose text is longer.",
                                                  min=100)] = 20_000,
    follow_outside: Annotated[bool, typer.Option(
        "--follow-outside/--no-follow-outside", help="Follow symlinks that lead outside the indexed folder (default: "
        "skip and report each one).")] = False,
    rehash: Annotated[bool, typer.Option(
        "--rehash", help="Hash every file's content: finds changes that kept size and mtime (by default a file "
        "with the same size and mtime is not read).")] = False,
    ocr: Annotated[bool, typer.Option(
        "--ocr/--no-ocr", help="Read images and image-only PDF pages with tesseract-ocr when it is installed.")] = True,
    config_file: ConfigOption = None,
    local_only: Annotated[bool | None, typer.Option(
        "--local-only/--no-local-only", help="Refuse embedder endpoints that are not on a loopback address.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary line.")] = False,
    as_json: JsonOption = False,
    ray: RayOption = False,
    ray_address: RayAddressOption = None,
) -> None:
    """Index documents (text, markup, office, mail, code, pdf, images by OCR, corpus jsonl; docs/ingest.md);
    re-runs only read new or changed files."""
    import sqlite3

    from scent import app
    from scent.backends import FOLDER, scheme_of
    from scent.cli.bars import IndexProgress
    from scent.index.lock import IndexBusyError, writer_lock
    from scent.ingest.sources import IngestOptions
    from scent.interrupt import catch_interrupts

    with app_errors():
        cfg = app.load(config_file, [], local_only)
        backend = app.index_backend(index)

    paths = paths or []
    config = IngestOptions(include=include, exclude=exclude, max_file_mb=max_file_mb,
                           commit_every_passages=commit_every, max_line_kb=max_line_kb,
                           max_record_chars=max_record_chars, follow_outside=follow_outside, rehash=rehash, ocr=ocr)
    ray_at = ray_target(ray, ray_address)
    if scheme_of(index) != FOLDER:  # a collection on a server: vectors are written with the passages
        from scent.cli.index_milvus import index_collection

        return index_collection(index, paths, cfg, config, vectors, embedder, rebuild_vectors, ray_at,
                                not quiet and not as_json, as_json)
    summary, dense = None, None
    from scent.index.store import bm25_rebuild_pending, migration_pending

    if not quiet and not as_json and migration_pending(index):
        typer.echo(f"{index}: migrating the index in place to format 2 (a document is its root and path)", err=True)
    if not quiet and not as_json and bm25_rebuild_pending(index):
        typer.echo(f"{index}: rebuilding BM25 from the passage store (layout 2: a heading field); HTML pages are "
                   "read again", err=True)
    with catch_interrupts() as ctrl_c:  # a Ctrl-C anywhere (lock, build, vectors, cleanup) ends in "interrupted"
        try:
            # one writer for the whole run: the BM25 build and the vector sync
            with writer_lock(index), ctrl_c.stoppable():
                with IndexProgress(enabled=not quiet and not as_json) as progress:
                    summary = backend.build(str(index), paths, cfg, config, progress=progress)
                dense = None if summary.interrupted else sync_vectors(
                    index, cfg, vectors, embedder, rebuild_vectors, not quiet and not as_json, ray_at)
        except KeyboardInterrupt:
            pass
        except IndexBusyError as e:
            raise fail(str(e), 1) from None
        except (OSError, sqlite3.Error) as e:
            raise fail(write_problem(index, e), 1) from None
        except ValueError as e:  # tantivy reports its I/O errors as ValueError
            if "Io" not in str(e) and "io error" not in str(e).lower():
                raise
            raise fail(write_problem(index, e), 1) from None
    interrupted = ctrl_c.received or summary is None or summary.interrupted or bool(dense and dense["interrupted"])
    if summary is None:
        raise fail(INTERRUPTED, 130)
    s = summary
    if as_json:
        typer.echo(dumps({**summary.model_dump(), "vectors": dense}))
    elif not quiet:
        report = f" (reasons in {index / REPORT_FILE})" if s.skipped or s.partial else ""
        unsupported = unsupported_counts(index / REPORT_FILE)
        if unsupported:
            counts = ", ".join(f"{ext} {n}" for ext, n in unsupported.most_common())
            report += f"; not indexed, unsupported type: {counts}"
        typer.echo(
            f"{s.added} added, {s.updated} updated, {s.removed} removed, {s.unchanged} unchanged; "
            f"{s.skipped} skipped, {s.partial} read in part{report}; "
            f"+{s.passages_added}/-{s.passages_removed} passages, {s.passages_total} in {s.documents_total} "
            f"documents; {s.seconds:.1f} s", err=True)
        if dense is not None:
            typer.echo(f"vectors: +{dense['embedded']}/-{dense['removed']}, {dense['total']} in the index "
                       f"({dense['embedder']}, {dense['dim']}-d{', HNSW' if dense['ann'] else ', exact search'}); "
                       f"{dense['seconds']:.1f} s", err=True)
    if interrupted:
        raise fail(INTERRUPTED, 130)


def unsupported_counts(report: Path) -> Counter[str]:
    """Files the last run saw but has no loader for, counted per extension (from the ingest report)."""
    import json

    from scent.ingest.walk import extension

    counts: Counter[str] = Counter()
    if report.exists():
        for line in report.read_text(encoding="utf-8").splitlines():
            issue = json.loads(line)
            if issue.get("reason") == "unsupported-type":
                counts[extension(issue["path"]) or "(no extension)"] += 1
    return counts


def sync_vectors(index: Path, cfg: Any, vectors: bool | None, embedder: str | None, rebuild: bool,
                  show: bool, ray: str | None = None) -> dict[str, Any] | None:
    """Bring the index's vectors up to date (`scent index`); None when vectors are off."""
    from contextlib import AbstractContextManager, nullcontext

    from scent import app
    from scent.embed import EmbedError, bundled_available
    from scent.index.dense import VectorsError

    backend = app.index_backend(index)
    made = backend.vectors_embedder(str(index), cfg)
    spec = embedder or (made if made and not rebuild else cfg.embed.spec)
    vectors = vectors_setting(vectors)
    if vectors is None:  # default: on when the index has vectors or the chosen embedder can run here
        vectors = made is not None or embedder is not None or spec != "minilm" or bundled_available()
    if not vectors:
        return None
    model = index_embedder(spec, cfg)
    from scent.cli.bars import EmbedProgress

    run_cfg = cfg
    session: AbstractContextManager[Any] = nullcontext()
    if ray is not None:  # embedding batches of `checkpoint_every` passages, each split over the Ray workers
        from scent.scale.ray_embed import RayEmbedder
        from scent.scale.ray_pool import ray_session

        model = RayEmbedder(model, cfg.embed, cfg.local_only, cfg.ray)
        run_cfg = cfg.model_copy(update={"embed": cfg.embed.model_copy(
            update={"batch_size": cfg.embed.checkpoint_every})})
        session = ray_session(ray or None, cfg.ray)
    try:
        with session, EmbedProgress(enabled=show) as progress:
            return backend.sync_vectors(str(index), model, run_cfg, progress, rebuild=rebuild)
    except (VectorsError, EmbedError) as e:
        raise fail(str(e)) from None


def register(cli: typer.Typer) -> None:
    cli.command("index")(index_cmd)

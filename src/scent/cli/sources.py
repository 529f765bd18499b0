"""`scent sources` (the folders an index remembers, their rules and counts) and `scent forget ROOT|PATH`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from scent.cli.common import DEFAULT_INDEX, IndexOption, JsonOption, fail
from scent.cli.output import dumps


def sources_cmd(index: IndexOption = DEFAULT_INDEX, as_json: JsonOption = False) -> None:
    """List the folders (and single files) the index remembers: documents, passages, include/exclude rules."""
    from scent.index.layout import STORE_FILE
    from scent.index.store import Store

    if not (index / STORE_FILE).exists():
        raise fail(f"no scent index in {str(index)!r}", 1)
    store = Store(index / STORE_FILE, readonly=True)
    try:
        counts = {r[0]: (int(r[1]), int(r[2] or 0)) for r in store.db.execute(
            "SELECT root, count(*), sum(n_passages) FROM documents WHERE state = 'indexed' GROUP BY root")}
        rows: list[dict[str, Any]] = []
        for root, (include, exclude) in store.sources().items():
            documents, passages = counts.get(root, (0, 0))
            rows.append({"root": root, "label": store.labels().get(root, ""), "documents": documents,
                         "passages": passages, "include": include, "exclude": exclude})
    finally:
        store.close()
    if as_json:
        typer.echo(dumps(rows))
        return
    for row in rows:
        rules = " ".join([*(f"+{p}" for p in row["include"]), *(f"-{p}" for p in row["exclude"])])
        typer.echo(f"{row['root']}\t{row['documents']} documents\t{row['passages']} passages"
                   + (f"\t{rules}" if rules else ""))


def forget_cmd(
    target: Annotated[str, typer.Argument(help="A remembered folder, or a file or folder under one (on disk, or "
                                                "as shown in results).")],
    index: IndexOption = DEFAULT_INDEX,
) -> None:
    """Remove a folder from the index (its documents and rules), or a file or folder under one (excluded from
    then on)."""
    from scent.index.lock import IndexBusyError
    from scent.ingest.forget import forget

    try:
        done = forget(index, target)
    except IndexBusyError as e:
        raise fail(str(e), 1) from None
    if done is None:
        raise fail(f"{target!r} is not a folder or a path the index {str(index)!r} holds", 1)
    what = f"{done.root}/{done.path}" if done.path else done.root
    typer.echo(f"forgot {what}: {done.documents} documents, {done.passages} passages", err=True)


def register(cli: typer.Typer) -> None:
    cli.command("sources")(sources_cmd)
    cli.command("forget")(forget_cmd)

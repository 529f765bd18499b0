"""The `scent` command line. Data goes to stdout (`--json` everywhere), progress and messages to stderr."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from scent.index.layout import DEFAULT_INDEX_DIR, REPORT_FILE

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="scent: a deep-research search agent for your own documents, offline.")

IndexOption = Annotated[Path, typer.Option("--index", "-i", help="Index folder.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _open(index: Path):  # type: ignore[no-untyped-def]
    from scent.index import Index, IndexNotFoundError

    try:
        return Index.open(index)
    except IndexNotFoundError as e:
        raise _fail(str(e)) from None


@app.command("index")
def index_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Folders or files to index.")],
    index: IndexOption = Path(DEFAULT_INDEX_DIR),
    include: Annotated[list[str], typer.Option(help="Glob of files to include (repeatable).")] = [],  # noqa: B006
    exclude: Annotated[list[str], typer.Option(help="Glob of files or folders to skip (repeatable).")] = [],  # noqa: B006
    max_file_mb: Annotated[float, typer.Option(help="Skip (and report) files larger than this.")] = 50.0,
    commit_every: Annotated[int, typer.Option(help="Commit every N passages: bounds the work a kill loses.",
                                              min=1)] = 20_000,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary line.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Index documents (txt, md, html, pdf, docx, corpus jsonl); re-runs only read new or changed files."""
    from scent.cli_progress import IndexProgress
    from scent.config import IngestConfig
    from scent.ingest.pipeline import build

    config = IngestConfig(include=include, exclude=exclude, max_file_mb=max_file_mb,
                          commit_every_passages=commit_every)
    with IndexProgress(enabled=not quiet and not as_json) as progress:
        summary = build(index, paths, config, progress=progress)
    s = summary
    if as_json:
        typer.echo(summary.model_dump_json(indent=2))
    elif not quiet:
        report = f" (reasons in {index / REPORT_FILE})" if s.skipped or s.partial else ""
        typer.echo(
            f"{s.added} added, {s.updated} updated, {s.removed} removed, {s.unchanged} unchanged; "
            f"{s.skipped} skipped, {s.partial} read in part{report}; "
            f"+{s.passages_added}/-{s.passages_removed} passages, {s.passages_total} in {s.documents_total} "
            f"documents; {s.seconds:.1f} s", err=True)
    if s.interrupted:
        raise _fail("interrupted: what was committed is searchable; run `scent index` again to finish", 130)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to search for; \"quoted phrases\" match exactly.")],
    index: IndexOption = Path(DEFAULT_INDEX_DIR),
    k: Annotated[int, typer.Option("-k", help="Number of passages.", min=1)] = 10,
    as_json: JsonOption = False,
) -> None:
    """Rank passages by BM25 and print them with their provenance."""
    with _open(index) as idx:
        hits = idx.search(query, k)
    if as_json:
        typer.echo(json.dumps([h.model_dump() for h in hits], ensure_ascii=False, indent=2))
        return
    from rich.console import Console

    console = Console(highlight=False)
    if not hits:
        console.print("no passage matches", style="dim")
    for rank, h in enumerate(hits, 1):
        where = " › ".join(h.headings) + (f" · page {h.page}" if h.page else "")
        console.print(f"[bold]{rank}.[/bold] [cyan]{h.score:.2f}[/cyan]  [bold]{_esc(h.title)}[/bold]  "
                      f"[dim]{_esc(h.path)}  {h.id}[/dim]")
        if where:
            console.print(f"   [green]{_esc(where)}[/green]")
        console.print(f"   {_esc(h.snippet)}\n")


@app.command()
def show(
    passage_id: Annotated[str, typer.Argument(help="A passage id from `scent search`.")],
    index: IndexOption = Path(DEFAULT_INDEX_DIR),
    context: Annotated[int, typer.Option(help="Neighbouring passages to show on each side.", min=0)] = 1,
    as_json: JsonOption = False,
) -> None:
    """Print one passage with its provenance and its neighbouring passages."""
    with _open(index) as idx:
        around = idx.neighbours(passage_id, context, context)
    target = next((p for p in around if p.id == passage_id), None)
    if target is None:
        raise _fail(f"no passage {passage_id!r} in {index}", 1)
    if as_json:
        typer.echo(json.dumps({**target.model_dump(),
                               "before": [p.model_dump() for p in around if p.seq < target.seq],
                               "after": [p.model_dump() for p in around if p.seq > target.seq]},
                              ensure_ascii=False, indent=2))
        return
    from rich.console import Console

    console = Console(highlight=False)
    for p in around:
        if p.id != passage_id:
            console.print(f"[dim]#{p.seq} {p.id}\n{_esc(p.text)}[/dim]\n")
            continue
        console.print(f"[bold]{_esc(p.title)}[/bold]  [dim]{_esc(p.path)}[/dim]")
        details = [f"id {p.id}", f"passage #{p.seq}", f"chars {p.start}–{p.end}"]
        details += [f"page {p.page}"] if p.page else []
        details += [f"source id {p.source_id}"] if p.source_id else []
        console.print(f"[green]{_esc(' › '.join(p.headings))}[/green]" if p.headings else "", end="")
        console.print(f"[dim]{' · '.join(details)}[/dim]")
        console.print(f"{_esc(p.text)}\n")


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def main() -> None:
    try:
        app()
    except BrokenPipeError:  # `scent search … | head`
        sys.stderr.close()


if __name__ == "__main__":
    main()

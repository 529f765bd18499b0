"""`scent search` and `scent show`: passages with their provenance."""

from __future__ import annotations

from typing import Annotated

import typer

from scent.cli.common import DEFAULT_INDEX, ConfigOption, IndexOption, JsonOption, RetrieverOption, app_errors, fail
from scent.cli.output import dumps, markup


def search(
    query: Annotated[str, typer.Argument(help="What to search for; \"quoted phrases\" match exactly.")],
    index: IndexOption = DEFAULT_INDEX,
    k: Annotated[int, typer.Option("-k", help="Number of passages.", min=1)] = 10,
    retriever: RetrieverOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Rank passages (BM25, dense vectors, or both fused) and print them with their provenance."""
    from scent import app
    from scent.index.dense import VectorsError
    from scent.milvus import MilvusError

    with app_errors():
        opened = app.open_index(index, app.load(config), retriever)
    with opened as idx:
        try:
            hits = idx.search(query, k, snippets=True)
        except (VectorsError, MilvusError) as e:
            raise fail(str(e)) from None
    if as_json:
        typer.echo(dumps([h.to_dict() for h in hits]))
        return
    from rich.console import Console

    console = Console(highlight=False)
    if not hits:
        console.print("no passage matches", style="dim")
    for rank, h in enumerate(hits, 1):  # everything from a document is escaped: ids and titles too
        where = " › ".join(h.headings) + (f" · page {h.page}" if h.page else "")
        console.print(f"[bold]{rank}.[/bold] [cyan]{h.score:.2f}[/cyan]  [bold]{markup(h.title)}[/bold]  "
                      f"[dim]{markup(h.path)}  {markup(h.id)}[/dim]")
        if where:
            console.print(f"   [green]{markup(where)}[/green]")
        if h.also_in:  # the same text in other documents (a copy, a page's source): one result, not several
            console.print(f"   [dim]also in {markup(', '.join(h.also_in))}[/dim]")
        console.print(f"   {markup(h.snippet, one_line=False)}\n")


def show(
    passage_id: Annotated[str, typer.Argument(help="A passage id from `scent search`.")],
    index: IndexOption = DEFAULT_INDEX,
    context: Annotated[int, typer.Option(help="Neighbouring passages to show on each side.", min=0)] = 1,
    as_json: JsonOption = False,
) -> None:
    """Print one passage with its provenance and its neighbouring passages."""
    from scent import app

    with app_errors():
        opened = app.open_index(index)
    with opened as idx:
        around = idx.neighbours(passage_id, context, context)
    target = next((p for p in around if p.id == passage_id), None)
    if target is None:
        raise fail(f"no passage {passage_id!r} in {index}", 1)
    if as_json:
        typer.echo(dumps({**target.to_dict(), "before": [p.to_dict() for p in around if p.seq < target.seq],
                          "after": [p.to_dict() for p in around if p.seq > target.seq]}))
        return
    from rich.console import Console

    console = Console(highlight=False)
    for p in around:
        if p.id != passage_id:
            console.print(f"[dim]#{p.seq} {markup(p.id)}\n{markup(p.text, one_line=False)}[/dim]\n")
            continue
        console.print(f"[bold]{markup(p.title)}[/bold]  [dim]{markup(p.path)}[/dim]")
        details = [f"id {p.id}", f"passage #{p.seq}", f"chars {p.start}–{p.end}"]
        details += [f"page {p.page}"] if p.page else []
        details += [f"source id {p.source_id}"] if p.source_id else []
        console.print(f"[green]{markup(' › '.join(p.headings))}[/green]  " if p.headings else "", end="")
        console.print(f"[dim]{markup(' · '.join(details))}[/dim]")
        console.print(f"{markup(p.text, one_line=False)}\n")


def register(cli: typer.Typer) -> None:
    cli.command()(search)
    cli.command()(show)

"""Live progress of a run on stderr, driven by its trace events (`scent.events`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from scent.events import TraceEvent


class ProgressPrinter:
    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True, highlight=False)
        self.pending_query = ""

    def __call__(self, emitted: dict[str, Any]) -> None:
        from scent.cli.output import markup as escape  # document text: no markup, no control characters

        event = cast("TraceEvent", emitted)  # each branch below narrows it to one event type's fields
        say = self.console.print
        if event["type"] == "run_start":
            say(f"[dim]models: {', '.join(f'{r}={s}' for r, s in event['models'].items())}[/dim]")
        elif event["type"] == "plan":
            facts = "; ".join(event["facts"]) or "—"
            say(f"[bold]plan[/bold] {escape(event['restated'])}  [dim]facts: {escape(facts)}[/dim]")
        elif event["type"] == "tool_call":
            args = event["args"]
            self.pending_query = str(args.get("query") or args.get("phrase") or args.get("pattern")
                                     or args.get("passage_id"))
        elif event["type"] == "tool_result":
            say(f"  [cyan]{event['tool']}[/cyan] {escape(self.pending_query)} → {len(event['ids'])} passages")
        elif event["type"] == "note":
            say(f"  [green]evidence[/green] {escape(event['title'])}: “{escape(event['quote'][:100])}”")
        elif event["type"] == "view":
            say(f"  [magenta]writer view {event['view']}[/magenta] {escape(str(event['answer'])[:80])}"
                + ("" if event["grounded"] else " [dim](not in the passages)[/dim]"))
        elif event["type"] == "decide":
            say(f"  [magenta]compared dates[/magenta] → {escape(event['answer'])}")
        elif event["type"] == "abstain":
            say(f"  [yellow]abstains[/yellow]: {escape(event['reason'])}")
        elif event["type"] == "reflect" and not event["enough"]:
            say(f"  [yellow]missing[/yellow] {escape('; '.join(event['missing']))}")
        elif event["type"] == "calibrate":
            say(f"[dim]confidence {event['confidence']:.2f} from {event['signals']}[/dim]")
        elif event["type"] == "outline":
            say(f"[bold]outline[/bold] ({len(event['sections'])} sections from {event['candidates']} found): "
                + escape("; ".join(event["sections"])))
        elif event["type"] == "section":
            say(f"[bold]section {event['n']}/{event['of']}[/bold] {escape(event['title'])}")
        elif event["type"] == "section_done":
            found = f"{event['claims']} claims from {', '.join(event['sources'])}" if event["claims"] else \
                f"gap ({event['gap']})"
            say(f"  [green]{escape(found)}[/green]" + (f" [dim]({event['cut']} cut)[/dim]" if event["cut"] else ""))
        elif event["type"] == "report":
            c = event["counts"]
            say(f"[bold]report[/bold] {event['status']}: {c['sections']} sections, {c['passages_cited']} passages "
                f"of {c['sources_cited']} documents cited, {c['searches']} searches")
        elif event["type"] == "error":
            say(f"  [red]model failure ({event['role']}), continuing: {escape(event['error'][:120])}[/red]")

"""Export a run in the BrowseComp-Plus run format (one JSON object per query)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from scent.events import RunEnd, RunStart, TraceEvent


def browsecomp_run(events: list[dict[str, Any]], query_id: str | None = None) -> dict[str, Any]:
    """`query_id`, `tool_call_counts`, `status`, `retrieved_docids` (every passage a search returned, in order,
    once), `result` (the answer and its citations) — from the events of the last (resumed) run in a trace."""
    typed = cast("list[TraceEvent]", events)
    starts = [i for i, e in enumerate(typed) if e["type"] == "run_start"]
    run = typed[starts[-1]:] if starts else typed
    start: RunStart | None = run[0] if run and run[0]["type"] == "run_start" else None
    end: RunEnd | None = next((e for e in reversed(run) if e["type"] == "run_end"), None)
    counts = Counter(e["tool"] for e in run if e["type"] == "tool_call")
    retrieved = list(dict.fromkeys(i for e in run if e["type"] == "tool_result" and e["tool"] == "search"
                                   for i in e["ids"]))
    answer = (end["answer"] or {}) if end else {}
    return {
        "query_id": query_id or (start.get("query_id") or start.get("question", "") if start else ""),
        "tool_call_counts": dict(counts),
        "status": end["status"] if end else "incomplete",
        "retrieved_docids": retrieved,
        "result": [{"type": "output_text", "output": answer.get("answer", ""),
                    "citations": [c["id"] for c in answer.get("citations", [])],
                    "abstained": answer.get("abstained", True), "confidence": answer.get("confidence", 0.0)}],
    }

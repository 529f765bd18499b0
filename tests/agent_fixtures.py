"""A small real index and per-role scripted models for driving the agent deterministically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scent.index import Index
from scent.ingest.pipeline import build
from scent.llm.scripted import ScriptedLLM

ROLES = ("planner", "searcher", "reader", "writer", "judge")

DOCS = {
    "widgets.md": "# Widget manual\n\n## Limits\n\nWidgets are configured in widget.conf. The default limit is 42 "
                  "widgets per user. Administrators may raise it.\n\n## Colours\n\nWidgets come in blue and red.",
    "gadgets.txt": "Gadgets are larger than widgets. A gadget holds up to three widgets.",
    "history.md": "# History\n\nThe widget was invented by Ada Lovelace in 1843 in London.\n\n"
                  "## Inventors\n\nAda Lovelace was born in London in 1815.",
}


def make_index(tmp: Path, extra: dict[str, str] | None = None) -> Index:
    root = tmp / "docs"
    root.mkdir(exist_ok=True)
    for name, text in {**DOCS, **(extra or {})}.items():
        (root / name).write_text(text)
    build(tmp / "idx", [root])
    return Index.open(tmp / "idx")


def scripts(tmp: Path, replies: dict[str, list[Any]]) -> dict[str, ScriptedLLM]:
    """One scripted backend per role, replaying that role's replies in order (dicts are sent as JSON)."""
    llms = {}
    for role in ROLES:
        path = tmp / f"{role}.jsonl"
        lines = [json.dumps({"response": {"text": r if isinstance(r, str) else json.dumps(r),
                                          "usage": {"prompt_tokens": 100, "completion_tokens": 10}}})
                 for r in replies.get(role, [])]
        path.write_text("".join(line + "\n" for line in lines))
        llms[role] = ScriptedLLM(path)
    return llms

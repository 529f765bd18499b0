"""Rollout export: one JSON object per episode (format `scent-rollout/1`, docs/rl.md), readable by any trainer.

`messages` is the episode as an OpenAI-style chat (user prompt, assistant tool calls, tool results); each message
carries `loss_mask`: 1 for what the policy wrote (train on it), 0 for the prompt and for tool output (retrieved
text: never trained on). Tool messages also list the passage ids they showed. Rewards come per component with
their weighted `total`. Lines are appended and flushed one episode at a time, so a killed run keeps every
finished episode.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from scent.rl.env import Episode

ROLLOUT_FORMAT = "scent-rollout/1"


class RolloutError(ValueError):
    """A rollout file line that is not a scent rollout; the message names the file and line."""


def rollout(episode: Episode, tools: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    """One episode as a rollout record; `tools` (the action schemas the policy saw) and `extra` (e.g. the
    training step, the group of a GRPO batch) are stored with it."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": episode.prompt, "loss_mask": 0}]
    for n, turn in enumerate(episode.turns):
        call_id = f"call_{n}"
        messages.append({"role": "assistant", "content": turn.text, "loss_mask": 1, "tool_calls": [
            {"id": call_id, "type": "function",
             "function": {"name": turn.tool, "arguments": json.dumps(turn.arguments, ensure_ascii=False,
                                                                     default=str)}}]})
        messages.append({"role": "tool", "tool_call_id": call_id, "name": turn.tool, "content": turn.observation,
                         "loss_mask": 0, "retrieved_ids": turn.ids, "error": turn.error})
    if episode.final_text:
        messages.append({"role": "assistant", "content": episode.final_text, "loss_mask": 1})
    task = episode.task
    return {"format": ROLLOUT_FORMAT, **extra,
            "task": {"id": task.id, "question": task.question, "golden_answers": task.golden_answers,
                     "metadata": task.metadata},
            "messages": messages, "tools": tools or [], **episode.log()}


def write_rollouts(path: str | Path, records: Iterable[dict[str, Any]]) -> int:
    """Append rollout records to a JSONL file (created with its folder); returns how many were written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("a", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            f.flush()
            written += 1
    return written


def read_rollouts(path: str | Path) -> Iterator[dict[str, Any]]:
    """The rollout records of a JSONL file, checked for the format and the fields every reader needs; a torn
    last line (a killed writer) is skipped."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):
                return
            raise RolloutError(f"{path}:{number}: not JSON") from None
        if not isinstance(record, dict) or record.get("format") != ROLLOUT_FORMAT:
            raise RolloutError(f"{path}:{number}: not a {ROLLOUT_FORMAT} record")
        missing = [k for k in ("task", "messages", "rewards", "tool_calls") if k not in record]
        if missing:
            raise RolloutError(f"{path}:{number}: missing {', '.join(missing)}")
        yield record

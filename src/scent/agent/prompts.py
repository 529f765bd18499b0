"""Prompt templates live in `prompts/*.txt`; this module loads and fills them."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from scent.llm.base import Message


@functools.cache
def template(name: str) -> str:
    return resources.files("scent.agent").joinpath(f"prompts/{name}.txt").read_text(encoding="utf-8")


def messages(name: str, **fields: Any) -> list[Message]:
    """The system prompt (fixed: documents cannot change it) and one filled-in user turn."""
    return [{"role": "system", "content": template("system").strip()},
            {"role": "user", "content": template(name).format(**fields).strip()}]


def data(text: str) -> str:
    """Document text made safe to place between <passage> delimiters: delimiters inside it are defused, so a
    document cannot close its quote and speak as the prompt."""
    return text.replace("<passage", "‹passage").replace("</passage", "‹/passage")


def int_choice(low: int, high: int) -> dict[str, Any]:
    """An integer in [low, high] as an enum: llama.cpp grammars enforce enums but not minimum/maximum (a small
    model under a grammar will otherwise emit 1000000000000000 for a 0-100 score)."""
    return {"type": "integer", "enum": list(range(low, high + 1))}

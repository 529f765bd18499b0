"""Prompt templates live in `prompts/*.txt`; this module loads and fills them."""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

from scent.llm.base import Message


@functools.cache
def template(name: str) -> str:
    return resources.files("scent.agent").joinpath(f"prompts/{name}.txt").read_text(encoding="utf-8")


def messages(name: str, system: str = "system", **fields: Any) -> list[Message]:
    """The system prompt (fixed: documents cannot change it) and one filled-in user turn."""
    return [{"role": "system", "content": template(system).strip()},
            {"role": "user", "content": template(name).format(**fields).strip()}]


# `<passage`, `</PASSAGE`, `< / Passage`: any spelling a model might read as our delimiter
_DELIMITER = re.compile(r"<(\s*/?\s*passage)", re.IGNORECASE)
# line breaks, other whitespace runs, C0/C1 controls and bidi controls: one line of a prompt holds none of them
_NOT_INLINE = re.compile("[\\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]+")


def data(text: str) -> str:
    """Document text made safe to place between <passage> delimiters: delimiters inside it, in any case and
    spacing, are defused (`<` becomes `‹`), so a document cannot close its quote and speak as the prompt."""
    return _DELIMITER.sub(r"‹\1", text)


def data_line(text: str, limit: int = 200) -> str:
    """Document text for one line of a prompt (a title, a heading path, a file name, a record id): line breaks
    and control characters collapse to single spaces, so it cannot start a line of its own (`System: …`);
    delimiters are defused as in `data`; at most `limit` characters."""
    flat = _NOT_INLINE.sub(" ", text).strip()
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return data(flat)


def numbered_passages(items: list[tuple[str, str]]) -> str:
    """`[n] <passage>TITLE: TEXT</passage>` lines for (title, text) pairs: everything that comes from a document,
    its title included, inside the delimiters, the title on one line."""
    return "\n".join(f"[{n}] <passage>{data_line(title)}: {data(text)}</passage>"
                     for n, (title, text) in enumerate(items, 1))


def int_choice(low: int, high: int) -> dict[str, Any]:
    """An integer in [low, high] as an enum: llama.cpp grammars enforce enums but not minimum/maximum (a small
    model under a grammar will otherwise emit 1000000000000000 for a 0-100 score)."""
    return {"type": "integer", "enum": list(range(low, high + 1))}

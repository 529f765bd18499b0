"""The grader: the judge role's verdict on whether an answer means the same as a gold answer, and the eval's
prompts (files in eval/prompts/, as the agent's are in agent/prompts/)."""

from __future__ import annotations

from importlib import resources
from typing import Any

from scent.protocols import LLM

ANSWER_SUPPORT_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["correct"],
                       "properties": {"correct": {"type": "boolean"}}}


def prompt(name: str, **fields: Any) -> str:
    """eval/prompts/NAME.txt filled in with `fields`."""
    text = resources.files("scent.eval").joinpath(f"prompts/{name}.txt").read_text(encoding="utf-8")
    return text.rstrip("\n").format(**fields)


def ask_json(llm: LLM, user: str, schema: dict[str, Any], max_tokens: int) -> dict[str, Any]:
    """One schema-checked call with the agent's system prompt; the JSON object, or {} when it is not one."""
    from scent.agent import prompts

    system = prompts.template("system").strip()
    reply = llm.complete([{"role": "system", "content": system}, {"role": "user", "content": user}],
                         schema=schema, max_tokens=max_tokens)
    return reply.json_value if isinstance(reply.json_value, dict) else {}


def judge_answer(llm: LLM, question: str, golds: list[str], prediction: str) -> bool:
    """The judge role's verdict on whether `prediction` means the same as one of `golds`."""
    value = ask_json(llm, prompt("answer_judge", question=question, golds=" | ".join(golds), prediction=prediction),
                     ANSWER_SUPPORT_SCHEMA, 20)
    return bool(value.get("correct"))

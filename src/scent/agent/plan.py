"""Plan: restate the question, list the facts to find, split into sub-questions only when it needs them."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from scent.agent.context import RunContext

SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["restated", "facts", "sub_questions"],
    "properties": {
        "restated": {"type": "string", "maxLength": 200},
        "facts": {"type": "array", "maxItems": 3, "items": {"type": "string", "maxLength": 120}},
        "sub_questions": {"type": "array", "maxItems": 3, "items": {
            "type": "object", "additionalProperties": False, "required": ["question", "depends_on_previous"],
            "properties": {"question": {"type": "string", "maxLength": 160},
                           "depends_on_previous": {"type": "boolean"}}}},
    },
}


class SubQuestion(BaseModel):
    question: str
    depends_on_previous: bool = False


class Plan(BaseModel):
    restated: str
    facts: list[str] = Field(default_factory=list)
    sub_questions: list[SubQuestion] = Field(default_factory=list)


def make_plan(ctx: RunContext) -> Plan:
    """The planner's plan, made safe: the question itself is always the first thing searched, sub-questions
    that merely repeat it or name things the question does not (a small model's guesses: "… in MySQL?" for a
    PostgreSQL corpus) are dropped, and a failed planner call degrades to "search the question"."""
    value = ctx.ask("planner", "plan", SCHEMA, max_tokens=300, question=ctx.question) or {}
    question = SubQuestion(question=ctx.question)
    subs = [SubQuestion(**s) for s in value.get("sub_questions", [])
            if s.get("question", "").strip() and _differs(s["question"], ctx.question)
            and not _new_names(s["question"], ctx.question)]
    plan = Plan(restated=value.get("restated") or ctx.question, facts=value.get("facts") or [],
                sub_questions=[question, *subs])
    ctx.trace.emit("plan", **plan.model_dump())
    return plan


def _differs(a: str, b: str) -> bool:
    wa, wb = set(a.lower().split()), set(b.lower().split())
    return len(wa ^ wb) > max(2, len(wa | wb) // 4)


_NAME = re.compile(r"(?<=\w )[A-Z][\w'-]*")  # a capitalised word that does not start the sentence


def _new_names(sub_question: str, question: str) -> set[str]:
    """Names in the sub-question that the question does not contain."""
    return {n for n in _NAME.findall(sub_question) if n.lower() not in question.lower()}

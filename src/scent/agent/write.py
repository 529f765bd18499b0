"""The ledger as the report writer sees it, and citation checks (verbatim quote + the judge's support check)."""

from __future__ import annotations

import re

from scent.agent.context import RunContext
from scent.agent.ledger import find_verbatim
from scent.agent.prompts import data, numbered_passages
from scent.agent.relevance import relevance
from scent.types import Citation, Evidence

MAX_EVIDENCE = 6

JUDGE_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["supported"],
                "properties": {"supported": {"type": "boolean"}}}


def select_evidence(ctx: RunContext) -> list[Evidence]:
    """The evidence the writer sees: the items most relevant to the question (or to the sub-question they were
    found for, whichever is higher), ties in the order found. The order is deterministic even when sub-agents
    ran concurrently (resume relies on it)."""
    order = {id(e): i for i, e in enumerate(ctx.ledger.items)}

    def rank(e: Evidence) -> tuple[float, int]:
        text = f"{e.title} {e.quote}"
        return -max(relevance(ctx.question, text), relevance(e.question, text) if e.question else 0.0), order[id(e)]

    return sorted(ctx.ledger.items, key=rank)[:MAX_EVIDENCE]


def numbered(evidence: list[Evidence]) -> str:
    """Everything from a document, the title included, inside the delimiters."""
    return numbered_passages([(e.title, e.quote) for e in evidence])


def renumber(text: str, mapping: dict[int, int]) -> str:
    """Rewrite [n] markers by `mapping`; markers of citations that were dropped disappear."""
    return re.sub(r"\s?\[(\d+)\]", lambda m: f" [{mapping[int(m.group(1))]}]" if int(m.group(1)) in mapping
                  else "", text).strip()


def verify_evidence(ctx: RunContext, claim: str, cited: list[tuple[int, Evidence]]) -> list[Citation]:
    citations = []
    for n, e in cited:
        passage = ctx.tools.index.get(e.passage_id)
        verbatim = passage is not None and find_verbatim(passage.text, e.quote) is not None
        judged = True
        if verbatim and ctx.config.judge:
            value = ctx.ask("judge", "judge", JUDGE_SCHEMA, max_tokens=20, claim=claim, quote=data(e.quote))
            judged = bool(value and value.get("supported"))
        citations.append(Citation(n=n, id=e.passage_id, evidence_id=e.id, path=e.path, title=e.title,
                                  quote=e.quote, supported=verbatim and judged))
        ctx.trace.emit("verify", evidence=e.id, verbatim=verbatim, judged=judged)
    return citations

"""Citation checks: the quote is verbatim in its passage, and (when asked) the judge agrees it supports the claim."""

from __future__ import annotations

from scent.agent.context import RunContext
from scent.agent.ledger import find_verbatim
from scent.agent.prompts import data
from scent.types import Citation, Evidence

SUPPORT_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["supported"],
                "properties": {"supported": {"type": "boolean"}}}


def verify_evidence(ctx: RunContext, claim: str, cited: list[tuple[int, Evidence]]) -> list[Citation]:
    citations = []
    for n, e in cited:
        passage = ctx.tools.index.get(e.passage_id)
        verbatim = passage is not None and find_verbatim(passage.text, e.quote) is not None
        judged = True
        if verbatim and ctx.config.judge:
            value = ctx.ask("judge", "judge", SUPPORT_SCHEMA, max_tokens=20, claim=claim, quote=data(e.quote))
            judged = bool(value and value.get("supported"))
        citations.append(Citation(n=n, id=e.passage_id, evidence_id=e.id, path=e.path, title=e.title,
                                  quote=e.quote, supported=verbatim and judged))
        ctx.trace.emit("verify", evidence=e.id, verbatim=verbatim, judged=judged)
    return citations

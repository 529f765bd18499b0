"""A sub-agent: the search loop for one (sub-)question.

search → skim → read (record verbatim evidence) → reflect (what is missing?) → new queries, until nothing is
missing, no round makes progress, or the budget ends. The program carries the moves a small model does badly:
the question itself is searched first, titles of hits become entity-following queries, and the document of the
best evidence is opened or searched for what is still missing.
"""

from __future__ import annotations

import re
from collections import deque

from scent.agent.context import RunContext
from scent.agent.prompts import data, int_choice
from scent.agent.relevance import rank_spans
from scent.types import Evidence, Passage

_WORD = re.compile(r"[A-Za-z0-9][\w'-]{3,}")

MAX_CANDIDATES = 8  # a 0.5B reader shown more picks by position


def read_schema(n: int) -> dict[str, object]:
    return {"type": "object", "additionalProperties": False, "required": ["sentences"],
            "properties": {"sentences": {"type": "array", "maxItems": 3, "items": int_choice(1, max(n, 1))}}}


REFLECT_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["enough", "missing"],
    "properties": {"enough": {"type": "boolean"},
                   "missing": {"type": "array", "maxItems": 2, "items": {"type": "string", "maxLength": 100}}},
}
QUERIES_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["queries"],
    "properties": {"queries": {"type": "array", "maxItems": 3, "items": {"type": "string", "maxLength": 80}}},
}


def research(ctx: RunContext, question: str, hints: list[str] | None = None) -> list[Evidence]:
    """Search for one (sub-)question; returns the evidence it added to the shared ledger."""
    found: list[Evidence] = []
    queries = deque([question, *(f"{question} {h}" for h in hints or [])])
    read: set[str] = set()
    for round_ in range(1, ctx.config.budget.max_rounds + 1):
        before = len(found)
        titles: list[str] = []
        ran = 0
        while queries and ran < ctx.config.queries_per_round and not ctx.budget.exhausted():
            observation = ctx.tool("search", query=queries.popleft(), k=ctx.config.k)
            if observation is None:  # a repeated query, refused by the loop guard
                continue
            ran += 1
            if not observation.ids:
                continue
            hits = [p for p in (ctx.tools.index.get(i) for i in observation.ids) if p is not None]
            titles += [h.title for h in hits]
            fresh = [h for h in hits if h.id not in read][: ctx.config.read_top]
            read.update(h.id for h in fresh)
            found += read_passages(ctx, question, fresh)
        missing = reflect(ctx, question, found, round_)
        if missing is None or ctx.budget.exhausted():
            break
        if len(found) == before and round_ > 1:
            ctx.trace.emit("stop", question=question, reason="no progress")
            break
        found += follow_up(ctx, question, found, missing, read)
        queries.extend(propose_queries(ctx, question, missing, titles))
    return found


def candidate_sentences(question: str, passages: list[Passage]) -> list[tuple[Passage, str]]:
    """What the reader chooses from: the passages' most relevant spans, best first (see `relevance`)."""
    return [(span.passage, span.text) for span in rank_spans(question, passages, MAX_CANDIDATES)]


def read_passages(ctx: RunContext, question: str, passages: list[Passage]) -> list[Evidence]:
    """The reader picks the spans that help, by number, from a short list ranked by the program: a choice even a
    0.5B model makes reliably, and the quote is the passage's own words by construction."""
    candidates = candidate_sentences(question, passages)
    if not candidates:
        return []
    listing = "\n".join(f"{n}. ({data(p.title)}) <passage>{data(s)}</passage>"
                        for n, (p, s) in enumerate(candidates, 1))
    value = ctx.ask("reader", "read", read_schema(len(candidates)), max_tokens=40, question=question,
                    sentences=listing) or {}
    added = []
    for n in dict.fromkeys(value.get("sentences", [])):
        if 1 <= n <= len(candidates):
            passage, sentence = candidates[n - 1]
            evidence = ctx.ledger.add(passage, sentence, "", question)
            if evidence is not None:
                ctx.trace.emit("note", **evidence.model_dump())
                added.append(evidence)
    return added


def reflect(ctx: RunContext, question: str, found: list[Evidence], round_: int) -> list[str] | None:
    """What is still missing, or None when the evidence is enough."""
    if not found:
        ctx.trace.emit("reflect", question=question, round=round_, enough=False, missing=[question])
        return [question]
    evidence = "\n".join(f"- {e.quote}" for e in found[-6:])
    value = ctx.ask("reader", "reflect", REFLECT_SCHEMA, max_tokens=120, question=question, evidence=evidence)
    enough = bool(value and value.get("enough"))
    missing = [m for m in (value or {}).get("missing", []) if m.strip()] or ([] if enough else [question])
    ctx.trace.emit("reflect", question=question, round=round_, enough=enough, missing=missing)
    return None if enough else missing


def follow_up(ctx: RunContext, question: str, found: list[Evidence], missing: list[str],
              read: set[str]) -> list[Evidence]:
    """Look inside the document of the latest evidence: find the missing terms there, else open its
    neighbouring passages, and read what turns up."""
    if not found:
        return []
    anchor = found[-1].passage_id
    terms = sorted({w for m in missing for w in _WORD.findall(m)} - set(_WORD.findall(question)), key=len)
    observation = ctx.tool("find_in_document", passage_id=anchor, pattern=terms[-1]) if terms else None
    if observation is None or not observation.ids:
        observation = ctx.tool("open_document", passage_id=anchor, window=1)
    if observation is None:
        return []
    passages = [p for p in (ctx.tools.index.get(i) for i in observation.ids if i not in read) if p is not None]
    read.update(p.id for p in passages)
    return read_passages(ctx, question, passages[: ctx.config.read_top])


def propose_queries(ctx: RunContext, question: str, missing: list[str], titles: list[str]) -> list[str]:
    """The model's reformulations, then entity-following queries from the titles of hits."""
    value = ctx.ask("searcher", "queries", QUERIES_SCHEMA, max_tokens=120, question=question,
                    searched="; ".join(q[:60] for q in ctx.queries[-6:]),
                    missing="; ".join(missing))
    proposed = [q.strip() for q in (value or {}).get("queries", []) if q.strip()]
    entities = [f"{t} {missing[0]}" for t in dict.fromkeys(titles) if t.lower() not in question.lower()][:2]
    return proposed + entities

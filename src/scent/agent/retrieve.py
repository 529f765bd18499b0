"""Relentless retrieval, driven by the program: the evidence pool is a superset of what one-shot RAG sees.

1. Wide first hop: the question at `wide_k`, fused with exact-phrase lookups of the names it quotes or capitalises
   (a title lookup finds the page *about* a name, which the whole question may rank low) and of the identifiers
   and qualified names it gives in any case (`cpu_tuple_cost`, `list.sort`: a manual's entry for them).
2. The question's subject terms (rare words and identifiers, in any case) that the corpus does not hold are
   recorded (`Pool.absent`, `scent.agent.answerability`): a question about something the corpus never mentions is
   abstained on, whatever the writer would say.
3. Second hop on names found *inside* the best passages (their most relevant sentences first): the bridge entity
   of a multi-hop question ("the woman who portrayed Corliss Archer" → "Shirley Temple") is looked up by name.
4. Inside the right document: the neighbours of the best passages of multi-passage documents.
5. Model-proposed queries on top, when configured (a strong served model is good at it; the 0.5B one was not).

Every search goes through `RunContext.tool`, so the loop guards (no repeated query, step budget) and the trace
apply. Each passage keeps a fused rank score over the searches that found it (reciprocal rank, weighted by hop).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from scent.agent import select
from scent.agent.answerability import fold, holds, near, subject_terms, vocabulary
from scent.agent.context import RunContext
from scent.agent.prompts import data
from scent.agent.relevance import rank_spans
from scent.agent.tuning import HOP_RRF_K, HOP_WEIGHTS, PASSAGE_QUOTAS
from scent.text import MONTHS, bare_title, code_names, mentions, names
from scent.types import Passage


@dataclass
class Pool:
    """Every passage retrieved for one question, in the order found, with its fused rank score."""

    passages: dict[str, Passage] = field(default_factory=dict)
    prior: dict[str, float] = field(default_factory=dict)
    absent: list[str] = field(default_factory=list)  # subject terms of the question the corpus does not hold

    def add(self, passages: list[Passage], hop: str) -> int:
        new = 0
        for rank, p in enumerate(passages):
            if p.id not in self.passages:
                self.passages[p.id] = p
                new += 1
            self.prior[p.id] = self.prior.get(p.id, 0.0) + HOP_WEIGHTS[hop] / (HOP_RRF_K + rank)
        return new

    def scored(self, question: str) -> list[select.Scored]:
        return select.score(question, list(self.passages.values()), self.prior)


def gather(ctx: RunContext, question: str, sub_questions: list[str] | None = None) -> Pool:
    pool = Pool()
    config = ctx.config
    _search(ctx, pool, "search", "question", query=question, k=config.wide_k)
    for sub in sub_questions or []:
        _search(ctx, pool, "search", "plan", query=sub, k=config.k)
    if config.variants:
        quoted = names(question)[:4]
        for name in quoted:
            _search(ctx, pool, "lookup", "phrase", phrase=name, k=config.k)
        for name in [n for n in code_names(question) if n not in quoted][:3]:
            _search(ctx, pool, "lookup", "phrase", phrase=name, k=config.k)  # a manual's entry for it
    pool.absent = absent_terms(ctx, pool, question)
    if pool.absent:
        ctx.trace.emit("stop", question=question, reason="absent", terms=pool.absent)
        return pool
    top = [s.passage for s in pool.scored(question)[:5]]
    for name in bridge_names(question, top, list(pool.passages.values()))[: config.entity_hops]:
        _search(ctx, pool, "lookup", "entity", phrase=name, k=config.k)
    if config.document_hops:
        for p in [s.passage for s in pool.scored(question)[:2] if s.passage.source_id is None]:
            _search(ctx, pool, "open_document", "document", passage_id=p.id, window=1)
    for round_ in range(1, config.model_rounds + 1):
        if not model_round(ctx, pool, question, round_):
            break
    return pool


def _search(ctx: RunContext, pool: Pool, tool: str, hop: str, **arguments: object) -> int:
    observation = ctx.tool(tool, **arguments)
    if observation is None or not observation.ids:
        return 0
    passages = [ctx.tools.index.get(i) for i in observation.ids]
    return pool.add([p for p in passages if p is not None], hop)


def absent_terms(ctx: RunContext, pool: Pool, question: str) -> list[str]:
    """The question's subject terms (`answerability.subject_terms`: rare words and identifiers, in any case) that
    the corpus does not hold: in no retrieved passage, not found by an exact-word lookup, and not a typo of a word
    of the retrieved passages."""
    vocab = vocabulary(pool.passages.values())
    missing = []
    for term in subject_terms(question):
        if fold(term) in vocab or any(holds(w, term) for w in vocab if w.startswith(term[:3])):
            continue
        observation = ctx.tool("lookup", phrase=term, k=1)
        if observation is None or observation.ids or observation.error:
            continue
        if near(fold(term), vocab) is None:
            missing.append(term)
    return missing


def bridge_names(question: str, top: list[Passage], pool: list[Passage]) -> list[str]:
    """Names inside the best passages that neither the question nor the passage's own title names, and that no
    retrieved passage is titled by: the next hop. Within a passage, names from its sentences most relevant to the
    question come first; the best passage gets the most hops (it is usually the page about the question's own
    subject, which names the bridge entity), each next one fewer. Names of several words come first."""
    titles = {bare_title(p.title).lower() for p in pool}

    def wanted(name: str, passage: Passage) -> bool:
        words = [w.lower() for w in re.findall(r"\w+", name)]
        own = {w.lower() for w in re.findall(r"\w+", bare_title(passage.title))}
        return bool(words) and not (mentions(question, name) or name.lower() in titles or set(words) & own
                                    or all(w in MONTHS or w.isdigit() for w in words))

    out: list[str] = []
    for quota, passage in zip(PASSAGE_QUOTAS, top, strict=False):
        texts = [s.text for s in rank_spans(question, [passage], 2)] + [passage.text]
        found = [n for n in dict.fromkeys(n for t in texts for n in names(t)) if wanted(n, passage)]
        found.sort(key=lambda n: " " not in n)  # "Shirley Temple" before "American": several words name an entity
        out += [n for n in found if n not in out][:quota]
    return out


REFLECT_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["enough", "missing"],
    "properties": {"enough": {"type": "boolean"},
                   "missing": {"type": "array", "maxItems": 2, "items": {"type": "string", "maxLength": 100}}},
}
QUERIES_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["queries"],
    "properties": {"queries": {"type": "array", "maxItems": 3, "items": {"type": "string", "maxLength": 80}}},
}


def model_round(ctx: RunContext, pool: Pool, question: str, round_: int) -> bool:
    """The reader says what is missing from the best passages; the searcher proposes queries for it. False when
    the reader finds the evidence enough or the round adds nothing."""
    best = pool.scored(question)[:4]
    evidence = "\n".join(f"- <passage>{data(s.text)}</passage>"
                         for s in rank_spans(question, [b.passage for b in best], 6))
    value = ctx.ask("reader", "reflect", REFLECT_SCHEMA, max_tokens=120, question=question, evidence=evidence)
    enough = bool(value and value.get("enough"))
    missing = [m for m in (value or {}).get("missing", []) if m.strip()]
    ctx.trace.emit("reflect", question=question, round=round_, enough=enough, missing=missing)
    if enough:
        return False
    proposed = ctx.ask("searcher", "queries", QUERIES_SCHEMA, max_tokens=120, question=question,
                       searched="; ".join(q[:60] for q in ctx.queries[-6:]), missing="; ".join(missing or [question]))
    added = sum(_search(ctx, pool, "search", "model", query=q.strip(), k=ctx.config.k)
                for q in (proposed or {}).get("queries", []) if q.strip())
    return added > 0

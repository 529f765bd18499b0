"""The agent: [plan ▸] retrieve ▸ select ▸ write (views vote) ▸ ground ▸ verify ▸ calibrate. It only answers;
`scent.research.Researcher` builds a report from the same parts (`start`, `search`, `end`).

The program carries the search (wide first hop, names followed inside passages, the right document opened) and
chooses the passages; the model makes the narrow choices it is good at (a short answer from a few passages).
How a run ends is a typed outcome: `Answered` or `Abstained` with its reason.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from scent.agent import answerability, compare, entries, likelihood, select
from scent.agent.answer import decide_same, views_abstain, write_and_vote
from scent.agent.calibrate import Calibrator, for_writer
from scent.agent.context import AgentConfig, RunContext
from scent.agent.plan import make_plan
from scent.agent.relevance import rank_spans
from scent.agent.retrieve import Pool, gather
from scent.agent.verify import verify_evidence
from scent.protocols import LLM, Index
from scent.text import key_terms, mentions, says_unknown, sentence_spans
from scent.tools import Tools
from scent.trace import TracedLLM, TraceWriter
from scent.types import Answer, Citation, Evidence, Passage, Usage

NOT_FOUND = "Not found in the corpus."


@dataclass(frozen=True)
class Answered:
    text: str
    decided_by: Literal["writer", "program"]
    holders: list[str]  # passages that hold the answer (or were compared)
    agreement: float
    settled: bool = True  # False: the views' answer is contested (no clear plurality)


@dataclass(frozen=True)
class Abstained:
    reason: Literal["absent", "no_evidence", "ungrounded", "disagree", "low_confidence", "writer_failed"]
    draft: str = ""


@dataclass
class Written:
    """What the answer step hands to `finish`."""

    outcome: Answered | Abstained
    citations: list[Citation] = field(default_factory=list)
    confidence: float = 0.0
    signals: dict[str, float] = field(default_factory=dict)
    views: list[dict[str, Any]] = field(default_factory=list)


class Agent:
    """One agent, many runs. `llms` maps each role to its backend; `models` (role → spec) goes in the trace."""

    def __init__(self, index: Index, llms: dict[str, LLM], config: AgentConfig | None = None,
                 calibrator: Calibrator | None = None, run_info: dict[str, Any] | None = None) -> None:
        self.index = index
        self.llms = llms
        self.config = config or AgentConfig()
        writer = llms.get("writer")
        self.calibrator = calibrator or for_writer(writer.spec if writer is not None else "")
        self.run_info = run_info or {}

    def run(self, question: str, trace: TraceWriter) -> Answer:
        """Answer `question`, recording every step in `trace`."""
        started = time.monotonic()
        ctx = self.start(question, trace)
        pool, chosen, evidence = self.search(ctx, ctx.config.passages)
        return self.end(ctx, self.finish(ctx, self.answer(ctx, pool, chosen), evidence, chosen), started)

    def search(self, ctx: RunContext, passages: int) -> tuple[Pool, list[Passage], list[Evidence]]:
        """The search phase: [plan ▸] gather ▸ choose `passages` whole passages ▸ note them in the ledger."""
        question = ctx.question
        sub_questions = [sq.question for sq in make_plan(ctx).sub_questions[1:]] if ctx.config.plan else []
        pool = gather(ctx, question, sub_questions)
        chosen = [s.passage for s in select.choose(question, pool.scored(question), passages, ctx.config.pair_rerank)]
        return pool, chosen, record(ctx, question, chosen)

    def end(self, ctx: RunContext, answer: Answer, started: float) -> Answer:
        """`answer` timed, and the run's `run_end` event written."""
        answer.usage.seconds = round(time.monotonic() - started, 2)
        ctx.trace.emit("run_end", status=answer.status, abstained=answer.abstained, confidence=answer.confidence,
                       answer=answer.model_dump(exclude={"trace"}))
        return answer

    def start(self, question: str, trace: TraceWriter, mode: Literal["answer", "report"] = "answer") -> RunContext:
        """A run's context; `mode` is recorded in `run_start` (a report is `scent.research.Researcher`'s run)."""
        if not question.strip():
            raise ValueError("the question is empty")
        traced = {role: TracedLLM(llm, trace, role) for role, llm in self.llms.items()}
        trace.emit("run_start", question=question, mode=mode, config=self.config.model_dump(),
                   models={role: llm.spec for role, llm in self.llms.items()}, **self.run_info)
        return RunContext(question, Tools(self.index), dict(traced), trace, self.config)

    def answer(self, ctx: RunContext, pool: Pool, chosen: list[Passage]) -> Written:
        question = ctx.question
        if pool.absent:
            return Written(Abstained("absent"))
        if not chosen:
            return Written(Abstained("no_evidence"))
        decision = (compare.decide(question, chosen) or compare.decide_named(question, chosen)
                    or decide_same(ctx, question, chosen)) if ctx.config.compare else None
        decision = decision or entries.decide_default(question, chosen)
        votes = None if decision else write_and_vote(ctx, question, chosen)
        votes, likely = likelihood.reread(ctx, question, chosen, votes) if votes is not None else (None, {})
        if votes is not None and votes.winner is not None:
            ctx.trace.emit("vote", answer=votes.winner.text, agreement=votes.agreement, settled=votes.settled,
                           doubted=votes.doubted)
        outcome: Answered | Abstained
        why = views_abstain(votes) if votes is not None else None
        if decision is not None:
            outcome = Answered(decision.answer, "program", decision.passages, 1.0)
            ctx.trace.emit("decide", answer=decision.answer, passages=decision.passages, values=decision.values)
        elif votes is None or votes.winner is None or why is not None:
            raws = [c.raw for c in votes.candidates if c.raw] if votes else []
            draft = votes.winner.text if votes is not None and votes.winner is not None else raws[0] if raws else ""
            outcome = Abstained(why or "writer_failed", draft)
        else:
            outcome = Answered(votes.winner.text, "writer", votes.winner.passages, votes.agreement, votes.settled)
        views = [{"view": c.view, "answer": c.raw, "grounded": c.text} for c in votes.candidates] if votes else []
        citations = verify_evidence(ctx, f"{question} — {outcome.text}", list(enumerate(
            cite(ctx, question, outcome, chosen), 1))) if isinstance(outcome, Answered) else []
        unknown = sum(says_unknown(c.raw) for c in votes.candidates) / len(votes.candidates) if votes and \
            votes.candidates else 0.0
        values = signals(question, outcome, chosen, pool, citations, unknown) | likely
        confidence = self.calibrator.confidence(values) if isinstance(outcome, Answered) else 0.0
        ctx.trace.emit("calibrate", signals=values, confidence=confidence, calibrator=self.calibrator.fitted_on)
        below = self.calibrator.threshold if ctx.config.abstain_below is None else ctx.config.abstain_below
        if isinstance(outcome, Answered) and confidence < below:
            outcome = Abstained("low_confidence", outcome.text)
        return Written(outcome, citations, confidence, values, views)

    def finish(self, ctx: RunContext, written: Written, evidence: list[Evidence], chosen: list[Passage]) -> Answer:
        outcome = written.outcome
        supported = [c for c in written.citations if c.supported]
        abstained = isinstance(outcome, Abstained) or not supported
        reason = outcome.reason if isinstance(outcome, Abstained) else None if supported else "ungrounded"
        status = "budget_exhausted" if ctx.budget.exhausted() else "complete" if ctx.counts["llm_failures"] == 0 \
            else "partial"
        closest = [Citation(n=n, id=e.passage_id, evidence_id=e.id, path=e.path, title=e.title, quote=e.quote,
                            supported=False, source_id=e.source_id) for n, e in enumerate(evidence[:3], 1)]
        usage = Usage(**{k: v for k, v in ctx.counts.items() if k in Usage.model_fields})
        draft = outcome.text if isinstance(outcome, Answered) else outcome.draft
        if reason:
            ctx.trace.emit("abstain", reason=reason, draft=draft)
        return Answer(question=ctx.question, answer=NOT_FOUND if abstained else draft, abstained=abstained,
                      explanation="" if abstained else " ".join(f'[{n}] "{c.quote}"' for n, c in
                                                                 enumerate(supported, 1)),
                      confidence=written.confidence,
                      citations=[] if abstained else [c.model_copy(update={"n": n}) for n, c in
                                                      enumerate(supported, 1)],
                      closest=closest if abstained else [], status=status, usage=usage, trace=str(ctx.trace.path),
                      abstain_reason=reason, draft=draft,
                      signals=written.signals, decided_by=outcome.decided_by if isinstance(outcome, Answered) else "",
                      evidence_ids=[p.id for p in chosen], retrieved_ids=list(ctx.retrieved), views=written.views)


def record(ctx: RunContext, question: str, chosen: list[Passage]) -> list[Evidence]:
    """The ledger: each chosen passage, whole, with its sentence most relevant to the question marked."""
    out = []
    for p in chosen:
        spans = rank_spans(question, [p], 1)
        item = ctx.ledger.add(p, spans[0].text if spans else p.text[:300], question)
        if item is not None:
            ctx.trace.emit("note", **item.model_dump())
            out.append(item)
    return out


def cite(ctx: RunContext, question: str, outcome: Answered, chosen: list[Passage]) -> list[Evidence]:
    """The evidence an answer rests on: the passages that hold it (its sentence quoted), and the best passage
    when it leads there (a bridge); for yes/no, the two best passages; for a comparison, the two compared."""
    by_id = {p.id: p for p in chosen}
    cited = [by_id[i] for i in outcome.holders if i in by_id][:2] or chosen[:2]
    if chosen and chosen[0] not in cited and any(select.linked(chosen[0], p, question) for p in cited):
        cited = [chosen[0], *cited]
    out = []
    for p in cited:
        spans = rank_spans(question, [p], 1)
        quote = _sentence_with(p, outcome.text) or (spans[0].text if spans else " ".join(p.text[:300].split()))
        item = ctx.ledger.get_or_add(p, quote, question)
        if item is not None:
            out.append(item)
    return out


def _sentence_with(passage: Passage, answer: str) -> str | None:
    if not answer or answer in ("yes", "no"):
        return None
    # A short answer ("0", "-1") is matched as a whole token: `mentions` takes names of three letters or more.
    short = re.compile(r"(?<![\w.-])" + re.escape(answer) + r"(?![\w.])") if len(answer) < 3 else None
    for start, end in sentence_spans(passage.text, 0, len(passage.text)):
        sentence = passage.text[start:end]
        if mentions(sentence, answer) or (short is not None and short.search(sentence)):
            return " ".join(sentence.split())
    return None


def signals(question: str, outcome: Answered | Abstained, chosen: list[Passage], pool: Pool,
            citations: list[Citation], unknown: float = 0.0) -> dict[str, float]:
    """The calibrator's inputs (see `scent.agent.calibrate`); `unknown` is the share of the writer's views that
    said the passages do not hold the answer."""
    supported = [c for c in citations if c.supported]
    keys = key_terms(question)
    text = " ".join(f"{p.title}\n{p.text}" for p in chosen)
    answered = outcome if isinstance(outcome, Answered) else None
    holders = [p for p in chosen if answered is not None and p.id in answered.holders]
    resting = answerability.supporting(holders, chosen, question) if holders else chosen[:1]
    sentence = next((c.quote for c in citations if holders and c.id == holders[0].id), "")
    return {"agreement": answered.agreement if answered else 0.0,
            "grounded": float(answered is not None),
            "coverage": round(select.coverage(question, chosen, list(pool.passages.values())), 4),
            "names": round(sum(mentions(text, k) for k in keys) / len(keys), 4) if keys else 1.0,
            "support": len(supported) / len(citations) if citations else 0.0,
            "sources": min(len({(c.path, c.source_id) for c in supported}), 3) / 3,
            "yes_no": float(answered is not None and answered.text.lower() in ("yes", "no")),
            "program": float(answered is not None and answered.decided_by == "program"),
            "settled": float(answered is not None and answered.settled),
            "subject": round(answerability.subject_coverage(question, resting), 4),
            "relation": round(answerability.relation(question, sentence, holders[0] if holders else None), 4),
            "backing": round(select.coverage(question, resting, list(pool.passages.values())), 4),
            "unknown": round(unknown, 4),
            "type_match": answerability.type_match(question, answered.text) if answered else 0.0}

"""The research agent: plan ▸ dispatch ▸ [search ▸ read ▸ note ▸ reflect]* ▸ write ▸ verify ▸ calibrate."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Literal

from scent.agent.calibrate import Calibrator
from scent.agent.context import AgentConfig, RunContext
from scent.agent.plan import Plan, make_plan
from scent.agent.report import write_report
from scent.agent.search import research
from scent.agent.write import renumber, signals, verify, write_answer
from scent.llm.base import ChatBackend
from scent.protocols import Index
from scent.tools import Tools
from scent.trace import TracedLLM, TraceWriter
from scent.types import Answer, Citation, Usage

Mode = Literal["answer", "report"]
NOT_FOUND = "Not found in the corpus."


class Agent:
    """One agent, many runs. `llms` maps each role to its backend; `models` (role → spec) goes in the trace."""

    def __init__(self, index: Index, llms: dict[str, ChatBackend], config: AgentConfig | None = None,
                 calibrator: Calibrator | None = None, run_info: dict[str, Any] | None = None) -> None:
        self.index = index
        self.llms = llms
        self.config = config or AgentConfig()
        self.calibrator = calibrator or Calibrator()
        self.run_info = run_info or {}

    def run(self, question: str, trace: TraceWriter, mode: Mode = "answer") -> Answer:
        started = time.monotonic()
        ctx = self.start(question, trace, mode)
        plan = make_plan(ctx)
        self.dispatch(ctx, plan)
        answer = self.finish(ctx, *(self.answer(ctx) if mode == "answer" else self.report(ctx)))
        answer.usage.seconds = round(time.monotonic() - started, 2)
        trace.emit("run_end", status=answer.status, abstained=answer.abstained, confidence=answer.confidence,
                   answer=answer.model_dump(exclude={"trace"}))
        return answer

    def start(self, question: str, trace: TraceWriter, mode: Mode) -> RunContext:
        if not question.strip():
            raise ValueError("the question is empty")
        traced = {role: TracedLLM(llm, trace, role) for role, llm in self.llms.items()}
        trace.emit("run_start", question=question, mode=mode, config=self.config.model_dump(),
                   models={role: llm.spec for role, llm in self.llms.items()}, **self.run_info)
        return RunContext(question, Tools(self.index), dict(traced), trace, self.config)

    def dispatch(self, ctx: RunContext, plan: Plan) -> None:
        """Stages run in order; the sub-questions of a stage run concurrently, sharing the ledger. A later stage
        gets the titles of what earlier ones found (bridge entities) as query hints."""
        hints: list[str] = []
        for stage in plan.stages():
            async def run_stage(stage: list[Any] = stage, hints: list[str] = hints) -> list[Any]:
                return await asyncio.gather(*(asyncio.to_thread(research, ctx, sq.question, hints)
                                              for sq in stage))
            found = [e for result in asyncio.run(run_stage()) for e in result]
            hints = list(dict.fromkeys(e.title for e in found if e.title.lower() not in ctx.question.lower()))[:2]

    def answer(self, ctx: RunContext) -> tuple[str, str, list[Citation], float, None]:
        """Write from the ledger, verify each citation, calibrate: (answer, explanation, citations, confidence)."""
        draft = write_answer(ctx)
        if draft is None:
            return "", "", [], 0.0, None
        citations = verify(ctx, draft)
        values = signals(ctx.question, draft, citations)
        confidence = self.calibrator.confidence(values)
        ctx.trace.emit("calibrate", signals=values, confidence=confidence, calibrator=self.calibrator.fitted_on)
        return draft.answer, draft.explanation, citations, confidence, None

    def report(self, ctx: RunContext) -> tuple[str, str, list[Citation], float, str | None]:
        """A report's confidence is the share of its citations that passed verification."""
        report = write_report(ctx)
        if report is None or not report.citations:
            return "", "", [], 0.0, None
        confidence = sum(c.supported for c in report.citations) / len(report.citations)
        ctx.trace.emit("calibrate", signals={"support": confidence}, confidence=confidence, calibrator="report")
        return report.title, "", report.citations, confidence, report.markdown

    def finish(self, ctx: RunContext, text: str, explanation: str, citations: list[Citation], confidence: float,
               report: str | None) -> Answer:
        supported = [c for c in citations if c.supported]
        unknown = text.strip().lower().rstrip(".") in ("", "unknown", "not found", "none")
        abstain = unknown or not supported or confidence < ctx.config.abstain_below
        status = "budget_exhausted" if ctx.budget.exhausted() else "complete" if ctx.counts["llm_failures"] == 0 \
            else "partial"
        closest = [Citation(n=n, id=e.passage_id, evidence_id=e.id, path=e.path, title=e.title, quote=e.quote,
                            supported=False) for n, e in enumerate(ctx.ledger.items[:3], 1)] if abstain else []
        usage = Usage(**{k: v for k, v in ctx.counts.items() if k in Usage.model_fields})
        mapping = {c.n: n for n, c in enumerate(supported, 1)}
        return Answer(question=ctx.question, answer=NOT_FOUND if abstain else text,
                      explanation="" if abstain else renumber(explanation, mapping), abstained=abstain,
                      confidence=confidence, citations=[] if abstain else [c.model_copy(update={"n": mapping[c.n]})
                                                                          for c in supported],
                      closest=closest, status=status, usage=usage, trace=str(ctx.trace.path),
                      report=None if abstain else report)

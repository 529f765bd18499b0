"""The systems compared in one run, same model and same index: `closed-book` (one call, no retrieval), `rag` (one
search of the question, the top-k passages in one prompt, one JSON call returning an answer, the passage it cites
and a confidence, the citation checked by the judge), `rag-plain` (the same search, a plain prompt, a free-text
short answer: no JSON, no judge — the strongest one-shot baseline for a small model) and `agent` (the research
agent). A system may carry its own k and retriever: `rag-plain:k=10:r=bm25` (see `SystemSpec`). Each writes a
trace and returns a `SystemOutput`.

Model time is metered by `MeteredLLM`: the wall time during which at least one model call is in progress (so
concurrent calls waiting on one llama.cpp model are not counted twice), plus calls and tokens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from scent.agent.context import AgentConfig
from scent.eval.grader import ask_json, prompt
from scent.llm.base import Completion, LLMError, Request
from scent.llm.wrap import HookedLLM
from scent.protocols import LLM
from scent.trace import TracedLLM, TraceWriter

SYSTEMS = ("closed-book", "rag", "rag-plain", "agent")


class SystemSpec(BaseModel):
    """`NAME[:k=N][:r=RETRIEVER]`: a system with its own passage count and retriever (rag baselines), so that
    several variants run side by side in one evaluation."""

    name: str
    k: int | None = None
    retriever: str | None = None

    @classmethod
    def parse(cls, text: str) -> SystemSpec:
        name, *options = text.strip().split(":")
        if name not in SYSTEMS:
            raise ValueError(f"unknown system {name!r}; expected {', '.join(SYSTEMS)} (optionally :k=N:r=RETRIEVER)")
        values: dict[str, Any] = {"name": name}
        for option in options:
            key, sep, value = option.partition("=")
            if not sep or key not in ("k", "r") or not value:
                raise ValueError(f"system {text!r}: options are k=N and r=bm25|dense|hybrid|auto")
            if key == "k" and not (value.isdigit() and 1 <= int(value) <= 50):
                raise ValueError(f"system {text!r}: k must be a whole number from 1 to 50")
            values["k" if key == "k" else "retriever"] = int(value) if key == "k" else value
        return cls(**values)


class Meter:
    """Counts one run's model calls, tokens and the wall time spent inside them (thread-safe)."""

    def __init__(self) -> None:
        self.calls = self.failures = self.prompt_tokens = self.completion_tokens = 0
        self.seconds = 0.0
        self._active = 0
        self._since = 0.0
        self._lock = threading.Lock()

    def enter(self) -> None:
        with self._lock:
            if self._active == 0:
                self._since = time.monotonic()
            self._active += 1

    def leave(self, reply: Completion | None) -> None:
        with self._lock:
            self._active -= 1
            if self._active == 0:
                self.seconds += time.monotonic() - self._since
            if reply is None:
                self.failures += 1
                return
            self.calls += 1
            self.prompt_tokens += reply.usage.prompt_tokens
            self.completion_tokens += reply.usage.completion_tokens

    def usage(self) -> dict[str, Any]:
        return {"llm_calls": self.calls, "llm_failures": self.failures, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "llm_seconds": round(self.seconds, 3)}


class Metering:
    """A hook that meters each raw call (retries and JSON repairs included) on a `Meter`."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter

    def before(self, request: Request) -> Completion | None:
        self.meter.enter()
        return None

    def after(self, request: Request, reply: Completion | None, error: BaseException | None) -> None:
        self.meter.leave(reply)


class MeteredLLM(HookedLLM):
    """`inner` with a `Metering` hook."""

    def __init__(self, inner: LLM, meter: Meter) -> None:
        super().__init__(inner, Metering(meter))


class SystemOutput(BaseModel):
    """What one system produced for one question (the row of results.jsonl adds metrics and usage)."""

    prediction: str = Field(description="The final answer; the agent's 'Not found' text when it abstained.")
    draft: str = Field("", description="The answer before abstention: what the confidence is about.")
    abstained: bool = False
    confidence: float = 0.0
    citations: list[dict[str, Any]] = Field(default_factory=list,
                                            description="{id, supported} of every cited passage, verified or not.")
    evidence_ids: list[str] = Field(default_factory=list, description="Passages the answer was written from.")
    retrieved_ids: list[str] = Field(default_factory=list, description="Every passage a tool returned, in order.")
    signals: dict[str, float] | None = Field(None, description="The agent's calibration signals.")
    searches: int = 0
    opens: int = 0
    status: str = "complete"
    error: str | None = None
    abstain_reason: str | None = Field(None, description="The agent's reason, when it abstained.")
    decided_by: str = Field("", description="The agent's: writer (views voting) | program (a comparison).")
    views: list[dict[str, Any]] = Field(default_factory=list, description="The agent's writer views.")


Searcher = Callable[[str, int, str | None], list[Any]]


def is_unknown(text: str) -> bool:
    """An empty reply, or one that says the passages do not hold the answer (`scent.text.says_unknown`)."""
    from scent.text import normalize_answer, says_unknown

    return not normalize_answer(text) or says_unknown(text)


def _answer_schema(citations: int | None) -> dict[str, Any]:
    from scent.agent.prompts import int_choice

    properties: dict[str, Any] = {"answer": {"type": "string", "maxLength": 120}, "confidence": int_choice(0, 100)}
    if citations is not None:
        properties["citation"] = int_choice(0, citations)
    return {"type": "object", "additionalProperties": False, "required": list(properties),
            "properties": properties}


def closed_book(question: str, llms: dict[str, LLM], trace: TraceWriter) -> SystemOutput:
    """One writer call, no retrieval."""
    writer = TracedLLM(llms["writer"], trace, "writer")
    trace.emit("run_start", question=question, system="closed-book", models={"writer": writer.spec})
    try:
        value = ask_json(writer, prompt("closed_book", question=question), _answer_schema(None), 80)
    except LLMError as e:
        return _end(trace, SystemOutput(prediction="", abstained=True, status="partial", error=str(e)))
    answer = str(value.get("answer", "")).strip()
    return _end(trace, SystemOutput(prediction=answer, draft=answer, abstained=is_unknown(answer),
                                    confidence=value.get("confidence", 0) / 100))


def _search_once(trace: TraceWriter, search: Searcher, question: str, k: int, retriever: str | None,
                 passage_chars: int) -> tuple[list[Any], str, SystemOutput]:
    """The rag baselines' one traced search: (hits, the numbered passage listing, the output so far)."""
    from scent.agent import prompts

    trace.emit("tool_call", tool="search", args={"query": question, "k": k})
    hits = search(question, k, retriever)
    ids = [h.id for h in hits]
    trace.emit("tool_result", tool="search", ids=ids, error=False)
    listing = prompts.numbered_passages([(h.title, h.text[:passage_chars]) for h in hits])
    return hits, listing, SystemOutput(prediction="", evidence_ids=ids, retrieved_ids=ids, searches=1)


def rag(question: str, llms: dict[str, LLM], trace: TraceWriter, search: Searcher, k: int,
        verify: bool, passage_chars: int = 1200, retriever: str | None = None) -> SystemOutput:
    """One search of the question, top-k passages into one prompt, one answer citing one passage; the citation is
    checked by the agent's judge prompt (the same verifier as the agent's) when `verify`."""
    from scent.agent import prompts
    from scent.agent.verify import SUPPORT_SCHEMA

    writer = TracedLLM(llms["writer"], trace, "writer")
    trace.emit("run_start", question=question, system="rag", models={"writer": writer.spec,
                                                                      "judge": llms["judge"].spec})
    hits, listing, base = _search_once(trace, search, question, k, retriever, passage_chars)
    try:
        value = ask_json(writer, prompt("rag", question=question, passages=listing or "(no passages)"),
                     _answer_schema(len(hits)), 120)
    except LLMError as e:
        return _end(trace, base.model_copy(update={"abstained": True, "status": "partial", "error": str(e)}))
    answer = str(value.get("answer", "")).strip()
    cited = value.get("citation", 0)
    citations: list[dict[str, Any]] = []
    if 1 <= cited <= len(hits) and not is_unknown(answer):
        supported = True
        if verify:
            judge = TracedLLM(llms["judge"], trace, "judge")
            try:
                verdict = judge.complete(prompts.messages("judge", claim=f"{question} — {answer}",
                                                          quote=prompts.data(hits[cited - 1].text[:passage_chars])),
                                         schema=SUPPORT_SCHEMA, max_tokens=20).json_value
                supported = bool(verdict and verdict.get("supported"))
            except LLMError:
                supported = False
            trace.emit("verify", evidence=hits[cited - 1].id, verbatim=True, judged=supported)
        citations.append({"id": hits[cited - 1].id, "supported": supported})
    return _end(trace, base.model_copy(update={
        "prediction": answer, "draft": answer, "abstained": is_unknown(answer),
        "confidence": value.get("confidence", 0) / 100, "citations": citations}))


def rag_plain(question: str, llms: dict[str, LLM], trace: TraceWriter, search: Searcher, k: int,
              passage_chars: int = 1200, retriever: str | None = None) -> SystemOutput:
    """One search, the top-k passages in the agent's plain answer prompt, one free-text reply cleaned to a short
    answer. No JSON, no citation, no judge: what a small model does best in one call."""
    from scent.agent import prompts
    from scent.agent.answer import clean, is_yes_no

    writer = TracedLLM(llms["writer"], trace, "writer")
    trace.emit("run_start", question=question, system="rag-plain", models={"writer": writer.spec})
    _, listing, base = _search_once(trace, search, question, k, retriever, passage_chars)
    try:
        yes_no = is_yes_no(question)  # the agent's yes/no prompt too: the baseline gets every advantage but search
        reply = writer.complete(prompts.messages("answer_yesno" if yes_no else "answer", system="system_text",
                                                 question=question, passages=listing or "(no passages)"),
                                max_tokens=8 if yes_no else 32)
    except LLMError as e:
        return _end(trace, base.model_copy(update={"abstained": True, "status": "partial", "error": str(e)}))
    answer = clean(reply.text, yes_no)
    return _end(trace, base.model_copy(update={"prediction": answer, "draft": answer,
                                               "abstained": is_unknown(answer), "confidence": 0.0}))


def agent(question: str, query_id: str, llms: dict[str, LLM], trace: TraceWriter, index: Any,
          config: AgentConfig, calibrator: Any, run_info: dict[str, Any]) -> SystemOutput:
    """The agent; `Agent.run` returns everything a row needs."""
    from scent import app

    runner = app.make_agent(None, index, llms=llms, agent_config=config, calibrator=calibrator,
                            run_info={"query_id": query_id, "system": "agent", **run_info})
    try:
        answer = runner.run(question, trace)
    except LLMError as e:
        return SystemOutput(prediction="", abstained=True, status="partial", error=str(e))
    return SystemOutput(
        prediction=answer.answer, draft=answer.draft, abstained=answer.abstained, confidence=answer.confidence,
        citations=[{"id": c.id, "supported": c.supported} for c in answer.citations],
        evidence_ids=answer.evidence_ids, retrieved_ids=answer.retrieved_ids, signals=answer.signals or None,
        searches=answer.usage.searches, opens=answer.usage.opens, status=answer.status,
        abstain_reason=answer.abstain_reason, decided_by=answer.decided_by, views=answer.views)


def _end(trace: TraceWriter, output: SystemOutput) -> SystemOutput:
    trace.emit("run_end", status=output.status, abstained=output.abstained, confidence=output.confidence,
               answer={"answer": output.prediction, "abstained": output.abstained, "confidence": output.confidence,
                       "citations": [{"id": c["id"]} for c in output.citations if c["supported"]]})
    return output

"""`scent eval`: every question × system, same model and index, one row per pair appended to OUT/results.jsonl.

Resumable: a re-run with the same OUT skips the pairs that have a row (rows that ended in an error are retried).
The run's settings are kept in OUT/run.json; resuming with different ones is refused rather than mixed.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from scent.config import AgentConfig, EvalConfig
from scent.eval import systems
from scent.eval.datasets import Question
from scent.eval.grader import judge_answer
from scent.eval.metrics import answer_scores, citation_precision, citation_recall, support_recall
from scent.protocols import LLM
from scent.trace import cut_partial_line, read_trace

RESULTS_FILE, RUN_FILE = "results.jsonl", "run.json"
# pending (question, system) pairs → (row, trace text) for each, in order
FanOut = Callable[[list[tuple[Question, str]]], Iterable[tuple[dict[str, Any], str]]]
SETTINGS_THAT_MUST_MATCH = ("dataset", "index", "models", "calibration", "config")


def default_workers(specs: list[str]) -> int:
    return 4 if specs and all(s.startswith("openai:") for s in specs) else 1


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of a results file; a partial last line (a killed run) is ignored."""
    return read_trace(path) if path.exists() else []  # the same append-only JSONL as a trace


def trace_path(out: Path, system: str, question_id: str) -> Path:
    return out / "traces" / system / (re.sub(r"[^\w.-]", "_", question_id) + ".jsonl")


def row_metrics(q: Question, output: systems.SystemOutput, correct_metric: str,
                judged: bool | None) -> dict[str, Any]:
    """All per-question metrics of one system's output. `correct` scores the final answer (an abstention is
    wrong unless the question is unanswerable); `draft_correct` scores the answer the confidence is about: the
    chance that the draft is a right answer, so it is 0 on an unanswerable question (no draft answers it) and for
    an empty or "unknown" draft (it answers nothing)."""
    scores: dict[str, Any] = answer_scores(output.prediction, q.golden_answers, output.abstained)
    if q.unanswerable:
        draft_scores = {"em": 0.0, "cover_em": 0.0}
    else:
        draft_scores = answer_scores(output.draft, q.golden_answers, systems.is_unknown(output.draft))
    if judged is not None:
        scores["judge"] = float(judged)
    key = correct_metric if correct_metric != "judge" or judged is not None else "cover_em"
    scores["correct"] = scores[key]
    scores["draft_correct"] = scores[key] if key == "judge" else draft_scores[key]
    gold = q.supporting_ids
    retrieval = output.searches > 0 or output.retrieved_ids
    scores["support_recall"] = support_recall(gold, output.evidence_ids) if retrieval else None
    scores["support_recall_retrieved"] = support_recall(gold, output.retrieved_ids) if retrieval else None
    scores["support_both"] = float(set(gold) <= set(output.evidence_ids)) if retrieval and gold else None
    scores["answered"] = float(not output.abstained)
    scores["citation_precision"] = citation_precision([c["supported"] for c in output.citations])
    cited = [] if output.abstained else [c["id"] for c in output.citations if c["supported"]]
    scores["citation_recall"] = citation_recall(gold, cited) if retrieval else None
    return scores


class EvalRun:
    """One evaluation run into `out`. `llms` maps each role to a backend; `search` serves the rag baseline;
    `agent` is the agent system's settings."""

    def __init__(self, out: Path, index: Any, llms: dict[str, LLM], config: EvalConfig,
                 settings: dict[str, Any], calibrator: Any = None,
                 search: systems.Searcher | None = None, agent: AgentConfig | None = None) -> None:
        self.out, self.index, self.llms, self.config = out, index, llms, config
        self.agent = agent or AgentConfig()
        self.settings, self.calibrator = settings, calibrator
        self.search: systems.Searcher = search or (lambda query, k, retriever: index.search(query, k,
                                                                                            retriever=retriever))

    def check_settings(self) -> None:
        """Write run.json, or refuse when OUT holds a run made with other settings."""
        self.out.mkdir(parents=True, exist_ok=True)
        path = self.out / RUN_FILE
        if path.exists():
            previous = json.loads(path.read_text())
            changed = [k for k in SETTINGS_THAT_MUST_MATCH if previous.get(k) != self.settings.get(k)]
            if changed:
                raise ValueError(f"{self.out} holds a run with other {', '.join(changed)}; use another --out")
            self.settings["systems"] = list(dict.fromkeys([*previous.get("systems", []),
                                                           *self.settings["systems"]]))
        path.write_text(json.dumps(self.settings, indent=2, ensure_ascii=False))

    def pending(self, questions: list[Question], names: list[str]) -> list[tuple[Question, str]]:
        done = {(r["id"], r["system"]) for r in read_rows(self.out / RESULTS_FILE) if not r.get("error")}
        return [(q, s) for q in questions for s in names if (q.id, s) not in done]

    def run(self, questions: list[Question], names: list[str], on_start: Callable[[int], None] | None = None,
            on_row: Callable[[dict[str, Any]], None] | None = None, fan_out: FanOut | None = None) -> int:
        """Run the pending pairs; returns how many rows were written. `fan_out` runs them elsewhere (Ray workers:
        `scent.scale.ray_eval`) and yields, in the order of the pairs, each row with its trace's text, written
        here as the sequential run writes them."""
        self.check_settings()
        todo = self.pending(questions, names)
        if on_start:
            on_start(len(todo))
        workers = self.config.workers or default_workers([b.spec for b in self.llms.values()])
        results = self.out / RESULTS_FILE
        cut_partial_line(results)
        lock = threading.Lock()
        with results.open("a", encoding="utf-8") as f:
            def one(pair: tuple[Question, str]) -> None:
                row = self.run_one(*pair)
                with lock:
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
                    f.flush()
                if on_row:
                    on_row(row)
            if fan_out is not None:
                for pair, (row, trace) in zip(todo, fan_out(todo), strict=True):
                    path = trace_path(self.out, pair[1], pair[0].id)
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(trace, encoding="utf-8")
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
                    f.flush()
                    if on_row:
                        on_row(row)
            elif workers == 1:
                for pair in todo:
                    one(pair)
            else:
                with ThreadPoolExecutor(workers) as pool:
                    list(pool.map(one, todo))
        return len(todo)

    def run_one(self, q: Question, system: str) -> dict[str, Any]:
        from scent.trace import TraceWriter

        path = trace_path(self.out, system, q.id)
        path.unlink(missing_ok=True)
        meter = systems.Meter()
        llms: dict[str, LLM] = {role: systems.MeteredLLM(llm, meter) for role, llm in self.llms.items()}
        trace = TraceWriter(path)
        started = time.monotonic()
        error = None
        spec = systems.SystemSpec.parse(system)
        k = spec.k or self.config.rag_k
        try:
            if spec.name == "closed-book":
                output = systems.closed_book(q.question, llms, trace)
            elif spec.name == "rag":
                output = systems.rag(q.question, llms, trace, self.search, k, self.config.verify_rag_citations,
                                     retriever=spec.retriever)
            elif spec.name == "rag-plain":
                output = systems.rag_plain(q.question, llms, trace, self.search, k, retriever=spec.retriever)
            else:
                output = systems.agent(q.question, q.id, llms, trace, self.index, self.agent,
                                       self.calibrator, {"index": self.settings.get("index")})
        except Exception as e:  # a crash on one question is recorded, and retried by the next run
            error = f"{type(e).__name__}: {e}"
            output = systems.SystemOutput(prediction="", abstained=True, status="error", error=error)
        finally:
            trace.close()
        seconds = time.monotonic() - started
        judged = None
        if self.config.judge and not error:
            judged = self.judge(q, output)
        return {"id": q.id, "system": system, "question": q.question, "subset": q.subset,
                "golden_answers": q.golden_answers, "unanswerable": q.unanswerable,
                "supporting_ids": q.supporting_ids, **output.model_dump(),
                "metrics": {**row_metrics(q, output, self.config.correct_metric, judged),
                            "answer_in_evidence": self.answer_in_evidence(q, output.evidence_ids)},
                "usage": {**meter.usage(), "searches": output.searches, "opens": output.opens,
                          "seconds": round(seconds, 3)},
                "trace": str(path.relative_to(self.out))}

    def answer_in_evidence(self, q: Question, evidence_ids: list[str]) -> float | None:
        """1 when a passage the system read holds a gold answer (normalised, whole words): the denominator of
        reading efficiency. None for unanswerable and yes/no questions (no passage can hold "yes")."""
        from scent.text import normalize_answer

        golds = [normalize_answer(g) for g in q.golden_answers if normalize_answer(g) not in ("yes", "no", "")]
        if q.unanswerable or not golds or not evidence_ids:
            return None if q.unanswerable or not golds else 0.0
        for pid in evidence_ids:
            passage = self.index.get(pid)
            text = f" {normalize_answer(passage.text)} " if passage is not None else ""
            if any(f" {g} " in text for g in golds):
                return 1.0
        return 0.0

    def judge(self, q: Question, output: systems.SystemOutput) -> bool:
        if q.unanswerable or output.abstained:
            return output.abstained == q.unanswerable
        try:
            return judge_answer(self.llms["judge"], q.question, q.golden_answers, output.prediction)
        except Exception:
            return False

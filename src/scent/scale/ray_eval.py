"""`scent eval --ray`: the (question, system) pairs of a run as Ray tasks. Each worker opens the index and loads
the models once (`worker_cache`), runs a pair exactly as the sequential run does (`EvalRun.run_one`, into a
scratch folder) and returns the row with its trace's text; the driver writes both in the order of the pairs, so
results.jsonl and the traces are what the sequential run writes (the `seconds` fields aside). A worker killed
mid-question is replaced and its pair run again; a pair that raises is recorded as an error row, as sequentially.

The workers read the index themselves: a Milvus URI, or a folder they can all see (a local cluster, or a shared
file system).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scent.config import AgentConfig, EvalConfig, ScentConfig
from scent.eval.datasets import Question


@dataclass(frozen=True)
class EvalJob:
    """What a worker needs to run any pair of one evaluation (sent with every task: small and picklable)."""

    config: ScentConfig
    index: str
    retriever: str | None
    eval_config: EvalConfig
    agent: AgentConfig
    settings: dict[str, Any]
    calibration: str | None

    def key(self) -> str:
        from scent.scale.ray_pool import job_key

        return job_key(self.config, self.index, self.retriever, self.eval_config, self.agent, self.settings,
                       self.calibration)


def _runner(job: EvalJob) -> Any:
    from scent import app
    from scent.agent.calibrate import load_calibrator
    from scent.eval.run import EvalRun

    index = app.open_index(job.index, job.config, job.retriever)
    llms = app.load_models(job.config)
    calibrator = load_calibrator(Path(job.calibration)) if job.calibration else None
    scratch = Path(tempfile.mkdtemp(prefix="scent-eval-worker-"))
    return EvalRun(scratch, index, llms, job.eval_config, dict(job.settings), calibrator, agent=job.agent)


def run_pair(job: EvalJob, question: Question, system: str) -> tuple[dict[str, Any], str]:
    """A Ray task: one pair's row and its trace's text."""
    from scent.eval.run import trace_path
    from scent.scale.ray_pool import worker_cache

    runner = worker_cache(("eval", job.key()), lambda: _runner(job))
    row = runner.run_one(question, system)
    path = trace_path(runner.out, system, question.id)
    trace = path.read_text(encoding="utf-8") if path.exists() else ""
    path.unlink(missing_ok=True)
    return row, trace


def fan_out(job: EvalJob, ray: Any) -> Any:
    """An `EvalRun.run(fan_out=…)` over the Ray session's workers."""
    from scent.scale.ray_pool import ordered_map

    def run(pairs: list[tuple[Question, str]]) -> Iterator[tuple[dict[str, Any], str]]:
        return ordered_map(run_pair, [(job, q, s) for q, s in pairs], ray)

    return run

"""`scent synth --ray`: candidates verified on Ray workers. Each worker opens the index and loads the writer and
judge models once (`worker_cache`) and runs `Checker.verify` — a pure function of one candidate — exactly as the
sequential run does; `synthesize` keeps its own loop, so the tasks, the report and the progress file are those of
the sequential run. The workers read the index themselves: a Milvus URI, or a folder they can all see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scent.config import RayConfig, ScentConfig

if TYPE_CHECKING:
    from scent.synth.candidates import TaskCandidate
    from scent.synth.run import VerifyMany
    from scent.synth.verify import Checker, Verdict


@dataclass(frozen=True)
class SynthJob:
    """What a worker needs to verify any candidate of one run (sent with every task: small and picklable)."""

    config: ScentConfig
    index: str
    retriever: str
    hop_k: int
    models: bool  # False: --no-model

    def key(self) -> str:
        from scent.scale.ray_pool import job_key

        return job_key(self.config, self.index, self.retriever, self.hop_k, self.models)


def _checker(job: SynthJob) -> Checker:
    from scent import app
    from scent.synth.verify import Checker

    llms: dict[str, Any] = app.load_models(job.config, ["writer", "judge"]) if job.models else {}
    index = app.open_index(job.index, job.config, job.retriever)
    return Checker(index, llms.get("writer"), llms.get("judge"), job.hop_k, job.retriever)


def verify_candidate(job: SynthJob, candidate: TaskCandidate) -> Verdict:
    """A Ray task: one candidate's verdict."""
    from scent.scale.ray_pool import worker_cache

    return worker_cache(("synth", job.key()), lambda: _checker(job)).verify(candidate)


def fan_out(job: SynthJob, ray: RayConfig | None) -> VerifyMany:
    """A `synthesize(verify_many=…)` over the Ray session's workers."""
    from scent.scale.ray_pool import ordered_map

    def verify_many(candidates: list[TaskCandidate]) -> list[Verdict]:
        return list(ordered_map(verify_candidate, [(job, c) for c in candidates], ray))

    return verify_many

"""RL rollouts over Ray: `scent.rl.run_episode` for many (task, policy) pairs on Ray workers, episodes returned in
the order of the pairs — what running them one after another returns. Each task opens the index itself (a
Milvus URI, or a folder the workers can see), which is why `run_episode` takes an index location.

    from scent.scale.ray_pool import ray_session
    from scent.scale.ray_rl import rollouts
    with ray_session(address, cfg.ray):
        episodes = rollouts([(task, policy), ...], "milvus://db:19530/wiki", cfg)

A policy is sent to its worker (pickled): a policy holding a model client or a script works; one holding an open
socket must open it in `act`. A worker killed mid-episode is replaced and the episode played again from the start.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from scent.config import ScentConfig

if TYPE_CHECKING:
    from scent.eval.datasets import Question
    from scent.protocols import Policy
    from scent.rl.env import Episode


def rollouts(pairs: Sequence[tuple[Question, Policy]], index: str | Path, config: ScentConfig | None = None
             ) -> list[Episode]:
    """One episode per (task, policy), played on the Ray session's workers, in order."""
    from scent import app
    from scent.rl.env import run_episode
    from scent.scale.ray_pool import ordered_map

    config = config or ScentConfig()
    where = app.index_label(index)
    return list(ordered_map(run_episode, [(task, policy, where, config) for task, policy in pairs], config.ray))

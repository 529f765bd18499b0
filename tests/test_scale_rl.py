"""RL rollouts over Ray workers (`scent.scale.ray_rl.rollouts`) give the episodes of the sequential runs, on the
embedded index and on a Milvus collection."""

from __future__ import annotations

from pathlib import Path

import pytest
from rl_fixtures import BRIDGE, UNANSWERABLE, ScriptedPolicy, answer, build_corpus_index, search

from scent.config import RayConfig, ScentConfig
from scent.rl import run_episode


def _pairs():
    return [(BRIDGE, ScriptedPolicy(search("Vienna State Opera opened"), search("Don Giovanni opera composer"),
                                    answer("Wolfgang Amadeus Mozart", "p-vienna, p-giovanni", 0.9))),
            (UNANSWERABLE, ScriptedPolicy(search("Vienna State Opera closed"), answer("1955", "p-vienna", 0.4))),
            (BRIDGE, ScriptedPolicy(search("Don Giovanni"), answer("Mozart", "p-giovanni")))]


@pytest.mark.integration
def test_rollouts_over_ray_equal_the_sequential_ones(tmp_path: Path, milvus_server: tuple[str, int]):
    ray = pytest.importorskip("ray")
    import rl_fixtures

    from scent.milvus import parse_uri
    from scent.milvus.ingest import build
    from scent.scale.ray_pool import ray_session
    from scent.scale.ray_rl import rollouts

    ray.cloudpickle.register_pickle_by_value(rl_fixtures)  # the scripted policy lives with the tests
    folder = build_corpus_index(tmp_path)
    uri = f"milvus://{milvus_server[0]}:{milvus_server[1]}/rl_{id(tmp_path)}"
    build(parse_uri(uri), [tmp_path / "corpus"])
    cfg = ScentConfig(ray=RayConfig(num_cpus=2, object_store_mb=128))
    sequential = {where: [run_episode(task, policy, where, cfg).log() for task, policy in _pairs()]
                  for where in (str(folder), uri)}
    with ray_session(None, cfg.ray):
        spread = {where: [episode.log() for episode in rollouts(_pairs(), where, cfg)] for where in sequential}
    for where in sequential:
        assert spread[where] == sequential[where], where
        assert [e["status"] for e in spread[where]] == ["answered"] * 3
        assert spread[where][0]["rewards"]["answer"] == 1.0

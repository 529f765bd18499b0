"""Ray fan-out (`--ray`) on a local cluster: `scent eval --ray` writes the rows and summary of the sequential run,
a task whose worker is killed -9 is run again, embedding over Ray gives the same vectors, and a run without
--ray imports neither Ray nor pymilvus."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import scent
from test_eval_run import _setup

ray = pytest.importorskip("ray") if os.environ.get("CI") != "true" else __import__("ray")


def _untimed(value: Any) -> Any:
    """A row or summary without its wall-clock fields (they differ between any two runs)."""
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if "seconds" not in k and not k.endswith("_s")
                and not k.endswith("overhead_share")}  # (seconds - model seconds) / seconds: a timing too
    if isinstance(value, list):
        return [_untimed(v) for v in value]
    return value


def _keyed_script(tmp_path: Path, index: Path, dataset: Path, script: Path) -> Path:
    """The test script recorded with request keys (a sequential in-process run): replayed on any worker, each
    call gets its own reply whatever order the questions run in."""
    from scent.config import EvalConfig
    from scent.eval.datasets import load_questions
    from scent.eval.run import EvalRun
    from scent.index import Index
    from scent.llm.scripted import RecordingLLM, ScriptedLLM

    keyed = tmp_path / "keyed.jsonl"
    llm = RecordingLLM(ScriptedLLM(script), keyed)
    roles = ("planner", "searcher", "reader", "writer", "judge")
    with Index.open(index) as idx:
        EvalRun(tmp_path / "record", idx, dict.fromkeys(roles, llm), EvalConfig(), {"systems": []}).run(
            load_questions(dataset), ["closed-book", "rag", "rag-plain", "agent"])
    return keyed


@pytest.mark.integration
def test_eval_over_ray_equals_the_sequential_run(tmp_path: Path):
    index, dataset, script, _gold = _setup(tmp_path)
    keyed = _keyed_script(tmp_path, index, dataset, script)
    common = ["eval", "--dataset", dataset, "--index", index, "--systems", "closed-book,rag,rag-plain,agent",
              "--model", f"scripted:{keyed}", "--retriever", "bm25", "--quiet", "--no-plots", "--json"]
    sequential = json.loads(scent(*common, "--out", tmp_path / "seq").stdout)
    spread = json.loads(scent(*common, "--out", tmp_path / "ray", "--ray", "--set", "ray.num_cpus=2").stdout)
    rows = {name: [json.loads(line) for line in (tmp_path / name / "results.jsonl").read_text().splitlines()]
            for name in ("seq", "ray")}
    assert len(rows["seq"]) == 8 and not any(r.get("error") for r in rows["ray"])
    assert _untimed(rows["ray"]) == _untimed(rows["seq"])
    assert _untimed(spread) == _untimed(sequential)
    for row in rows["ray"]:  # every trace written by the driver, the same events as the sequential run's
        events = [json.loads(line)["type"] for line in (tmp_path / "ray" / row["trace"]).read_text().splitlines()]
        expected = [json.loads(line)["type"] for line in (tmp_path / "seq" / row["trace"]).read_text().splitlines()]
        assert events == expected and events


def _slow_once(folder: str, i: int) -> int:
    """A task that records its process id; task 1, until the test has killed a worker, waits to be killed."""
    Path(folder, f"{i}.{os.getpid()}").write_text("")
    while i == 1 and not Path(folder, "killed").exists():
        time.sleep(0.05)
    return i * i


@pytest.mark.integration
def test_a_killed_worker_task_is_retried(tmp_path: Path):
    from scent.config import RayConfig
    from scent.scale.ray_pool import ordered_map, ray_session

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the task lives in this test module
    folder = tmp_path / "marks"
    folder.mkdir()
    config = RayConfig(num_cpus=2, max_retries=2, object_store_mb=128)
    with ray_session(None, config):
        results = ordered_map(_slow_once, [(str(folder), i) for i in range(4)], config)
        assert next(results) == 0
        deadline = time.monotonic() + 60
        while not list(folder.glob("1.*")):
            assert time.monotonic() < deadline, "task 1 never started"
            time.sleep(0.05)
        first = int(next(folder.glob("1.*")).suffix[1:])
        os.kill(first, signal.SIGKILL)  # the worker process running task 1 dies mid-task
        (folder / "killed").write_text("")
        assert list(results) == [1, 4, 9]
    attempts = sorted(int(p.suffix[1:]) for p in folder.glob("1.*"))
    assert len(attempts) == 2 and first in attempts  # task 1 ran again, in another worker process


@pytest.mark.integration
def test_ray_embedding_gives_the_same_vectors():
    """RayEmbedder with the bundled embedder: the chunks embedded on two workers, concatenated in order, are the
    vectors embedding here gives."""
    import numpy as np

    from scent.config import EmbedConfig, RayConfig
    from scent.embed import bundled_available, load_embedder
    from scent.scale.ray_embed import RayEmbedder
    from scent.scale.ray_pool import ray_session

    if not bundled_available():
        pytest.skip("the bundled embedder is not installed")
    texts = [f"Passage {i} is about topic {i % 7}, word{i} and the river Thames." for i in range(96)]
    # numpy: the same vector for a text whatever the batch (the default `auto` backend's bf16 differs in the last
    # bits between batchings; what is checked here is that the chunks come back whole and in order)
    local = load_embedder("minilm", EmbedConfig(backend="numpy"))
    config = RayConfig(num_cpus=2, embed_chunk=16, object_store_mb=128)
    with ray_session(None, config):
        spread = RayEmbedder(local, EmbedConfig(backend="numpy"), False, config)
        assert (spread.dim, spread.spec) == (local.dim, local.spec)
        vectors = spread.embed(texts)
    assert vectors.shape == (96, local.dim)
    assert np.allclose(vectors, local.embed(texts), atol=1e-5)


def test_no_ray_or_milvus_import_without_them(tmp_path: Path):
    index, dataset, script, _gold = _setup(tmp_path)
    code = ("import sys\nfrom typer.testing import CliRunner\nfrom scent.cli import app\n"
            f"r = CliRunner().invoke(app, ['eval', '--dataset', {str(dataset)!r}, '--index', {str(index)!r}, "
            f"'--systems', 'closed-book,rag', '--model', 'scripted:{script}', '--out', {str(tmp_path / 'o')!r}, "
            "'--quiet', '--no-plots', '--limit', '1'])\n"
            "assert r.exit_code == 0, r.output\n"
            "r = CliRunner().invoke(app, ['search', 'widget', '--index', " + repr(str(index)) + "])\n"
            "assert r.exit_code == 0, r.output\n"
            "print(sorted(m for m in ('ray', 'pymilvus', 'milvus_lite') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"

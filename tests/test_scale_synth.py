"""`scent synth` beyond one process and one backend: `--ray` verifies candidates on a local Ray cluster and writes
the tasks and report of the sequential run; on a Milvus collection it reads the documents through the index
protocol and makes tasks that pass the same checks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import scent
from test_synth import DOCS, WIKI

from scent.eval.datasets import load_questions
from scent.ingest.pipeline import build
from scent.synth.run import report_paths

pytestmark = pytest.mark.integration


def _corpus(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "docs"
    root.mkdir()
    for name, text in DOCS.items():
        (root / name).write_text(text, encoding="utf-8")
    (root / "wiki.jsonl").write_text("".join(json.dumps(r) + "\n" for r in WIKI), encoding="utf-8")
    build(tmp_path / "idx", [root])
    script = tmp_path / "model.jsonl"  # closed-book never solves, the judge never finds an answer: any order
    script.write_text((json.dumps({"response": {"text": "unknown"}}) + "\n") * 400, encoding="utf-8")
    return root, script


def _untimed(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "seconds"}


def test_synth_over_ray_writes_the_tasks_and_report_of_the_sequential_run(tmp_path: Path):
    if os.environ.get("CI") != "true":
        pytest.importorskip("ray")
    _root, script = _corpus(tmp_path)
    common = ["synth", "--index", tmp_path / "idx", "--n", "8", "--hop-k", "1", "--model", f"scripted:{script}", "-q"]
    scent(*common, "--out", tmp_path / "seq" / "tasks.jsonl")
    scent(*common, "--out", tmp_path / "ray" / "tasks.jsonl", "--ray", "--set", "ray.num_cpus=2",
          "--set", "ray.object_store_mb=128")
    seq, spread = (tmp_path / name / "tasks.jsonl" for name in ("seq", "ray"))
    assert len(load_questions(seq)) == 8 and spread.read_text() == seq.read_text()
    reports = [json.loads(report_paths(p)[0].read_text()) for p in (seq, spread)]
    assert _untimed(reports[0]) == _untimed(reports[1])  # the same decisions: examined, accepted, rejected


def test_synth_on_a_milvus_collection(tmp_path: Path, milvus_server: tuple[str, int]):
    from scent.milvus import parse_uri
    from scent.milvus.ingest import build as build_milvus

    root, script = _corpus(tmp_path)
    uri = f"milvus://{milvus_server[0]}:{milvus_server[1]}/synth_{abs(hash(tmp_path)) % 10**8}"
    build_milvus(parse_uri(uri), [root])
    out = tmp_path / "milvus" / "tasks.jsonl"
    scent("synth", "--index", uri, "--n", "8", "--hop-k", "1", "--model", f"scripted:{script}",
          "--retriever", "bm25", "--out", out, "-q")
    questions = load_questions(out)
    report = json.loads(report_paths(out)[0].read_text())
    assert report["index"] == uri and report["tasks"] == len(questions) >= 6
    assert {q.subset for q in questions} >= {"single", "comparison", "unanswerable"}
    embedded = {(q.question, q.golden_answers[0]) for q in load_questions(_embedded(tmp_path, script))}
    assert {(q.question, q.golden_answers[0]) for q in questions if not q.unanswerable} & embedded  # same facts


def _embedded(tmp_path: Path, script: Path) -> Path:
    out = tmp_path / "embedded" / "tasks.jsonl"
    scent("synth", "--index", tmp_path / "idx", "--n", "8", "--hop-k", "1", "--model", f"scripted:{script}",
          "--retriever", "bm25", "--out", out, "-q")
    return out

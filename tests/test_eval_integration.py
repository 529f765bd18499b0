"""Integration: a small real `scent eval` with the embedded model — three HotpotQA questions, all three systems,
on a tiny miniwiki index, with a tight agent budget (CI has 2 cores)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import scent

from scent.eval.plots import PLOTS
from scent.eval.report import recompute_summary

pytestmark = pytest.mark.integration

EVAL_CONFIG = """\
rag_k = 2
verify_rag_citations = false

[agent]
k = 2
views = 1
entity_hops = 2
judge = false

[agent.budget]
max_steps = 2
"""


def test_eval_three_questions_with_the_embedded_model(shared_data: Path, tmp_path: Path):
    questions = [json.loads(line) for line in (shared_data / "hotpotqa" / "dev.jsonl").read_text().splitlines()[:3]]
    gold = {i for q in questions for i in q["metadata"]["supporting_ids"]}
    corpus = [json.loads(line) for line in (shared_data / "miniwiki" / "corpus.jsonl").read_text().splitlines()]
    tiny = [p for p in corpus if p["id"] in gold] + [p for p in corpus if p["id"] not in gold][:40]
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "corpus.jsonl").write_text("".join(json.dumps(p) + "\n" for p in tiny))
    scent("index", tmp_path / "docs", "--index", tmp_path / "idx", "--no-vectors", "-q")
    (tmp_path / "eval.toml").write_text(EVAL_CONFIG)
    out = tmp_path / "out"
    proc = scent("eval", "--dataset", shared_data / "hotpotqa" / "dev.jsonl", "--index", tmp_path / "idx",
                 "--systems", "closed-book,rag,agent", "--limit", "3", "--out", out, "--eval-config",
                 tmp_path / "eval.toml", "--retriever", "bm25", "--quiet", timeout=1200)
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 9 and not [r for r in rows if r["error"]]
    for r in rows:
        assert r["usage"]["llm_calls"] >= 1 and r["usage"]["prompt_tokens"] > 0
        assert 0 < r["usage"]["llm_seconds"] <= r["usage"]["seconds"]
        assert (out / r["trace"]).is_file()
    rag = [r for r in rows if r["system"] == "rag"]
    assert all(r["usage"]["llm_calls"] == 1 and len(r["retrieved_ids"]) == 2 for r in rag)
    agent = [r for r in rows if r["system"] == "agent"]
    assert all(r["usage"]["searches"] >= 1 for r in agent) and len(list((out / "browsecomp").iterdir())) == 3
    summary, table = recompute_summary(out)
    assert summary == json.loads((out / "summary.json").read_text()) and table == (out / "summary.md").read_text()
    assert table in proc.stdout
    assert 0 <= summary["framework_overhead_share"] < 1
    for plot in PLOTS:
        assert (out / plot).stat().st_size > 1000

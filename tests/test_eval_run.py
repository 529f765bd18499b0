"""`scent eval` end to end with a scripted model (deterministic), `scent calibrate`, `scent eval-retrieval`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agent_fixtures import DOCS
from conftest import scent

from scent.eval.plots import PLOTS
from scent.eval.report import recompute_summary
from scent.index import Index
from scent.ingest.pipeline import build

Q1, Q2 = "What is the default widget limit?", "Who invented the widget in 1900?"


def _setup(tmp_path: Path) -> tuple[Path, Path, Path, str]:
    """A tiny index, two questions (one answerable with a gold passage, one unanswerable) and one script that
    replays, in order, per question: closed-book, rag (+ its citation check), rag-plain, agent (three views)."""
    (tmp_path / "docs").mkdir()
    for name, text in DOCS.items():
        (tmp_path / "docs" / name).write_text(text)
    build(tmp_path / "idx", [tmp_path / "docs"])
    with Index.open(tmp_path / "idx") as idx:
        hits = idx.search(Q1, 5)
        cited = next(i for i, h in enumerate(hits, 1) if "default limit" in h.text)
        gold = hits[cited - 1].id
    questions = [{"id": "q1", "question": Q1, "golden_answers": ["42"],
                  "metadata": {"type": "bridge", "supporting_ids": [gold]}},
                 {"id": "q2", "question": Q2, "golden_answers": ["unanswerable"], "metadata": {"type": "comparison"}}]
    dataset = tmp_path / "dev.jsonl"
    dataset.write_text("".join(json.dumps(q) + "\n" for q in questions))
    replies = [
        {"answer": "42", "confidence": 70},
        {"answer": "42 widgets", "citation": cited, "confidence": 80}, {"supported": True},
        "Answer: 42 widgets.",
        "42 widgets", "42 widgets per user", "42",
        {"answer": "unknown", "confidence": 10},
        {"answer": "Ada Lovelace", "citation": 1, "confidence": 60}, {"supported": False},
        "unknown",
        "Ada Lovelace", "Ada Lovelace", "Ada Lovelace",
    ]
    script = tmp_path / "script.jsonl"
    texts = [r if isinstance(r, str) else json.dumps(r) for r in replies]
    script.write_text("".join(json.dumps({"response": {"text": t, "usage": {
        "prompt_tokens": 100, "completion_tokens": 10}}}) + "\n" for t in texts))
    return tmp_path / "idx", dataset, script, gold


def test_eval_scripted_end_to_end_resume_and_calibrate(tmp_path: Path):
    index, dataset, script, gold = _setup(tmp_path)
    out = tmp_path / "out"
    args = ["eval", "--dataset", dataset, "--index", index, "--systems", "closed-book,rag,rag-plain,agent",
            "--out", out, "--model", f"scripted:{script}", "--retriever", "bm25", "--quiet"]
    proc = scent(*args)
    assert "| metric | closed-book | rag | rag-plain | agent |" in proc.stdout
    for name in ("results.jsonl", "summary.json", "summary.md", "run.json", *PLOTS):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    for plot in PLOTS:
        assert (out / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [(r["id"], r["system"]) for r in rows] == [(q, s) for q in ("q1", "q2")
                                                      for s in ("closed-book", "rag", "rag-plain", "agent")]
    by = {(r["id"], r["system"]): r for r in rows}
    closed, rag, agent = by["q1", "closed-book"], by["q1", "rag"], by["q1", "agent"]
    assert closed["metrics"]["em"] == 1.0 and closed["usage"]["llm_calls"] == 1 and closed["usage"]["searches"] == 0
    assert closed["metrics"]["support_recall"] is None
    assert rag["prediction"] == "42 widgets" and rag["metrics"]["em"] == 0.0 and rag["metrics"]["cover_em"] == 1.0
    assert rag["citations"] == [{"id": gold, "supported": True}] and rag["usage"]["llm_calls"] == 2
    assert rag["metrics"]["citation_recall"] == 1.0 and rag["metrics"]["support_recall"] == 1.0
    plain = by["q1", "rag-plain"]
    assert plain["prediction"] == "42 widgets" and plain["usage"]["llm_calls"] == 1 and plain["citations"] == []
    assert plain["metrics"]["answer_in_evidence"] == 1.0 and by["q2", "rag-plain"]["abstained"]
    assert agent["draft"] == "42 widgets" and agent["metrics"]["support_recall"] == 1.0
    assert agent["metrics"]["support_both"] == 1.0 and agent["metrics"]["answer_in_evidence"] == 1.0
    assert gold in agent["evidence_ids"] and gold in agent["retrieved_ids"] and agent["signals"]["support"] == 1.0
    assert agent["usage"]["llm_calls"] == 3 and agent["usage"]["prompt_tokens"] == 300
    assert [v["grounded"] for v in agent["views"]] == ["42 widgets", "42 widgets per user", "42"]
    assert agent["usage"]["searches"] >= 1 and agent["usage"]["seconds"] >= agent["usage"]["llm_seconds"]
    assert (out / agent["trace"]).is_file()
    unanswerable = by["q2", "closed-book"]
    assert unanswerable["abstained"] and unanswerable["metrics"]["correct"] == 1.0
    assert by["q2", "rag"]["citations"] == [{"id": by["q2", "rag"]["retrieved_ids"][0], "supported": False}]
    assert by["q2", "agent"]["metrics"]["draft_correct"] == 0.0  # answering an unanswerable question

    summary, table = recompute_summary(out)  # the reports are a pure function of results.jsonl
    assert summary == json.loads((out / "summary.json").read_text())
    assert table == (out / "summary.md").read_text()
    s = summary["systems"]
    assert s["closed-book"]["em"] == 1.0 and s["rag"]["f1"] == pytest.approx(1 / 3, abs=1e-4)
    assert s["closed-book"]["abstention_recall"] == 1.0 and s["rag"]["citation_precision"] == 0.5
    assert s["agent"]["by_subset"]["bridge"]["searches_per_question"] >= 1
    assert 0 <= summary["framework_overhead_share"] <= 1
    assert "## Tool use per subset" in table and "| bridge | agent |" in table
    assert "| agent | rag-plain | 2 |" in table  # per-question wins and losses against each rag baseline

    export = json.loads((out / "browsecomp" / "q1.json").read_text())
    assert export["query_id"] == "q1" and export["status"] == "complete" and gold in export["retrieved_docids"]
    assert export["tool_call_counts"]["search"] >= 1

    with (out / "results.jsonl").open("a") as f:
        f.write('{"id": "q1", "sys')  # a row cut off by a kill
    again = scent(*args)  # resumable: every pair has a row, so no model call is made (the script is spent)
    lines = (out / "results.jsonl").read_text().splitlines()
    assert len(lines) == 8 and "| metric |" in again.stdout
    assert [json.loads(line)["id"] for line in lines]  # the partial line was cut off

    calib = tmp_path / "calib.json"
    fitted = json.loads(scent("calibrate", "--results", out, "--out", calib, "--json").stdout)
    assert fitted["fitted_answers"] == 2 and json.loads(calib.read_text())["question_ids"] == ["q1", "q2"]
    writer = json.loads((out / "run.json").read_text())["models"]["writer"]
    assert writer and json.loads(calib.read_text())["model"] == writer  # fitted for the model that answered
    refused = scent(*[a if a != out else tmp_path / "out2" for a in args], "--calibration", calib, check=False)
    assert refused.returncode == 2 and "leaving out 2 questions" in refused.stderr
    assert "no questions left" in refused.stderr


def test_resuming_with_other_models_is_refused(tmp_path: Path):
    index, dataset, script, _ = _setup(tmp_path)
    out = tmp_path / "out"
    scent("eval", "--dataset", dataset, "--index", index, "--systems", "closed-book", "--limit", "1", "--out", out,
          "--model", f"scripted:{script}", "--quiet", "--no-plots")
    other = tmp_path / "other.jsonl"
    other.write_text(script.read_text())
    proc = scent("eval", "--dataset", dataset, "--index", index, "--systems", "closed-book", "--out", out,
                 "--model", f"scripted:{other}", "--quiet", check=False)
    assert proc.returncode == 2 and "other models" in proc.stderr


def test_unknown_system_is_refused(tmp_path: Path):
    proc = scent("eval", "--dataset", tmp_path / "x.jsonl", "--index", tmp_path, "--out", tmp_path / "o",
                 "--systems", "rag,oracle", check=False)
    assert proc.returncode == 2 and "oracle" in proc.stderr


def test_eval_retrieval_on_a_tiny_beir_set(tmp_path: Path):
    beir = tmp_path / "beir"
    (beir / "qrels").mkdir(parents=True)
    docs = {"d1": "Widgets are blue.", "d2": "Gadgets are red.", "d3": "Widgets and gadgets are toys."}
    (beir / "corpus.jsonl").write_text("".join(json.dumps({"_id": i, "title": "", "text": t}) + "\n"
                                               for i, t in docs.items()))
    (beir / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "blue widgets"}) + "\n")
    (beir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td3\t1\n")
    out = json.loads(scent("eval-retrieval", "--beir", beir, "--json").stdout)
    assert out["queries"] == 1 and out["documents"] == 3 and out["recall@100"] == 1.0 and out["ndcg@10"] == 1.0
    assert out["retriever"] == "bm25"


def test_eval_retrieval_on_dbpedia(shared_data: Path):
    out = json.loads(scent("eval-retrieval", "--beir", shared_data / "beir-dbpedia-5k", "--json").stdout)
    assert out["queries"] == 40 and out["documents"] == 5000
    assert 0.3 < out["ndcg@10"] < 0.5 and 0.75 < out["recall@100"] < 0.95  # BM25: 0.374 / 0.856 when written


def test_llm_judge_grades_answers_outside_the_systems_cost(tmp_path: Path):
    index, dataset, _, _ = _setup(tmp_path)
    script = tmp_path / "judge.jsonl"
    replies = [{"answer": "forty-two", "confidence": 70}, {"correct": True}, {"answer": "unknown", "confidence": 5}]
    script.write_text("".join(json.dumps({"response": {"text": json.dumps(r)}}) + "\n" for r in replies))
    out = tmp_path / "out"
    scent("eval", "--dataset", dataset, "--index", index, "--systems", "closed-book", "--out", out, "--model",
          f"scripted:{script}", "--judge", "--quiet", "--no-plots")
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["metrics"]["judge"] for r in rows] == [1.0, 1.0]  # q2: a correct abstention, no judge call
    assert rows[0]["metrics"]["em"] == 0.0 and rows[0]["usage"]["llm_calls"] == 1
    assert json.loads((out / "summary.json").read_text())["systems"]["closed-book"]["judge"] == 1.0

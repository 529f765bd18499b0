"""Demonstrations from recorded agent runs (scent.rl.demos, `scent rl demos`): a tiny eval folder on the RL test
corpus, runs right/wrong/unverified/abstained, replayed through the environment into rollouts with loss masks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rl_fixtures import BRIDGE, UNANSWERABLE, build_corpus_index
from typer.testing import CliRunner

from scent.cli import app as cli
from scent.config import ScentConfig
from scent.rl.demos import build, runs_from_eval, runs_from_traces
from scent.rl.export import read_rollouts

SEARCH_V = ("search", {"query": "Vienna State Opera opened", "k": 20})
LOOKUP_G = ("lookup", {"phrase": "Don Giovanni", "k": 5})


def write_run(folder: Path, index: Path, qid: str, question: str, calls: list[tuple[str, dict[str, Any]]],
              answer: str, citations: list[dict[str, Any]], *, abstained: bool = False) -> None:
    events: list[dict[str, Any]] = [{"seq": 0, "type": "run_start", "question": question, "query_id": qid,
                                     "system": "agent", "index": str(index)}]
    for name, args in calls:
        events += [{"type": "tool_call", "tool": name, "args": args}, {"type": "tool_result", "tool": name}]
    events.append({"type": "note", "text": "not a tool call"})
    events.append({"type": "run_end", "status": "complete", "abstained": abstained, "confidence": 0.8,
                   "answer": {"answer": answer, "citations": citations}})
    (folder / "traces" / "agent").mkdir(parents=True, exist_ok=True)
    (folder / "traces" / "agent" / f"{qid}.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))


def eval_folder(tmp: Path, index: Path) -> Path:
    """Four agent runs (and a baseline's row): right and verified, wrong, right but unverified, an abstention on
    an unanswerable task."""
    folder = tmp / "eval"
    rows = []
    specs = [("q-right", BRIDGE, [SEARCH_V, LOOKUP_G], "Wolfgang Amadeus Mozart",
              [{"id": "p-vienna", "supported": True}, {"id": "p-giovanni", "supported": True}], False, 1.0),
             ("q-wrong", BRIDGE, [SEARCH_V], "Salzburg", [{"id": "p-vienna", "supported": True}], False, 0.0),
             ("q-unverified", BRIDGE, [SEARCH_V], "Mozart", [{"id": "p-giovanni", "supported": False}], False, 1.0),
             ("q-none", UNANSWERABLE, [("lookup", {"phrase": "closed for good", "k": 5})], "", [], True, 1.0)]
    for qid, task, calls, answer, citations, abstained, correct in specs:
        write_run(folder, index, qid, task.question, calls, answer, citations, abstained=abstained)
        rows.append({"id": qid, "system": "agent", "question": task.question, "subset": task.subset,
                     "golden_answers": task.golden_answers, "unanswerable": task.unanswerable,
                     "supporting_ids": task.supporting_ids, "prediction": answer, "abstained": abstained,
                     "confidence": 0.8, "citations": citations, "metrics": {"correct": correct},
                     "trace": f"traces/agent/{qid}.jsonl"})
        rows.append({**rows[-1], "system": "rag-plain", "trace": None})
    (folder / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "run.json").write_text(json.dumps({"index": str(index), "retriever": "bm25"}))
    return folder


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("rl-demos")
    index = build_corpus_index(tmp)
    return index, eval_folder(tmp, index)


def test_right_verified_runs_become_rewarded_tool_call_conversations(corpus: tuple[Path, Path]):
    _, folder = corpus
    runs = runs_from_eval(folder)
    assert [r.task.id for r in runs] == ["q-right", "q-wrong", "q-unverified", "q-none"]  # agent rows only
    assert runs[0].calls == [SEARCH_V, LOOKUP_G]  # tool calls in order; notes are not calls
    demos, report = build(runs, ScentConfig(), min_reward=1.0, balance=0)
    assert report.dropped == {"wrong": 1, "citations not verified": 1}
    assert report.runs == {"bridge": 3, "unanswerable": 1} and report.kept == {"bridge": 1, "unanswerable": 1}
    right = next(d for d in demos if d["task_id"] == "q-right")
    assert right["source"] == "demo" and right["status"] == "answered"
    roles = [(m["role"], m["loss_mask"]) for m in right["messages"]]
    assert roles == [("user", 0), ("assistant", 1), ("tool", 0), ("assistant", 1), ("tool", 0), ("assistant", 1),
                     ("tool", 0)]
    first = right["messages"][1]["tool_calls"][0]["function"]
    assert first["name"] == "search" and json.loads(first["arguments"]) == {"query": "Vienna State Opera opened",
                                                                             "k": 3}  # k as the env shows it
    assert "[p-vienna]" in right["messages"][2]["content"]  # the observation the environment shows
    final = json.loads(right["messages"][5]["tool_calls"][0]["function"]["arguments"])
    assert final == {"answer": "Wolfgang Amadeus Mozart", "citations": "p-vienna, p-giovanni", "confidence": 0.8}
    # answer 1, citation 1, Brier -(0.8 - 1)^2 = -0.04, format 1
    assert right["rewards"] == pytest.approx({"answer": 1.0, "citation": 1.0, "abstention": -0.04, "format": 1.0,
                                              "total": 1.0 + 0.5 - 0.02 + 0.2})
    none = next(d for d in demos if d["task_id"] == "q-none")
    assert none["status"] == "abstained" and none["rewards"]["total"] == pytest.approx(1.7)


def test_reward_filter_balance_and_the_tool_budget(corpus: tuple[Path, Path]):
    _, folder = corpus
    runs = runs_from_eval(folder)
    demos, report = build(runs, ScentConfig(), min_reward=1.69)
    assert [d["task_id"] for d in demos] == ["q-none"] and report.dropped["reward below 1.69"] == 1
    # a run of many useless lookups over the tool budget: the call that showed the cited passage is kept
    right = runs[0]
    right.calls = [("lookup", {"phrase": f"nothing {n}", "k": 5}) for n in range(10)] + right.calls
    cfg = ScentConfig(rl={"max_tool_calls": 2})
    demos, _ = build([right], cfg, min_reward=0)
    calls = [json.loads(m["tool_calls"][0]["function"]["arguments"]) for m in demos[0]["messages"]
             if m["role"] == "assistant"]
    # the search shows both cited passages (k 3 of 4 passages): it is kept, the first other call fills the budget
    assert calls[:2] == [{"phrase": "nothing 0", "k": 3}, {"query": "Vienna State Opera opened", "k": 3}]
    assert calls[2]["citations"] == "p-vienna, p-giovanni" and demos[0]["status"] == "answered"


def copies(run: Any, n: int) -> list[Any]:
    """n runs like `run` on n different tasks (the same task twice is one demonstration)."""
    from dataclasses import replace

    return [replace(run, task=run.task.model_copy(update={"id": f"{run.task.id}-{i}",
                                                           "question": f"{run.task.question} ({i})"}))
            for i in range(n)]


def test_balance_caps_each_kind(corpus: tuple[Path, Path]):
    _, folder = corpus
    runs = runs_from_eval(folder)
    many = [*copies(runs[0], 5), runs[3]]
    demos, report = build(many, ScentConfig(), min_reward=0, balance=2.0)
    assert len(demos) == 3
    assert report.passed == {"bridge": 5, "unanswerable": 1} and report.kept == {"bridge": 2, "unanswerable": 1}
    assert report.dropped["balance"] == 3


def test_bare_traces_with_and_without_a_task_file(tmp_path: Path, corpus: tuple[Path, Path]):
    _, folder = corpus
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(BRIDGE.model_dump_json() + "\n")
    runs = runs_from_traces(folder / "traces", None)
    assert {r.task.id for r in runs} == {"q-right", "q-wrong", "q-unverified"}  # an unlabelled abstention: no
    assert all(r.task.subset == "unlabelled" and r.correct is None for r in runs)
    from scent.eval.datasets import load_questions

    judged = runs_from_traces(folder / "traces", load_questions(tasks))
    # matched by question (the traces' query ids are not the file's), judged by cover-EM against the gold answer
    assert sorted((Path(r.source).stem, r.task.id, r.correct) for r in judged) == [
        ("q-right", "t-bridge", True), ("q-unverified", "t-bridge", False), ("q-wrong", "t-bridge", False)]


def test_the_cli(tmp_path: Path, corpus: tuple[Path, Path]):
    _, folder = corpus
    out = tmp_path / "demos.jsonl"
    result = CliRunner().invoke(cli, ["rl", "demos", "--from-eval", str(folder), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["total_kept"] == 2 and summary["kept"] == {"bridge": 1, "unanswerable": 1}
    assert [r["task_id"] for r in read_rollouts(out)] == ["q-right", "q-none"]
    result = CliRunner().invoke(cli, ["rl", "demos", "--out", str(out)])
    assert result.exit_code == 2 and "--from-eval" in result.output


def test_max_calls_keeps_the_calls_that_found_the_cited_passages(corpus: tuple[Path, Path]):
    _, folder = corpus
    right = runs_from_eval(folder)[0]
    right.calls = [("lookup", {"phrase": "Salzburg", "k": 5}), *right.calls]
    demos, _ = build([right], ScentConfig(), min_reward=0, max_calls=1)
    assert demos[0]["tool_calls"] == {"search": 1}  # the search showed both cited passages


def test_several_folders_keep_each_task_once_and_a_cap_per_kind(tmp_path: Path, corpus: tuple[Path, Path]):
    """A task run in two folders (a replay, a rerun) gives one demonstration; --max-per-kind caps a kind even
    with --balance 0."""
    import shutil

    _, folder = corpus
    again = tmp_path / "again"
    shutil.copytree(folder, again)
    from scent.rl.demos import from_eval

    demos, report = from_eval([folder, again], ScentConfig(), balance=0)
    assert sorted(d["task_id"] for d in demos) == ["q-none", "q-right"]
    assert report.dropped["duplicate task"] == 2 and report.runs == {"bridge": 6, "unanswerable": 2}
    runs = runs_from_eval(folder)
    demos, report = build([*copies(runs[0], 3), runs[3]], ScentConfig(), min_reward=0, balance=0, max_per_kind=1)
    assert report.kept == {"bridge": 1, "unanswerable": 1}


def test_the_cli_takes_several_folders(tmp_path: Path, corpus: tuple[Path, Path]):
    _, folder = corpus
    out = tmp_path / "demos.jsonl"
    result = CliRunner().invoke(cli, ["rl", "demos", "--from-eval", str(folder), "--from-eval", str(folder),
                                      "--max-per-kind", "1", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["total_kept"] == 2 and summary["dropped"]["duplicate task"] == 2

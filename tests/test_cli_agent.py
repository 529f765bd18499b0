"""`scent ask` / `scent research` / `scent resume` through the real CLI, with a scripted model."""

from __future__ import annotations

import json
from pathlib import Path

from agent_fixtures import DOCS
from conftest import scent

QUESTION = "What is the default widget limit?"


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "docs"
    root.mkdir()
    for name, text in DOCS.items():
        (root / name).write_text(text)
    scent("index", root, "--index", tmp_path / "idx", "-q")
    replies = ["42 widgets", "42 widgets per user", "Answer: 42"]  # the writer's three views
    script = tmp_path / "script.jsonl"  # one script for every role: the roles share one backend
    script.write_text("".join(json.dumps({"response": {"text": r}}) + "\n" for r in replies))
    return tmp_path / "idx", script


def test_ask_json(tmp_path: Path):
    index, script = _setup(tmp_path)
    proc = scent("ask", QUESTION, "--index", index, "--model", f"scripted:{script}", "--json", "--trace",
                 tmp_path / "t.jsonl")
    out = json.loads(proc.stdout)
    assert {"answer", "abstained", "confidence", "citations", "usage", "trace"} <= out.keys()
    assert out["answer"] == "42 widgets" and out["abstained"] is False
    assert out["citations"][0].keys() == {"n", "id", "path", "title", "quote"}
    assert out["citations"][0]["path"] == "widgets.md"
    assert out["usage"].keys() >= {"llm_calls", "prompt_tokens", "completion_tokens", "searches", "opens",
                                   "seconds"}
    assert "models: planner=scripted:" in proc.stderr and "search" in proc.stderr  # live progress on stderr
    again = scent("resume", tmp_path / "t.jsonl", "--json")  # a finished run: its answer, nothing re-run
    assert json.loads(again.stdout)["answer"] == "42 widgets" and "had finished" in again.stderr


def test_ask_errors_are_clear(tmp_path: Path):
    index, script = _setup(tmp_path)
    missing = scent("ask", QUESTION, "--index", tmp_path / "nope", "--model", f"scripted:{script}", check=False)
    assert missing.returncode == 2 and "no scent index" in missing.stderr
    empty = scent("ask", "  ", "--index", index, "--model", f"scripted:{script}", check=False)
    assert empty.returncode == 2 and "empty" in empty.stderr
    remote = scent("ask", QUESTION, "--index", index, "--model", "openai:https://api.example.com/v1#m",
                   "--local-only", check=False)
    assert remote.returncode == 2 and "not a loopback address" in remote.stderr
    (tmp_path / "blank").mkdir()
    scent("index", tmp_path / "blank", "--index", tmp_path / "blank-idx", "-q")
    blank = scent("ask", QUESTION, "--index", tmp_path / "blank-idx", "--model", f"scripted:{script}", check=False)
    assert blank.returncode == 2 and "is empty" in blank.stderr


def test_export_browsecomp_plus_run_format(tmp_path: Path):
    index, script = _setup(tmp_path)
    scent("ask", QUESTION, "--index", index, "--model", f"scripted:{script}", "--trace", tmp_path / "t.jsonl", "-q")
    run = json.loads(scent("export", tmp_path / "t.jsonl", "--query-id", "q7").stdout)
    assert run["query_id"] == "q7" and run["status"] == "complete"
    assert run["tool_call_counts"]["search"] == 1 and len(run["retrieved_docids"]) >= 1
    assert run["result"][0]["output"] == "42 widgets" and run["result"][0]["citations"]
    assert run["result"][0]["citations"][0] in run["retrieved_docids"]


def test_agent_settings_from_set_flags_and_abstain_reasons(tmp_path: Path):
    index, script = _setup(tmp_path)
    one = tmp_path / "one.jsonl"
    one.write_text(json.dumps({"response": {"text": "42 widgets"}}) + "\n")  # one view only
    proc = scent("ask", QUESTION, "--index", index, "--model", f"scripted:{one}", "--json", "--set",
                 "agent.views=1", "--trace", tmp_path / "t.jsonl")
    assert json.loads(proc.stdout)["answer"] == "42 widgets"
    start = json.loads((tmp_path / "t.jsonl").read_text().splitlines()[0])
    assert start["config"]["views"] == 1
    bad = scent("ask", QUESTION, "--index", index, "--set", "agent.views=many", check=False)
    assert bad.returncode == 2 and "views" in bad.stderr
    absent = scent("ask", "What is the default value of innodb_buffer_pool_size?", "--index", index, "--model",
                   f"scripted:{script}")
    assert "Not found in the corpus" in absent.stdout and "occurs nowhere in the corpus" in absent.stdout

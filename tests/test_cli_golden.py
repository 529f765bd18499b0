"""The `--json` outputs of every command, pinned: the keys and the types of their values (and, where a command
is deterministic, the values themselves) must not change by accident. A deliberate change is recorded with
`SCENT_UPDATE_GOLDEN=1 pytest tests/test_cli_golden.py` and reviewed in the diff of tests/data/cli_golden.json."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from conftest import scent
from test_eval_run import Q1
from test_eval_run import _setup as eval_setup

GOLDEN = Path(__file__).parent / "data" / "cli_golden.json"


def shape(value: Any) -> Any:
    """Keys and value types: {"a": [1.5]} → {"a": ["float"]}; a list's shape is its first item's."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def _json(*args: str | Path) -> Any:
    return json.loads(scent(*args).stdout)


def test_json_outputs_keep_their_shape(tmp_path: Path):
    index, dataset, script, _gold = eval_setup(tmp_path)
    out: dict[str, Any] = {}
    idx2 = tmp_path / "idx2"
    indexed = _json("index", tmp_path / "docs", "--index", idx2, "--no-vectors", "--json")
    out["index"] = shape(indexed)
    hits = _json("search", "widget limit", "--index", index, "-k", "2", "--json")
    out["search"] = shape(hits)
    out["show"] = shape(_json("show", hits[0]["id"], "--index", index, "--json"))
    out["models"] = shape(_json("models", "--model", f"scripted:{script}", "--json"))
    out["config"] = shape(_json("config", "--model", f"scripted:{script}", "--set", "eval.rag_k=7", "--json"))
    out["llm"] = shape(_json("llm", "hello", "--model", f"scripted:{script}", "--json"))
    ask_script = tmp_path / "ask.jsonl"
    ask_script.write_text("".join(json.dumps({"response": {"text": t}}) + "\n"
                                  for t in ["42 widgets", "42 widgets per user", "Answer: 42"] * 2))
    trace = tmp_path / "t.jsonl"
    out["ask"] = shape(_json("ask", Q1, "--index", index, "--model", f"scripted:{ask_script}", "--json", "--trace",
                             trace, "--retriever", "bm25"))
    out["resume"] = shape(_json("resume", trace, "--json"))
    out["export"] = shape(_json("export", trace, "--query-id", "q1"))
    run = tmp_path / "out"
    out["eval"] = shape(_json("eval", "--dataset", dataset, "--index", index, "--systems",
                              "closed-book,rag,rag-plain,agent", "--out", run, "--model", f"scripted:{script}",
                              "--retriever", "bm25", "--quiet", "--no-plots", "--json"))
    out["calibrate"] = shape(_json("calibrate", "--results", run, "--out", tmp_path / "c.json", "--json"))
    predictions = tmp_path / "pred.jsonl"
    predictions.write_text(json.dumps({"question": Q1, "answer": "42", "pred_ans": "42 widgets"}) + "\n")
    out["score"] = _json("score", "--predictions", predictions, "--json")
    beir = tmp_path / "beir"
    (beir / "qrels").mkdir(parents=True)
    (beir / "corpus.jsonl").write_text(json.dumps({"_id": "d1", "title": "", "text": "blue widgets"}) + "\n")
    (beir / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "blue widgets"}) + "\n")
    (beir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t2\n")
    out["eval-retrieval"] = shape(_json("eval-retrieval", "--beir", beir, "--json"))
    if os.environ.get("SCENT_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    assert out == json.loads(GOLDEN.read_text())

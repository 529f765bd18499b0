"""Traces: append-only, one event per line, readable after a kill, every model call recorded."""

from __future__ import annotations

import json
from pathlib import Path

from scent.llm.scripted import ScriptedLLM
from scent.trace import TracedLLM, TraceWriter, read_trace


def test_events_are_numbered_and_flushed_as_they_happen(tmp_path: Path):
    trace = TraceWriter(tmp_path / "run.jsonl")
    trace.emit("run_start", question="q", models={"planner": "scripted:x"})
    assert read_trace(tmp_path / "run.jsonl")[0]["type"] == "run_start"  # visible before close
    trace.emit("note", passage="abc", quote="a quote")
    trace.close()
    events = read_trace(tmp_path / "run.jsonl")
    assert [(e["seq"], e["type"]) for e in events] == [(0, "run_start"), (1, "note")]
    assert events[1]["t"] >= events[0]["t"]


def test_a_partial_last_line_is_dropped_and_appending_continues(tmp_path: Path):
    path = tmp_path / "run.jsonl"
    trace = TraceWriter(path)
    trace.emit("run_start")
    trace.emit("plan", facts=["x"])
    trace.close()
    with path.open("a") as f:
        f.write('{"seq": 2, "type": "no')  # a writer killed mid-line
    assert [e["type"] for e in read_trace(path)] == ["run_start", "plan"]
    resumed = TraceWriter(path)
    resumed.emit("reflect", missing=[])
    resumed.close()
    events = read_trace(path)
    assert [(e["seq"], e["type"]) for e in events] == [(0, "run_start"), (1, "plan"), (2, "reflect")]
    assert all(json.loads(line) for line in path.read_text().splitlines())


def test_traced_llm_records_the_prompt_reply_tokens_and_role(tmp_path: Path):
    script = tmp_path / "s.jsonl"
    script.write_text("\n".join(json.dumps({"response": {"text": t, "usage": {"prompt_tokens": 9,
                                                                              "completion_tokens": 3}}})
                                for t in ["not json", '{"n": 1}']) + "\n")
    trace = TraceWriter(tmp_path / "run.jsonl")
    llm = TracedLLM(ScriptedLLM(script), trace, role="planner")
    reply = llm.complete([{"role": "user", "content": "pick"}], schema={"type": "object"})
    trace.close()
    calls = [e for e in read_trace(tmp_path / "run.jsonl") if e["type"] == "llm_call"]
    assert reply.json_value == {"n": 1} and len(calls) == 2  # the repair turn is its own event
    assert calls[0]["role"] == "planner" and calls[0]["reply"] == "not json" and calls[0]["prompt_tokens"] == 9
    assert calls[1]["messages"][-1]["role"] == "user" and "not valid" in calls[1]["messages"][-1]["content"]

"""Traces: append-only, one event per line, readable after a kill, every model call recorded."""

from __future__ import annotations

import ast
import json
import re
import typing
from pathlib import Path

from pydantic import TypeAdapter

from scent.events import EVENT_TYPES, MODELS
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


# -- the event types (scent.events) ----------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def _fields(model: type) -> tuple[set[str], set[str]]:
    """(all fields, required fields) of an event model, less the header (seq, t, type)."""
    every = set(typing.get_type_hints(model)) - {"seq", "t", "type"}
    return every, set(model.__required_keys__) - {"seq", "t", "type"}


def test_every_emit_in_the_package_names_an_event_type_and_gives_its_fields():
    seen = set()
    for path in sorted((ROOT / "src" / "scent").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "emit"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            name = node.args[0].value
            assert name in EVENT_TYPES, f"{where}: {name!r} is not in scent.events.EventType"
            seen.add(name)
            every, required = _fields(MODELS[name])
            given = {k.arg for k in node.keywords if k.arg is not None}
            assert given <= every, f"{where}: {name} has no field(s) {sorted(given - every)}"
            if all(k.arg is not None for k in node.keywords):  # a **model_dump() splat is checked at run time
                assert required <= given, f"{where}: {name} lacks {sorted(required - given)}"
    assert seen == set(EVENT_TYPES)  # and every declared type is emitted somewhere


def _check(event: dict) -> None:
    model = MODELS[event["type"]]
    every, _ = _fields(model)
    assert set(event) - {"seq", "t", "type"} <= every, (event["type"], set(event) - every)
    TypeAdapter(model).validate_python(event)


def test_the_events_of_scripted_runs_have_their_types_fields(tmp_path: Path):
    from agent_fixtures import DOCS
    from conftest import scent

    root = tmp_path / "docs"
    root.mkdir()
    for name, text in DOCS.items():
        (root / name).write_text(text)
    scent("index", root, "--index", tmp_path / "idx", "-q")
    script = tmp_path / "script.jsonl"  # the writer's three views, then nothing: later calls fail (error events)
    script.write_text("".join(json.dumps({"response": {"text": r}}) + "\n"
                              for r in ["42 widgets", "42 widgets per user", "Answer: 42"]))
    common = ["--index", tmp_path / "idx", "--model", f"scripted:{script}", "-q"]
    scent("ask", "What is the default widget limit?", *common, "--trace", tmp_path / "ask.jsonl")
    scent("research", "Who invented the widget, and what are its limits?", *common, "--trace",
          tmp_path / "research.jsonl", "--set", "agent.research.choose_claims=false")
    kinds = set()
    for trace in ("ask.jsonl", "research.jsonl"):
        for event in read_trace(tmp_path / trace):
            _check(event)
            kinds.add(event["type"])
    assert {"run_start", "llm_call", "tool_call", "tool_result", "note", "view", "calibrate", "outline",
            "section", "section_done", "report", "run_end"} <= kinds


def test_the_web_ui_and_the_server_docs_name_the_event_types():
    app_js = (ROOT / "src" / "scent" / "serve" / "static" / "app.js").read_text()
    handled = set(re.findall(r'case "(\w+)":', app_js)) | set(re.findall(r'ev\.type === "(\w+)"', app_js))
    assert handled and handled <= set(EVENT_TYPES), handled - set(EVENT_TYPES)
    docs = (ROOT / "docs" / "server.md").read_text()
    table = docs[docs.index("| type | when | fields |"):].split("\n\n", 1)[0]
    documented = {name for row in table.splitlines()[2:] for name in re.findall(r"`(\w+)`", row.split("|")[1])}
    assert documented == set(EVENT_TYPES)

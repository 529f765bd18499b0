"""A run killed mid-way resumes from its trace: the recorded model replies are not asked again, and the final
answer is the one an uninterrupted run gives."""

from __future__ import annotations

import json
from pathlib import Path

from agent_fixtures import make_index, scripts

from scent.agent import Agent
from scent.agent.resume import ReplayThenLive, recorded_replies
from scent.llm.scripted import RecordingLLM, ScriptedLLM
from scent.trace import TraceWriter, read_run, read_trace

QUESTION = "What is the default widget limit?"


def test_resume_after_a_crash_gives_the_same_answer_without_redoing_model_calls(tmp_path: Path):
    index = make_index(tmp_path)
    replies = {"writer": ["42 widgets", "42 widgets per user", "42"]}  # three views
    # the uninterrupted run, recorded with request keys (as `--record` would)
    recorded = tmp_path / "recorded.jsonl"
    llms = {role: RecordingLLM(llm, recorded, role) for role, llm in scripts(tmp_path, replies).items()}
    full_trace = tmp_path / "full.jsonl"
    writer = TraceWriter(full_trace)
    expected = Agent(index, llms).run(QUESTION, writer)
    writer.close()

    # a crash after the writer's second view: cut the trace there, mid-line
    lines = full_trace.read_text().splitlines(keepends=True)
    cut = [i for i, line in enumerate(lines) if json.loads(line).get("role") == "writer"][1] + 1
    crashed = tmp_path / "crashed.jsonl"
    crashed.write_text("".join(lines[:cut]) + lines[cut][: len(lines[cut]) // 2])
    start, end, events = read_run(crashed, complete=False)
    assert end is None and start["question"] == QUESTION

    live = ScriptedLLM(recorded)  # answers by request key: only what the trace lacks should be asked
    replayers = {role: ReplayThenLive(live, recorded_replies(events)) for role in llms}
    writer = TraceWriter(crashed)
    writer.emit("resume")
    resumed = Agent(index, dict(replayers)).run(QUESTION, writer)
    writer.close()

    assert resumed.answer == expected.answer and resumed.citations == expected.citations
    assert resumed.confidence == expected.confidence
    recorded_calls = sum(1 for e in read_trace(full_trace) if e["type"] == "llm_call")
    assert sum(r.replayed for r in replayers.values()) == 2  # the first two views
    assert live.calls == recorded_calls - 2
    types = [e["type"] for e in read_trace(crashed)]
    assert types.count("run_start") == 2 and types[-1] == "run_end" and "resume" in types

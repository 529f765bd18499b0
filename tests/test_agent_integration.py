"""Integration: the research agent with the embedded model on the real PostgreSQL docs."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import scent

from scent.trace import read_trace

pytestmark = pytest.mark.integration


def test_ask_cites_the_connection_settings_page(pg_index: Path, tmp_path: Path):
    proc = scent("ask", "What is the default value of max_connections?", "--index", pg_index, "--json",
                 "--trace", tmp_path / "t.jsonl", timeout=900)
    out = json.loads(proc.stdout)
    assert not out["abstained"], out
    assert "runtime-config-connection.html" in [c["path"] for c in out["citations"]]
    assert "100" in out["answer"] + " ".join(c["quote"] for c in out["citations"])
    events = read_trace(tmp_path / "t.jsonl")
    assert events[0]["models"]["writer"] == "llamacpp:default" and events[-1]["type"] == "run_end"


@pytest.mark.parametrize("question,answer,page", [
    # two hops: the setting is named by what it does, its page holds the default
    ("What is the default value of the setting that limits the number of concurrent connections to the database "
     "server?", "100", "runtime-config-connection.html"),
    # the function leads to the module that provides it
    ("Which utility restores a database from an archive created by pg_dump in one of the non-plain-text formats?",
     "pg_restore", "app-pgrestore.html"),
])
def test_multi_hop_questions_on_the_docs(pg_index: Path, question: str, answer: str, page: str):
    out = json.loads(scent("ask", question, "--index", pg_index, "--json", timeout=900).stdout)
    assert not out["abstained"], out
    assert answer in out["answer"] and page in [c["path"] for c in out["citations"]]


@pytest.mark.parametrize("question", [
    "Who won the 1998 FIFA World Cup final?",
    "What is the default value of innodb_buffer_pool_size?",
    "What port does MongoDB listen on by default?",
])
def test_questions_about_what_the_corpus_does_not_hold_abstain(pg_index: Path, question: str):
    out = json.loads(scent("ask", question, "--index", pg_index, "--json", timeout=900).stdout)
    assert out["abstained"] is True and out["citations"] == [] and out["abstain_reason"] == "absent"


def test_kill_mid_run_then_resume_finishes(pg_index: Path, tmp_path: Path):
    trace = tmp_path / "killed.jsonl"
    cmd = [sys.executable, "-m", "scent", "ask", "What is the default value of max_connections?", "--index",
           str(pg_index), "--trace", str(trace), "--quiet", "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        if trace.exists() and sum(e["type"] == "llm_call" for e in read_trace(trace)) >= 2:
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    recorded = sum(e["type"] == "llm_call" for e in read_trace(trace))
    resumed = scent("resume", trace, "--json", "--quiet", timeout=900)
    out = json.loads(resumed.stdout)
    assert "answer" in out and out["trace"] == str(trace)
    events = read_trace(trace)
    assert events[-1]["type"] == "run_end" and any(e["type"] == "resume" for e in events)
    replayed = [e for e in events if e["type"] == "llm_call" and e.get("replayed")]
    assert len(replayed) >= min(recorded, 2)  # the killed run's model calls were not made again

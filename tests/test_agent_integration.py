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


@pytest.fixture(scope="module")
def pg_index(pg_docs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    index = tmp_path_factory.mktemp("pg-agent") / "idx"
    scent("index", pg_docs, "--index", index, "-q", "--no-vectors")  # BM25 is enough here; embedding takes minutes
    return index


def test_ask_cites_the_connection_settings_page(pg_index: Path, tmp_path: Path):
    proc = scent("ask", "What is the default value of max_connections?", "--index", pg_index, "--json",
                 "--trace", tmp_path / "t.jsonl", timeout=900)
    out = json.loads(proc.stdout)
    assert not out["abstained"], out
    assert "runtime-config-connection.html" in [c["path"] for c in out["citations"]]
    assert "100" in out["answer"] + " ".join(c["quote"] for c in out["citations"])
    events = read_trace(tmp_path / "t.jsonl")
    assert events[0]["models"]["reader"] == "llamacpp:default" and events[-1]["type"] == "run_end"


def test_question_not_in_the_corpus_abstains(pg_index: Path):
    proc = scent("ask", "Who won the 1998 FIFA World Cup final?", "--index", pg_index, "--json", timeout=900)
    out = json.loads(proc.stdout)
    assert out["abstained"] is True and out["citations"] == []


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

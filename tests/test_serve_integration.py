"""Integration: the real `scent serve` command with the embedded model on the PostgreSQL docs — search, then an
ask streamed over HTTP to a cited answer, then the run in the history; and the same question asked in the web
page in Chromium, its citation opened on the quoted sentence."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from serve_fixtures import sse_events

pytestmark = pytest.mark.integration

TOKEN = "integration-token-0123456789"


@pytest.fixture
def served(pg_index: Path, tmp_path: Path) -> Iterator[str]:
    """`scent serve --index pg=INDEX --port 0` in a subprocess; its URL (read from what it prints)."""
    env = {**os.environ, "SCENT_TOKEN": TOKEN, "XDG_CONFIG_HOME": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "scent", "serve", "--index", f"pg={pg_index}", "--port", "0",
                             "--no-mcp"], stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stderr is not None
    try:
        line = proc.stderr.readline()  # models load first: this line comes once the server can answer
        found = re.search(r"on (http://127\.0\.0\.1:\d+)/", line)
        assert found, line + proc.stderr.read() if proc.poll() is not None else line
        url = found.group(1)
        for _ in range(100):
            try:
                if httpx.get(url + "/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(30)


def test_http_ask_with_the_embedded_model_on_the_postgresql_docs(served: str):
    with httpx.Client(base_url=served, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=900) as c:
        [index] = c.get("/api/indexes").json()
        assert index["name"] == "pg" and index["documents"] > 1000
        hits = c.get("/api/search", params={"q": "max_connections default", "k": 3, "index": "pg"}).json()
        assert "runtime-config-connection.html" in [h["path"] for h in hits]
        with c.stream("POST", "/api/ask", json={"question": "What is the default value of max_connections?",
                                                 "index": "pg"}) as response:
            assert response.status_code == 200
            events = list(sse_events(response))
        kinds = [k for k, _ in events]
        assert kinds[0] == "run" and kinds[1] == "run_start" and kinds[-1] == "run_end"
        assert "tool_call" in kinds and "llm_call" in kinds and "verify" in kinds
        assert [d["seq"] for _, d in events[1:]] == list(range(len(events) - 1))
        start, end = events[1][1], events[-1][1]
        assert start["models"]["writer"] == "llamacpp:default"
        answer = end["answer"]
        assert end["status"] == "complete" and not answer["abstained"], json.dumps(answer)[:2000]
        assert "runtime-config-connection.html" in [c["path"] for c in answer["citations"]]
        assert "100" in answer["answer"] + " ".join(c["quote"] for c in answer["citations"])
        run_id = events[0][1]["id"]
        history = c.get("/api/runs", params={"index": "pg"}).json()
        assert history[0]["id"] == run_id and history[0]["status"] == "complete"
        cited = answer["citations"][0]
        read = c.get("/api/passage", params={"id": cited["id"], "index": "pg"}).json()
        assert " ".join(cited["quote"].split()).lower() in " ".join(read["passage"]["text"].split()).lower()


def test_the_page_with_the_embedded_model(served: str):
    """The web UI in Chromium against `scent serve` with the embedded model (the browser tests' other runs use
    the scripted model): ask → the steps in words → the answer with [1] → the quoted sentence marked in
    runtime-config-connection.html and in view."""
    import shutil

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (make test installs it: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{served}/#token={TOKEN}")
            page.wait_for_selector("#stats:has-text('passages')")
            page.fill("#question", "What is the default value of max_connections?")
            page.press("#question", "Enter")
            page.wait_for_selector("#steps li[data-type=tool_call]", timeout=120_000)
            assert page.inner_text("#steps li[data-type=tool_call] >> nth=0").startswith("searching “")
            page.wait_for_selector("#answer:not([hidden])", timeout=900_000)
            assert "100" in page.inner_text("#answer-text") + page.inner_text("#citations")
            assert page.query_selector("#answer-marks button.cite")
            path = page.get_attribute("#answer-marks button.cite >> nth=0", "title") or ""
            page.click("#answer-marks button.cite >> nth=0")
            page.wait_for_selector("#doc p.hit mark.quote")
            assert page.inner_text("#doc-path") in path
            assert page.evaluate("() => { const r = document.querySelector('mark.quote').getBoundingClientRect(); "
                                 "return r.top >= 0 && r.bottom <= innerHeight; }")
            assert not page.is_visible("#error")
            artifacts = Path(__file__).resolve().parent.parent / "build" / "test-artifacts"
            artifacts.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(artifacts / "embedded-answer.png"))
        finally:
            browser.close()

"""The web UI in real headless Chromium (Debian's `chromium`, driven by Playwright): ask → the live trace →
the answer with citations → clicking [1] shows the cited paragraph highlighted in its document; a planted
document with `<script>` and `<img onerror>` is shown as inert text. Screenshots go to build/test-artifacts/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from serve_fixtures import QUESTION, running_server

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parent.parent / "build" / "test-artifacts"
PLANTED = ("# Planted page\n\nThis planted page says <script>window.pwned = 1</script> and shows "
           "<img src=x onerror=\"window.pwned = 2\"> to whoever reads it.")


@pytest.fixture
def page():
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (make test installs it: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        yield tab
        browser.close()


def test_ask_trace_answer_and_cited_paragraph(tmp_path: Path, page):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with running_server(tmp_path, {"planted.md": PLANTED}) as server:
        page.goto(f"{server.url}/#token={server.token}")
        page.wait_for_selector("#stats:has-text('passages')")
        assert "token" not in page.url  # the token leaves the address bar at once
        page.fill("#question", QUESTION)
        page.press("#question", "Enter")
        page.wait_for_selector("#trace li[data-type=tool_call]")
        page.wait_for_selector("#trace li[data-type=run_end]")
        assert page.inner_text("#answer-text") == "42 widgets"
        assert float(page.inner_text("#confidence")) > 0
        page.click("#citations button.cite >> nth=0")
        page.wait_for_selector("#doc p.hit")
        assert "default limit is 42 widgets" in page.inner_text("#doc p.hit")
        assert page.inner_text("#doc-path") == "widgets.md"
        page.screenshot(path=str(ARTIFACTS / "ui-answer-citation.png"), full_page=True)
        page.wait_for_selector("#history li")
        assert QUESTION in page.inner_text("#history")

        page.press("body", "/")
        page.fill("#query", "planted page")
        page.press("#query", "Enter")
        page.wait_for_selector("#hits li")
        page.click("#hits li >> nth=0")
        page.wait_for_selector("#doc p")
        text = page.inner_text("#doc")
        assert "<script>window.pwned = 1</script>" in text and "<img src=x" in text
        assert page.evaluate("() => window.pwned") is None
        assert page.query_selector("#doc script, #doc img") is None
        page.screenshot(path=str(ARTIFACTS / "ui-planted-script.png"), full_page=True)


def test_the_index_chooser_when_several_are_served(tmp_path: Path, page):
    other = {"sprockets.md": "# Sprocket guide\n\nA sprocket turns at most 300 times a minute."}
    with running_server(tmp_path, second=other) as server:
        page.goto(f"{server.url}/#token={server.token}")
        page.wait_for_selector("#index:not([hidden])")  # shown only when several indexes are served
        assert page.eval_on_selector_all("#index option", "os => os.map(o => o.value)") == ["idx", "other"]
        assert "3 documents" in page.inner_text("#stats")
        page.select_option("#index", "other")
        page.wait_for_selector("#stats:has-text('1 documents')")
        page.fill("#query", "sprocket turns")
        page.press("#query", "Enter")
        page.wait_for_selector("#hits li")
        page.click("#hits li >> nth=0")
        page.wait_for_selector("#doc p.hit")
        assert page.inner_text("#doc-path") == "sprockets.md"
        assert "300 times" in page.inner_text("#doc p.hit")

"""The web UI in real headless Chromium (Debian's `chromium`, driven by Playwright): ask → the steps in words →
the answer with [1] → clicking it marks the quoted sentence in its document; a planted document with `<script>`
and `<img onerror>` is shown as inert text; a run reopened from History stays with its index (issue 24); a
report rendered and exported; the library, and a folder added to it from the page; a 375 px phone without
horizontal scroll; dark mode. Screenshots go to build/test-artifacts/ (and docs/images/ with
SCENT_SCREENSHOTS=docs)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from serve_fixtures import QUESTION, running_server

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parent.parent / "build" / "test-artifacts"
DOCS_IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"
PLANTED = ("# Planted page\n\nThis planted page says <script>window.pwned = 1</script> and shows "
           "<img src=x onerror=\"window.pwned = 2\"> to whoever reads it.")


@pytest.fixture
def page():
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (make test installs it: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        tab = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
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
        page.wait_for_selector("#steps li[data-type=tool_call]")
        page.wait_for_selector("#trace li[data-type=run_end]", state="attached")  # the raw events, folded
        assert page.inner_text("#steps li[data-type=tool_call] >> nth=0").startswith("searching “")
        assert page.inner_text("#answer-text") == "42 widgets"
        assert float(page.inner_text("#confidence")) > 0 and "verified" in page.inner_text("#confidence-reasons")
        # the vote's agreement: "42" agrees with "42 widgets" (an exact-text count said 2 of 3)
        assert page.inner_text("#confidence-reasons").startswith("3 of 3 readings agree")
        page.click("#answer-marks button.cite >> nth=0")
        page.wait_for_selector("#doc p.hit mark.quote")
        quote = page.inner_text("#citations .quote-line >> nth=0").strip("“”")
        assert page.inner_text("#doc p.hit mark.quote") == quote  # the quoted sentence, not the whole passage
        assert "default limit is 42 widgets" in page.inner_text("#doc p.hit")
        assert page.evaluate("() => { const r = document.querySelector('mark.quote').getBoundingClientRect(); "
                             "return r.top >= 0 && r.bottom <= innerHeight; }")  # scrolled into view
        assert page.inner_text("#doc-path") == "widgets.md" and "Limits" in page.inner_text("#doc-where")
        shot(page, "answer.png")
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


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=False)
    if os.environ.get("SCENT_SCREENSHOTS") == "docs":
        page.screenshot(path=str(DOCS_IMAGES / name), full_page=False)


def test_a_reopened_run_belongs_to_its_index(tmp_path: Path, page):
    """Issue 24's stale answer: reopen a run from History, switch index, click [1] → no old answer, no 404."""
    other = {"sprockets.md": "# Sprocket guide\n\nA sprocket turns at most 300 times a minute."}
    with running_server(tmp_path, second=other) as server:
        with server.client() as c, c.stream("POST", "/api/ask", json={"question": QUESTION, "index": "idx"}) as r:
            r.read()
        page.goto(f"{server.url}/#token={server.token}")
        page.wait_for_selector("#history li")
        page.click("#history li >> nth=0")
        page.wait_for_selector("#answer-text:has-text('42 widgets')")
        page.select_option("#index", "other")
        page.wait_for_selector("#answer", state="hidden")  # the answer left with its index
        assert page.query_selector_all("#history li") == [] or QUESTION not in page.inner_text("#history")
        page.select_option("#index", "idx")
        page.wait_for_selector("#history li")
        page.click("#history li >> nth=0")
        page.wait_for_selector("#answer-text:has-text('42 widgets')")
        page.select_option("#index", "other")
        page.select_option("#index", "idx")  # back: History again, the answer reopened from it opens in idx
        page.wait_for_selector("#history li")
        page.click("#history li >> nth=0")
        page.click("#answer-marks button.cite >> nth=0")
        page.wait_for_selector("#doc p.hit mark.quote")
        assert not page.is_visible("#error")


def test_report_library_phone_and_dark_mode(tmp_path: Path, page):
    with running_server(tmp_path) as server:
        page.goto(f"{server.url}/#token={server.token}")
        page.wait_for_selector("#stats:has-text('passages')")
        page.select_option("#mode", "report")
        page.fill("#question", "What are widgets?")
        page.press("#question", "Enter")
        page.wait_for_selector("#report h3")
        assert "References" in page.inner_text("#report") and page.query_selector("#report button.cite")
        shot(page, "report.png")
        with page.expect_download() as got:
            page.click("[data-export=md]")
        assert got.value.suggested_filename.endswith(".md")
        markdown = Path(got.value.path()).read_text()
        assert markdown.startswith("# What are widgets?")
        with page.expect_download() as got:
            page.click("[data-export=json]")
        assert "sections" in Path(got.value.path()).read_text()
        with page.expect_download() as got:
            page.click("[data-export=html]")
        html = Path(got.value.path()).read_text()
        assert "<article" in html and "References" in html and "<script" not in html
        page.click("#report button.cite >> nth=0")
        page.wait_for_selector("#doc mark.quote")

        page.click("[data-tab=library]")
        page.wait_for_selector("#library li")
        assert "3 documents" in page.inner_text("#library-stats")
        page.fill("#library-filter", "widgets")
        page.click("#library li >> nth=0")
        page.wait_for_selector("#doc p")
        page.fill("#doc-find", "42 widgets")
        page.press("#doc-find", "Enter")
        page.wait_for_selector("#doc mark.quote:has-text('42 widgets')")
        shot(page, "library.png")

        page.set_viewport_size({"width": 375, "height": 800})
        page.click("[data-tab=ask]")
        assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")  # no horizontal scroll
        shot(page, "mobile.png")
        page.emulate_media(color_scheme="dark")
        dark = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        page.emulate_media(color_scheme="light")
        light = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        assert dark != light and dark == "rgb(20, 20, 20)"


def test_add_a_folder_from_the_library(tmp_path: Path, page):
    """Library → add a folder (under --allow-index-root) → progress → the ingest report → its documents in the
    library and in search; a path outside the allowed roots is refused beside the field; a file uploaded from
    the browser into the folder is indexed with it, and a second upload of its name is refused."""
    allowed = tmp_path / "allowed"
    (allowed / "field-notes").mkdir(parents=True)
    (allowed / "field-notes" / "kestrels.md").write_text(
        "# Kestrels\n\n## Hunting\n\nA kestrel hovers into the wind before it drops onto a vole.\n")
    (allowed / "field-notes" / "herons.txt").write_text("Grey herons nest in colonies called heronries.\n")
    (allowed / "field-notes" / "sketch.xcf").write_bytes(b"gimp xcf file")
    with running_server(tmp_path, index_roots=[allowed]) as server:
        page.goto(f"{server.url}/#token={server.token}")
        page.wait_for_selector("#stats:has-text('passages')")
        page.click("[data-tab=library]")
        page.wait_for_selector("#add-folder:not([hidden])")
        assert str(allowed.resolve()) in page.inner_text("#folder-roots")
        page.fill("#folder", "/etc")
        page.click("#add-folder-button")
        page.wait_for_selector("#indexing.failed")
        assert "not inside a folder this server may index" in page.inner_text("#indexing-status")
        page.fill("#folder", str(allowed / "field-notes"))
        page.click("#add-folder-button")
        page.wait_for_selector("#indexing-status:has-text('Indexed')")
        status = page.inner_text("#indexing-status")
        assert "2 added" in status and "1 skipped" in status and "5 documents" in status
        assert "sketch.xcf — unsupported-type" in page.inner_text("#indexing-skipped")
        page.wait_for_selector("#library-stats:has-text('5 documents')")
        page.wait_for_selector("#stats:has-text('5 documents')")
        page.wait_for_selector("#library li:has-text('Kestrels')")
        shot(page, "library-indexing.png")
        page.fill("#library-filter", "heronries")
        assert page.query_selector_all("#library li") == []  # the filter is over paths and titles
        page.fill("#library-filter", "herons")
        page.wait_for_selector("#library li:has-text('herons.txt')")
        (tmp_path / "from-my-laptop").mkdir()  # a file of the browser's computer, uploaded into the folder
        (tmp_path / "from-my-laptop" / "swifts.md").write_text("# Swifts\n\nCommon swifts sleep on the wing.\n")
        page.set_input_files("#upload-files", str(tmp_path / "from-my-laptop" / "swifts.md"))
        page.click("#upload-button")
        page.wait_for_selector("#indexing-status:has-text('1 added')")
        assert (allowed / "field-notes" / "swifts.md").exists() and "6 documents" in page.inner_text("#indexing-status")
        page.set_input_files("#upload-files", str(tmp_path / "from-my-laptop" / "swifts.md"))
        page.click("#upload-button")  # the same name again: refused, nothing replaced
        page.wait_for_selector("#indexing.failed")
        assert "already exists" in page.inner_text("#indexing-status")
        page.click("[data-tab=ask]")
        page.fill("#query", "swifts sleep wing")
        page.press("#query", "Enter")
        page.wait_for_selector("#hits li:has-text('Swifts')")
        page.fill("#query", "kestrel hovers wind")
        page.press("#query", "Enter")
        # the swifts search's list is still on the page until the new one arrives: wait for the new one (a race that
        # clicked the old first hit once)
        page.wait_for_selector("#hits li >> nth=0 >> text=/kestrel/i")
        page.click("#hits li >> nth=0")
        page.wait_for_selector("#doc p.hit:has-text('drops onto a vole')")
        assert "drops onto a vole" in page.inner_text("#doc p.hit") and "Hunting" in page.inner_text("#doc-where")
        assert not page.is_visible("#error")


def test_a_pdf_citation_shows_the_page(tmp_path: Path, page):
    """Ask over an index holding a PDF → [1] → the page rendered by the server, the quote marked on it and in
    view, the passage's text below with the quote marked too; a Markdown citation shows no page image."""
    from test_serve_pages import write_pdf

    write_pdf(tmp_path / "handbook.pdf")
    with running_server(tmp_path, second={"handbook.pdf": (tmp_path / "handbook.pdf").read_bytes()}) as server:
        page.goto(f"{server.url}/#token={server.token}")
        page.wait_for_selector("#index:not([hidden])")
        page.select_option("#index", "other")
        page.wait_for_selector("#stats:has-text('1 documents')")
        page.fill("#question", QUESTION)
        page.press("#question", "Enter")
        page.wait_for_selector("#answer-text:has-text('42 widgets')")
        page.click("#answer-marks button.cite >> nth=0")
        page.wait_for_selector("#doc-page:not([hidden])")
        caption = page.inner_text("#doc-page-caption")
        assert caption.startswith("page 2 of 2") and "handbook.pdf" in caption and "the quote is marked" in caption
        assert page.evaluate("() => document.getElementById('doc-page-img').naturalWidth") > 1000
        assert page.evaluate("() => { const r = document.getElementById('doc-page-mark').getBoundingClientRect(); "
                             "return r.top >= 0 && r.bottom <= innerHeight; }")  # the marked line is in view
        assert "42 widgets" in page.inner_text("#doc p.hit mark.quote")
        assert "page 2" in page.inner_text("#doc-where")
        shot(page, "pdf-citation.png")
        with page.expect_download() as got:
            page.click("#doc-original")
        assert got.value.suggested_filename == "handbook.pdf"
        assert Path(got.value.path()).read_bytes() == (tmp_path / "handbook.pdf").read_bytes()
        page.select_option("#index", "idx")
        page.wait_for_selector("#doc-page", state="hidden")  # the document left with its index
        page.fill("#query", "widgets colours blue")
        page.press("#query", "Enter")
        page.click("#hits li >> nth=0")
        page.wait_for_selector("#doc p.hit")
        assert not page.is_visible("#doc-page") and not page.is_visible("#error")

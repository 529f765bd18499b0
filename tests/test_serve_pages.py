"""Original files and PDF page images (issue 24): GET /api/original downloads the file a passage came from;
GET /api/page renders the page a passage came from (pypdfium2) as PNG, with the
quote's region marked from the page's text layer; a passage that is not from a PDF, an unknown id or a PDF gone
from the disk is 404; the token is needed like everywhere else."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from fpdf import FPDF
from PIL import Image
from serve_fixtures import running_server

QUOTE = "The default widget limit is 42 widgets per user"


def write_pdf(path: Path) -> None:
    """A two-page PDF with a text layer: the answer on page 2, under a heading-like first line (fpdf2)."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, "Widget handbook\n\nChapter one introduces widgets and their colours. Widgets were first "
                         "sold in boxes of ten.")
    pdf.add_page()
    pdf.multi_cell(0, 8, "Limits\n\nSome words come first on this page, to push the answer down a little.\n\n"
                         f"{QUOTE}, and administrators may raise it in widget.conf. Nothing else on this page "
                         "matters for the question.")
    pdf.output(str(path))


def yellow_pixels(png: bytes) -> int:
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return int(((rgb[..., 0] > 200) & (rgb[..., 1] - rgb[..., 2] > 60)).sum())


def test_a_pdf_page_with_the_quote_marked(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    write_pdf(tmp_path / "docs" / "handbook.pdf")
    with running_server(tmp_path) as server, server.client() as c:
        hits = c.get("/api/search", params={"q": "default widget limit administrators widget.conf",
                                            "path": "handbook.pdf"}).json()
        assert hits and hits[0]["page"] == 2
        pid = hits[0]["id"]
        marked = c.get("/api/page", params={"id": pid, "quote": QUOTE})
        assert marked.status_code == 200 and marked.headers["content-type"] == "image/png"
        assert marked.content.startswith(b"\x89PNG\r\n\x1a\n")
        assert marked.headers["x-scent-page"] == "2" and marked.headers["x-scent-pages"] == "2"
        assert int(marked.headers["x-scent-marks"]) >= 1
        assert 0.0 < float(marked.headers["x-scent-mark-top"]) < 0.5  # near the top of an A4 page
        image = Image.open(io.BytesIO(marked.content))
        assert image.size[0] == 1191 and image.mode == "RGB"  # A4 at scale 2 (595 pt wide)
        plain = c.get("/api/page", params={"id": pid})
        assert plain.headers["x-scent-marks"] == "0" and "x-scent-mark-top" not in plain.headers
        assert yellow_pixels(marked.content) > 5000 and yellow_pixels(plain.content) == 0  # one line, tinted
        # quoted with other line breaks and case: still placed; a quote not on the page: the page, nothing marked
        spaced = c.get("/api/page", params={"id": pid, "quote": QUOTE.upper().replace(" ", "\n  ")})
        assert int(spaced.headers["x-scent-marks"]) >= 1
        elsewhere = c.get("/api/page", params={"id": pid, "quote": "widgets were first sold in boxes of ten"})
        assert elsewhere.status_code == 200 and elsewhere.headers["x-scent-marks"] == "0"

        markdown = c.get("/api/search", params={"q": "widgets colours blue red", "path": "widgets.md"}).json()
        not_pdf = c.get("/api/page", params={"id": markdown[0]["id"]})
        assert not_pdf.status_code == 404 and "not from a page of a PDF" in not_pdf.json()["error"]
        for wrong in ("../../etc/passwd", "/etc/passwd", "nope"):
            assert c.get("/api/page", params={"id": wrong}).status_code == 404
        with server.client(token=None) as anonymous:
            assert anonymous.get("/api/page", params={"id": pid}).status_code == 401
        (tmp_path / "docs" / "handbook.pdf").unlink()
        gone = c.get("/api/page", params={"id": pid, "quote": "something new"})
        assert gone.status_code == 404 and str(tmp_path) not in gone.text


def test_the_original_file_is_a_download(tmp_path: Path):
    planted = "<html><script>window.pwned = 1</script><p>Planted HTML with widgets.</p></html>"
    with running_server(tmp_path, {"planted.html": planted}) as server, server.client() as c:
        hit = c.get("/api/search", params={"q": "widgets colours blue red", "path": "widgets.md"}).json()[0]
        got = c.get("/api/original", params={"id": hit["id"]})
        assert got.status_code == 200 and got.content == (tmp_path / "docs" / "widgets.md").read_bytes()
        assert got.headers["content-type"] == "application/octet-stream"
        assert got.headers["content-disposition"].startswith('attachment; filename="widgets.md"')
        html = c.get("/api/search", params={"q": "planted html widgets", "path": "planted.html"}).json()[0]
        served = c.get("/api/original", params={"id": html["id"]})  # a page from the corpus: never run as one
        assert served.headers["content-type"] == "application/octet-stream"
        assert served.headers["content-security-policy"] == "sandbox" and "attachment" in served.headers[
            "content-disposition"]
        for wrong in ("../../etc/passwd", "/etc/passwd", "nope"):
            assert c.get("/api/original", params={"id": wrong}).status_code == 404
        with server.client(token=None) as anonymous:
            assert anonymous.get("/api/original", params={"id": hit["id"]}).status_code == 401
        (tmp_path / "docs" / "widgets.md").unlink()
        gone = c.get("/api/original", params={"id": hit["id"]})
        assert gone.status_code == 404 and str(tmp_path) not in gone.text

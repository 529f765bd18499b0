import json
from pathlib import Path

import pytest
from docs_factory import make_docx, make_encrypted_pdf, make_pdf

from scent.ingest.corpus import BadLine, Record, read_corpus
from scent.ingest.extracted import LoadError
from scent.ingest.loaders import decode_text, load


def _blocks(doc):
    return [(doc.text[b.start : b.end], b.headings, b.page) for b in doc.blocks]


def test_txt_paragraphs_and_offsets():
    data = b"First paragraph\nstill first.\n\n\n  Second one.  \n"
    doc = load(data, "notes.txt")
    assert doc.title == "notes"
    assert [t for t, _, _ in _blocks(doc)] == ["First paragraph\nstill first.", "Second one."]
    assert doc.text == data.decode()


def test_markdown_headings_ignore_code_fences():
    md = "# Guide\n\nIntro text.\n\n## Install\n\nRun it.\n\n```\n# not a heading\n```\n\n### Linux\n\nUse apt.\n"
    doc = load(md.encode(), "guide.md")
    assert doc.title == "Guide"
    blocks = _blocks(doc)
    assert ("Intro text.", ("Guide",), None) in blocks
    assert ("Run it.", ("Guide", "Install"), None) in blocks
    assert ("```\n# not a heading\n```", ("Guide", "Install"), None) in blocks
    assert ("Use apt.", ("Guide", "Install", "Linux"), None) in blocks


HTML = b"""<!doctype html><html><head><title>Widgets</title><style>p{}</style></head><body>
<div class="navheader"><a href="a.html">Prev</a> Up <a>Next</a></div>
<nav><ul><li>Home</li><li>Menu item</li></ul></nav>
<div class="sect1"><div class="titlepage"><div><h2 class="title">1. Widgets</h2></div></div>
<p>A widget is a <b>small</b> part.
   It turns.</p>
<h3>1.1 Sizes</h3><ul><li>Small widgets fit.</li><li>Large ones don't.</li></ul>
<pre>  widget --size 3
  widget --help</pre>
<table><tr><th>Name</th><th>Size</th></tr><tr><td>w1</td><td>3</td></tr></table>
<script>var tracking = 1;</script></div>
<div class="footer">Copyright footer text</div></body></html>"""


def test_html_keeps_main_text_and_headings_and_drops_chrome():
    doc = load(HTML, "w.html")
    assert doc.title == "Widgets"
    blocks = _blocks(doc)
    assert ("A widget is a small part. It turns.", ("1. Widgets",), None) in blocks
    assert ("Small widgets fit.", ("1. Widgets", "1.1 Sizes"), None) in blocks
    assert ("widget --size 3\n  widget --help", ("1. Widgets", "1.1 Sizes"), None) in blocks  # <pre> verbatim
    assert ("Name | Size", ("1. Widgets", "1.1 Sizes"), None) in blocks
    for chrome in ("Prev", "Menu item", "tracking", "Copyright", "p{}"):
        assert chrome not in doc.text


def test_html_page_of_only_headings_keeps_them():
    doc = load(b"<html><body><h1>Part II</h1><div class='toc'><a>ch1</a></div></body></html>", "p.html")
    assert doc.text == "Part II"


def test_pdf_text_per_page(tmp_path: Path):
    path = make_pdf(tmp_path / "r.pdf", ["Alpha page talks about otters.", "Beta page talks about beavers."],
                    title="Rivers")
    doc = load(path.read_bytes(), "r.pdf")
    assert doc.title == "Rivers"
    pages = {page: text for text, _, page in _blocks(doc)}
    assert "otters" in pages[1] and "beavers" in pages[2]


def test_docx_headings_paragraphs_and_tables(tmp_path: Path):
    path = make_docx(tmp_path / "d.docx", "Handbook", [("Leave", ["Staff get 25 days."]), ("Pay", ["Monthly."])],
                     table=[["grade", "salary"], ["A", "100"]])
    doc = load(path.read_bytes(), "d.docx")
    blocks = _blocks(doc)
    assert doc.title == "Handbook"
    assert ("Staff get 25 days.", ("Handbook", "Leave"), None) in blocks
    assert ("A | 100", ("Handbook", "Pay"), None) in blocks


@pytest.mark.parametrize("data,reason", [
    (b"", "empty"), (b"  \n\n", "empty"), (b"\x00\x01\x02binary\x00" * 50, "binary"),
    (bytes(range(1, 9)) * 100, "binary"),
])
def test_text_rejects_empty_and_binary(data: bytes, reason: str):
    with pytest.raises(LoadError) as e:
        load(data, "x.txt")
    assert e.value.reason == reason


def test_invalid_utf8_is_read_with_a_warning():
    text, warnings = decode_text("café ".encode() + b"\xff\xfe bad " + "naïve".encode())
    assert "café" in text and "naïve" in text and "\ufffd" in text
    assert warnings[0][0] == "invalid-utf8" and "offset 6" in warnings[0][1]


def test_corrupt_and_encrypted_pdfs_raise_load_errors(tmp_path: Path):
    good = make_pdf(tmp_path / "g.pdf", ["Some text."]).read_bytes()
    with pytest.raises(LoadError) as e:
        load(good[: len(good) // 3], "cut.pdf")
    assert e.value.reason in ("corrupt-pdf", "no-text")
    with pytest.raises(LoadError) as e:
        load(b"%PDF-1.4 garbage garbage", "junk.pdf")
    assert e.value.reason in ("corrupt-pdf", "no-text")
    with pytest.raises(LoadError) as e:
        load(make_encrypted_pdf(tmp_path / "e.pdf", "Secret.").read_bytes(), "e.pdf")
    assert e.value.reason == "encrypted-pdf"


def test_corrupt_docx():
    with pytest.raises(LoadError) as e:
        load(b"PK\x03\x04 not really a zip", "x.docx")
    assert e.value.reason == "corrupt-docx"


def test_corpus_formats_and_bad_lines():
    lines = [
        json.dumps({"id": "s1", "title": "Scent", "text": "own format"}),
        json.dumps({"_id": "b1", "title": "Beir", "text": "beir format"}),
        json.dumps({"id": "f1", "contents": '"Flash Rag"\nflashrag format'}),
        "{not json",
        json.dumps({"title": "no id", "text": "x"}),
        json.dumps(["a", "list"]),
        "",
        json.dumps({"id": "e1", "title": "", "text": " "}),
    ]
    items = list(read_corpus(line.encode() for line in lines))
    records = [i for i in items if isinstance(i, Record)]
    bad = [i for i in items if isinstance(i, BadLine)]
    assert [(r.id, r.title, r.text) for r in records] == [
        ("s1", "Scent", "own format"), ("b1", "Beir", "beir format"), ("f1", "Flash Rag", "flashrag format")]
    assert [(b.line, b.reason) for b in bad] == [
        (4, "invalid-json"), (5, "invalid-record"), (6, "invalid-record"), (8, "empty-record")]

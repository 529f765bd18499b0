"""Loader fuzzing, shared by tests/test_fuzz_loaders.py (bounded, deterministic, in `make test`) and
bench/fuzz_loaders.py (long, random).

Seeds are real documents of every format; mutators truncate them, flip and splice bytes, insert the tokens each
parser cares about, nest deeply, and, for .docx, rewrite the XML inside the zip (attribute values such as
`gridSpan="abc"`, dropped and duplicated elements) so that mutations reach python-docx's object model instead of
stopping at the zip CRC. The contract checked is the one `scent index` relies on: reading one file ends, within a
time bound, with passages (bounded, valid UTF-8, offsets inside the text) or a LoadError, never another exception.
"""

from __future__ import annotations

import functools
import io
import json
import random
import re
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scent.config import IngestConfig
from scent.ingest.extracted import LoadError
from scent.ingest.read import read_document
from scent.types import Passage

ZIPPED = ("docx", "xlsx", "ods", "pptx", "odp", "odt", "epub")
# issue 23's formats: seeds written by their own libraries (tests/formats_factory.py)
MORE_FORMATS = ("csv", "tsv", "xlsx", "ods", "pptx", "odp", "odt", "epub", "rtf", "eml", "mbox", "rst", "org", "tex",
                "ipynb", "json", "xml", "py", "sql")
FORMATS = ("txt", "md", "html", "pdf", "docx", "jsonl", *MORE_FORMATS)
INTERESTING = ["abc", "-1", "0", "99999999999999999999", "", "1.5", "NaN", "true", "&amp;", "\u202e", "1e308",
               "2147483648", "-2147483649", "0x10", " ", "auto", "\\"]
TOKENS = {
    "txt": ["\x00", "\ufeff", "\r\n", "\r", "\n\n", "\t", "\x1b[2J", "\xff", "\udcff", ". A", "\u2028", "  "],
    "md": ["#", "```", "~~~", "    ", "> ", "* ", "1. ", "[a]: <", "<div>", "|", "---", "\n\n", "\r", "\x00",
           "\\", "`", "![", "](", "<!--", "&#0;", "\n# ", "\n======", "<passage>"],
    "html": ["<", ">", "</", "<table>", "<tr>", "<td colspan=99999>", "<pre>", "<script>", "<!--", "-->",
             "&#0;", "&#xFFFFFFFF;", "&", "<h1>", "<![CDATA[", "<?xml version='1.0'?>", "\x00", "<main>",
             "<nav>", "<body>", "<html>", "<article>", "<h7>", "<td>", "role=main", "<meta charset=utf-16>"],
    "pdf": ["obj", "endobj", "stream", "endstream", "/Length 99999999", "/Filter /FlateDecode", "xref",
            "trailer", "/Root 1 0 R", "<<", ">>", "[", "]", "9999999999 0 R", "-1", "/Type /Page", "BT", "ET",
            "Tj", "TJ", "/F1 12 Tf", "(", ")", "\\", "/Kids [", "/Count 99999999", "%%EOF", "startxref",
            "/Encrypt", "/ToUnicode", "beginbfchar", "<FFFE>"],
    "xml": ['w:val="abc"', "<w:p>", "</w:p>", "<w:tbl>", "<w:tr>", "<w:tc>", '<w:gridSpan w:val="0"/>',
            '<w:vMerge w:val="restart"/>', "<w:t>", "&#0;", "<!DOCTYPE x>", "]]>", "\x00", '<w:pStyle w:val=""/>'],
    "jsonl": ['{"id": 1, "text": "x"}', '{"_id": null}', '"text"', '"contents"', "\\ud800", "[]", "{", "}",
              "null", "1e999", '"\\u0000"', "\xff", '{"id": "x", "title": 5, "text": "y"}', "\n"],
}


@functools.cache
def seeds() -> dict[str, bytes]:
    """One real, valid document per format."""
    return {"txt": _txt(), "md": _md(), "html": _html(), "pdf": _pdf(), "docx": _docx(), "jsonl": _jsonl(),
            **_more()}


def _more() -> dict[str, bytes]:
    import tempfile

    from formats_factory import mixed_folder

    with tempfile.TemporaryDirectory() as folder:
        mixed_folder(Path(folder), ocr=False)
        files = {p.suffix.lstrip("."): p.read_bytes() for p in Path(folder).iterdir() if p.suffix}
    return {fmt: files[fmt] for fmt in MORE_FORMATS}


def _txt() -> bytes:
    return ("Herons wait.\n\nThey stand in the shallows — ünïcödé, 中文, emoji 🐦.\r\n\r\nA third paragraph. "
            "It has sentences. Many of them!\n").encode()


def _md() -> bytes:
    return (b"# Guide\n\nIntro.\n\n## Install\n\n```sh\n# not a heading\n```\n\n- a\n- b\n\n| x | y |\n|---|---|\n"
            b"| 1 | 2 |\n\n> quote\n\n### Deep\n\n[link](http://x) and <b>html</b>.\n")


def _html() -> bytes:
    return (b"<!doctype html><html><head><title>Widgets</title></head><body><nav>Menu</nav><main>"
            b"<h1>Widgets</h1><p>A <b>widget</b> turns.</p><table><tr><th>a</th><td>1</td></tr></table>"
            b"<pre>code\n  here</pre><ul><li>one</li><li>two</li></ul><h2>More</h2><div><p>Deep</p></div>"
            b"</main><footer>foot</footer></body></html>")


def _pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_compression(False)  # plain content streams: mutations reach the text operators, not just zlib
    pdf.set_font("helvetica", size=11)
    pdf.set_title("Rivers")
    for text in ["Alpha page talks about otters.", "Beta page: beavers build dams."]:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def _docx() -> bytes:
    import docx

    d = docx.Document()
    d.add_heading("Handbook", level=0)
    d.add_heading("Leave", level=1)
    d.add_paragraph("Staff get 25 days.")
    table = d.add_table(rows=2, cols=2)
    for r in range(2):
        for c in range(2):
            table.cell(r, c).text = f"cell {r}{c}"
    d.add_heading("Pay", level=2)
    d.add_paragraph("Monthly.")
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _jsonl() -> bytes:
    rows = [{"id": "a", "title": "Alpha", "text": "Alpha text."}, {"_id": "b", "title": "B", "text": "Beta."},
            {"id": "c", "contents": "\"Gamma\"\nGamma text."}]
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


# -- mutators ---------------------------------------------------------------------------------------------------
def truncate(rng: random.Random, data: bytes, fmt: str) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def flip(rng: random.Random, data: bytes, fmt: str) -> bytes:
    b = bytearray(data or b"\x00")
    for _ in range(rng.randint(1, 16)):
        b[rng.randrange(len(b))] = rng.randrange(256)
    return bytes(b)


def splice(rng: random.Random, data: bytes, fmt: str) -> bytes:
    """Delete, duplicate or insert a random range."""
    i, j = sorted(rng.randrange(len(data) + 1) for _ in range(2))
    kind = rng.randrange(3)
    if kind == 0:
        return data[:i] + data[j:]
    if kind == 1:
        return data[:j] + data[i:j] * rng.randint(1, 50) + data[j:]
    return data[:i] + rng.randbytes(rng.randint(1, 64)) + data[i:]


def tokens(rng: random.Random, data: bytes, fmt: str) -> bytes:
    pool = TOKENS["xml" if fmt in ZIPPED else fmt] if fmt in TOKENS or fmt in ZIPPED else TOKENS["txt"] + [
        ",", "\t", '"', "{\\rtf1", "\\par", "From ", "Subject: ", "Content-Type: multipart/mixed; boundary=x",
        "\n====\n", "\n* ", "\\section{", "def ", '{"cells": 5}', "<a>", "&x;"]
    for _ in range(rng.randint(1, 12)):
        i = rng.randrange(len(data) + 1)
        data = data[:i] + rng.choice(pool).encode("utf-8", "surrogatepass") + data[i:]
    return data


def numbers(rng: random.Random, data: bytes, fmt: str) -> bytes:
    """Replace some integers (PDF offsets, lengths, counts; XML attribute values) with extreme ones."""
    spans = [m.span() for m in re.finditer(rb"-?\d+", data)]
    for _ in range(min(len(spans), rng.randint(1, 6))):
        i, j = rng.choice(spans)
        value = rng.choice(INTERESTING).encode("utf-8", "surrogatepass")
        data = data[:i] + value + data[j:] if len(data[i:j]) == j - i else data
        spans = [m.span() for m in re.finditer(rb"-?\d+", data)]
        if not spans:
            break
    return data


def nest(rng: random.Random, data: bytes, fmt: str) -> bytes:
    """Deep nesting, the classic way to exhaust a recursive parser or walker."""
    depth = rng.choice([100, 1000, 5000, 20000])
    opener = {"html": b"<div>", "md": b"> ", "docx": b"<w:tbl><w:tr><w:tc>", "jsonl": b"["}.get(fmt, b"(")
    i = rng.randrange(len(data) + 1)
    return data[:i] + opener * depth + data[i:]


def random_bytes(rng: random.Random, data: bytes, fmt: str) -> bytes:
    return rng.randbytes(rng.randrange(0, 4096))


def xml_member(rng: random.Random, data: bytes, fmt: str) -> bytes:
    """For a zip-based format: mutate one XML member (values, elements, bytes) and zip it again."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as src:
            members = {info.filename: src.read(info) for info in src.infolist()}
    except Exception:  # an earlier mutation broke the zip: fall back to bytes
        return flip(rng, data, fmt)
    xml_names = [n for n in members if n.endswith((".xml", ".rels"))]
    if not xml_names:
        return data
    name = "word/document.xml" if "word/document.xml" in xml_names and rng.random() < 0.6 else rng.choice(xml_names)
    xml = members[name]
    kind = rng.randrange(5)
    if kind == 0:  # attribute values
        spans = [m.span(1) for m in re.finditer(rb'="([^"]*)"', xml)]
        for _ in range(min(len(spans), rng.randint(1, 4))):
            i, j = rng.choice(spans)
            xml = xml[:i] + rng.choice(INTERESTING).encode("utf-8", "surrogatepass").replace(b'"', b"") + xml[j:]
            spans = [m.span(1) for m in re.finditer(rb'="([^"]*)"', xml)]
    elif kind == 1:  # drop or duplicate an element
        elements = [m.span() for m in re.finditer(rb"<(w:\w+)\b[^>]*/>|<(w:\w+)\b[^>]*>.*?</\2>", xml, re.S)]
        if elements:
            i, j = rng.choice(elements)
            xml = xml[:i] + (xml[i:j] * rng.randint(2, 20) if rng.random() < 0.5 else b"") + xml[j:]
    elif kind == 2:
        xml = tokens(rng, xml, "docx")
    elif kind == 3:
        xml = truncate(rng, xml, fmt)
    elif rng.random() < 0.5:
        members.pop(name)
    else:
        xml = nest(rng, xml, "docx")
    if name in members:
        members[name] = xml
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for member, content in members.items():
            dst.writestr(member, content)
    return out.getvalue()


MUTATORS: dict[str, list[Callable[[random.Random, bytes, str], bytes]]] = {
    fmt: [truncate, flip, splice, tokens, numbers, nest, random_bytes] for fmt in FORMATS}
for _zipped in ZIPPED:
    MUTATORS[_zipped] = [xml_member] * 6 + [truncate, flip, splice, random_bytes]


def mutate(rng: random.Random, fmt: str, rounds: int | None = None) -> bytes:
    """A seed of `fmt` after 1–3 (or `rounds`) random mutations."""
    data = seeds()[fmt]
    for _ in range(rounds or rng.randint(1, 3)):
        data = rng.choice(MUTATORS[fmt])(rng, data, fmt)
    return data


# -- the contract ---------------------------------------------------------------------------------------------------
class ContractViolation(AssertionError):
    """Reading one file broke the contract `scent index` relies on."""


@dataclass(frozen=True)
class Outcome:
    """How reading one fuzzed file ended: "ok" or the LoadError reason; `unexpected` says where an exception no
    loader anticipated was raised (each one would have stopped a whole `scent index` run before issue 11)."""

    result: str
    unexpected: str | None
    seconds: float


def check(data: bytes, fmt: str, folder: Path, config: IngestConfig | None = None,
          time_limit: float = 10.0) -> Outcome:
    """Read `data` as a .`fmt` file the way `scent index` does. Raises ContractViolation (with the original
    exception as cause) when that ends in anything but passages or a LoadError, or takes over `time_limit`."""
    config = config or IngestConfig(max_file_mb=2)
    path = folder / f"fuzz.{fmt}"
    path.write_bytes(data)
    started = time.monotonic()
    unexpected = None
    try:
        document = read_document(str(path), path.name, config)
        passages = [p for batch in document.batches for p in batch]
    except LoadError as e:
        result = e.reason
        unexpected = escaped(e) if getattr(e, "unexpected", False) else None
    except Exception as e:
        raise ContractViolation(f"{fmt}: {type(e).__name__}: {e}"[:300]) from e
    else:
        result = "ok"
        _check_passages(passages, document.text, fmt, config)
    elapsed = time.monotonic() - started
    if elapsed > time_limit:
        raise ContractViolation(f"{fmt}: {elapsed:.1f} s for one {len(data)}-byte file (limit {time_limit} s)")
    return Outcome(result, unexpected, elapsed)


def _check_passages(passages: list[Passage], text: str | None, fmt: str, config: IngestConfig) -> None:
    for p in passages:
        for field in (p.text, p.title, *p.headings):
            try:
                field.encode("utf-8")
            except UnicodeEncodeError as e:  # SQLite would refuse it and end the whole run
                raise ContractViolation(f"{fmt}: text not encodable as UTF-8: {e}") from e
        if fmt == "jsonl":
            if len(p.text) > config.max_record_chars:
                raise ContractViolation(f"{fmt}: record of {len(p.text)} characters")
        elif not (0 <= p.start <= p.end <= len(text or "") and len(p.text) <= config.chunk.max_chars):
            raise ContractViolation(f"{fmt}: passage out of bounds: {p.start}-{p.end}, {len(p.text)} chars")


def escaped(error: BaseException) -> str:
    """Where the exception under an unexpected LoadError was raised: 'Type at file:line' (the finding)."""
    cause = error.__cause__ or error
    tb = cause.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f"{Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}" if tb else "?"
    return f"{type(cause).__name__} at {where}"

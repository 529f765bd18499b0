"""Issue 23: the formats people keep, each written by its own library, are indexed (or reported with a reason)
and a phrase unique to each file finds it; provenance (sheet, slide, headings) is kept."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import scent
from formats_factory import mixed_folder

from scent.index import Index
from scent.ingest.loaders import load
from scent.ingest.pipeline import build
from scent.ingest.sources import IngestOptions

HAS_OCR = shutil.which("tesseract") is not None


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("formats")
    phrases = mixed_folder(base / "docs", ocr=HAS_OCR)
    build(base / "idx", [base / "docs"])
    return base / "idx", phrases


def test_every_file_is_indexed_or_reported(indexed: tuple[Path, dict[str, str]]):
    index, phrases = indexed
    report = [json.loads(line) for line in (index / "ingest-report.jsonl").read_text().splitlines()]
    assert [i for i in report if i["status"] == "skipped"] == []
    with Index.open(index) as idx:
        assert idx.stats()["documents"] == len(phrases)


@pytest.mark.parametrize("name", [
    "table.csv", "table.tsv", "sheet.xlsx", "sheet.ods", "deck.pptx", "deck.odp", "notes.odt", "book.epub",
    "memo.rtf", "mail.eml", "inbox.mbox", "guide.rst", "plan.org", "paper.tex", "analysis.ipynb", "data.json",
    "feed.xml", "tool.py", "server.go", "query.sql", "README", "wide.txt"])
def test_a_phrase_unique_to_each_file_finds_it(indexed: tuple[Path, dict[str, str]], name: str):
    index, phrases = indexed
    with Index.open(index) as idx:
        hits = idx.search(f'"{phrases[name]}"', 3)
    assert hits and hits[0].path == name


@pytest.mark.skipif(not HAS_OCR, reason="tesseract-ocr is not installed (make install installs it as root)")
@pytest.mark.parametrize("name", ["scan.pdf", "photo.png"])
def test_ocr_recovers_a_phrase_of_five_words(indexed: tuple[Path, dict[str, str]], name: str):
    index, phrases = indexed
    five = " ".join(phrases[name].split()[1:6])
    with Index.open(index) as idx:
        hits = idx.search(f'"{five}"', 3)
    assert hits and hits[0].path == name


def test_no_ocr_reports_scans(tmp_path: Path):
    root = tmp_path / "d"
    root.mkdir()
    from formats_factory import _scan

    _scan(root / "scan.pdf", "nothing to read here", pdf=True)
    build(tmp_path / "idx", [root], IngestOptions(ocr=False))
    report = [json.loads(line) for line in (tmp_path / "idx" / "ingest-report.jsonl").read_text().splitlines()]
    assert [i["reason"] for i in report] == ["no-text"]


def test_provenance_is_kept(indexed: tuple[Path, dict[str, str]]):
    index, phrases = indexed
    with Index.open(index) as idx:
        slide = idx.search(f'"{phrases["deck.pptx"]}"', 1)[0]
        assert (slide.page, slide.headings) == (2, ["Findings"])
        odp = idx.search(f'"{phrases["deck.odp"]}"', 1)[0]
        assert odp.page == 2
        sheet = idx.search(f'"{phrases["sheet.xlsx"]}"', 1)[0]
        assert sheet.headings == ["Budget", "rows 2-2"] and "note: " in sheet.text
        assert idx.search(f'"{phrases["guide.rst"]}"', 1)[0].headings == ["Guide", "Frogs"]
        assert idx.search(f'"{phrases["plan.org"]}"', 1)[0].headings == ["Plan", "Squirrels"]
        assert idx.search(f'"{phrases["paper.tex"]}"', 1)[0].headings == ["Boats"]
        assert idx.search(f'"{phrases["analysis.ipynb"]}"', 1)[0].headings == ["Herons"]
        assert idx.search("zebra output", 3) == []  # notebook outputs are left out
        mail = idx.search(f'"{phrases["mail.eml"]}"', 1)[0]
        assert mail.title == "Swift facts"
        # the same attachment is in mail.eml and in both mails of inbox.mbox: equal scores, in either order
        attachment = next(h for h in idx.search("quiet lagoon pelicans", 3) if h.path == "mail.eml")
        assert "attachment: notes.txt" in attachment.headings
        assert idx.search(f'"{phrases["inbox.mbox"]}"', 1)[0].headings == ["Fox facts"]
        assert idx.search(f'"{phrases["tool.py"]}"', 1)[0].headings == ["def burrow"]


def test_large_csv_is_chunked_by_rows():
    rows = "\n".join(f"r{i},value {i}" for i in range(100))
    doc = load(f"id,val\n{rows}\n".encode(), "big.csv")
    assert len(doc.blocks) == 5 and doc.blocks[1].headings == ("rows 22-41",)
    assert "id: r20; val: value 20" in doc.text


def test_include_csv_indexes_the_csv_files(tmp_path: Path):
    """Issue 23, finding 8: `scent index --include '*.csv'` indexed 0 files without a word."""
    root = tmp_path / "d"
    root.mkdir()
    (root / "birds.csv").write_text("name,habitat\nheron,marsh\npuffin,cliff\n")
    (root / "notes.txt").write_text("Not included.")
    out = json.loads(scent("index", root, "--index", tmp_path / "idx", "--include", "*.csv", "--no-vectors",
                           "--json").stdout)
    assert (out["added"], out["skipped"]) == (1, 0)
    with Index.open(tmp_path / "idx") as idx:
        hit = idx.search("puffin cliff", 1)[0]
        assert hit.path == "birds.csv" and "name: puffin; habitat: cliff" in hit.text

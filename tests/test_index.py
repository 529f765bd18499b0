"""Indexing, incremental re-indexing and search, through the Python API and the real CLI."""

import json
import os
import time
from pathlib import Path

import pytest
from conftest import scent
from docs_factory import small_corpus

from scent.config import IngestConfig
from scent.index import Index, IndexNotFoundError
from scent.ingest.pipeline import build


def _ids(index: Path) -> set[str]:
    with Index.open(index) as idx:
        return {r[0] for r in idx.store.db.execute("SELECT id FROM passages")}


def test_every_format_is_searchable_with_provenance(tmp_path: Path):
    root = small_corpus(tmp_path / "docs")
    summary = build(tmp_path / "idx", [root])
    assert (summary.added, summary.skipped, summary.documents_total) == (5, 0, 5)
    with Index.open(tmp_path / "idx") as idx:
        top = {q: idx.search(q, 1)[0] for q in ["sea otters tools", "beaver dams", "herons wade", "dippers",
                                                 "ducks dabble"]}
        assert top["sea otters tools"].path == "otters.txt"
        assert (top["beaver dams"].path, top["beaver dams"].headings) == ("guide.md", ["Beaver guide", "Dams"])
        assert top["herons wade"].path == "sub/page.html" and top["herons wade"].title == "Herons"
        assert (top["dippers"].path, top["dippers"].page) == ("report.pdf", 2)
        assert top["ducks dabble"].headings == ["Policy", "Ducks"]
        stored_text = idx.store.db.execute("SELECT text FROM documents WHERE path = 'otters.txt'").fetchone()[0]
        hit = top["sea otters tools"]
        assert stored_text[hit.start : hit.end] == hit.text


def test_incremental_reindex_add_modify_delete(tmp_path: Path):
    root = small_corpus(tmp_path / "docs")
    index = tmp_path / "idx"
    build(index, [root])
    before = _ids(index)
    again = build(index, [root])
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 5)
    assert _ids(index) == before  # ids are content hashes: stable across runs

    time.sleep(0.01)
    (root / "otters.txt").write_text("Otters are semiaquatic mammals.\n\nRiver otters eat crayfish.")
    (root / "new.md").write_text("# Newts\n\nNewts are amphibians.")
    (root / "guide.md").unlink()
    os.utime(root / "report.pdf")  # touched but unchanged: hashed, not re-read
    s = build(index, [root])
    assert (s.added, s.updated, s.removed, s.unchanged) == (1, 1, 1, 3)
    with Index.open(index) as idx:
        assert idx.search("crayfish", 1)[0].path == "otters.txt"
        assert idx.search("rocks shells", 5) == []  # the old text of the modified file is gone
        assert idx.search("beaver dams", 5) == []
        assert idx.search("newts amphibians", 1)[0].path == "new.md"
        assert idx.stats() == {"documents": 5, "passages": len(_ids(index))}
        # tantivy and the store agree: no stale or duplicate BM25 documents
        assert idx.tantivy.searcher().num_docs == idx.stats()["passages"]


def test_same_paragraph_twice_gets_two_ids(tmp_path: Path):
    root = tmp_path / "d"
    root.mkdir()
    para = " ".join(["Repeated paragraph words here."] * 40)
    middle = " ".join(f"Middle sentence {i}." for i in range(60))
    (root / "r.txt").write_text(f"{para}\n\n{middle}\n\n{para}")
    build(tmp_path / "i", [root])
    with Index.open(tmp_path / "i") as idx:
        rows = idx.store.db.execute("SELECT id, text FROM passages ORDER BY seq").fetchall()
    assert len(rows) == 3 and rows[0][1] == rows[2][1] == para and rows[0][0] != rows[2][0]


def test_corpus_jsonl_keeps_given_ids_and_reports_bad_lines(tmp_path: Path):
    root = tmp_path / "c"
    root.mkdir()
    rows = [{"id": "doc-1", "title": "Alpha", "text": "alpha particles"}, {"_id": "doc-2", "title": "Beta",
            "text": "beta decay"}, {"id": "doc-3", "contents": "Gamma\ngamma rays"}]
    lines = [json.dumps(r) for r in rows] + ["{broken", json.dumps({"id": "doc-1", "title": "dup", "text": "x"})]
    (root / "corpus.jsonl").write_text("\n".join(lines) + "\n")
    s = build(tmp_path / "i", [root])
    assert (s.passages_total, s.partial) == (3, 1)
    report = [json.loads(line) for line in (tmp_path / "i" / "ingest-report.jsonl").read_text().splitlines()]
    assert [(r["status"], r["reason"], r.get("line")) for r in report] == [
        ("partial", "invalid-json", 4), ("partial", "duplicate-id", 5)]
    with Index.open(tmp_path / "i") as idx:
        hit = idx.search("gamma rays", 1)[0]
        assert (hit.id, hit.title, hit.source_id, hit.path) == ("doc-3", "Gamma", "doc-3", "corpus.jsonl")


def test_search_survives_query_syntax(tmp_path: Path):
    build(tmp_path / "i", [small_corpus(tmp_path / "d")])
    with Index.open(tmp_path / "i") as idx:
        for q in ['"sea otters', "otters AND (", "title:otters", "otters -", "a:b/c\\d", "*", "", "   "]:
            idx.search(q, 3)  # never raises
        assert idx.search('"sea otters"', 1)[0].path == "otters.txt"


def test_open_missing_index_is_a_clear_error(tmp_path: Path):
    with pytest.raises(IndexNotFoundError, match="scent index"):
        Index.open(tmp_path / "nothing")
    proc = scent("search", "x", "--index", tmp_path / "nothing", check=False)
    assert proc.returncode == 2 and "no scent index" in proc.stderr


def test_cli_index_search_show_json(tmp_path: Path):
    root = small_corpus(tmp_path / "docs")
    out = json.loads(scent("index", root, "--index", tmp_path / "i", "--json").stdout)
    assert out["added"] == 5 and out["passages_total"] >= 5
    hits = json.loads(scent("search", "kingfishers dive", "--index", tmp_path / "i", "-k", "3", "--json").stdout)
    assert {"id", "score", "title", "path", "text"} <= hits[0].keys() and hits[0]["path"] == "report.pdf"
    shown = json.loads(scent("show", hits[0]["id"], "--index", tmp_path / "i", "--json").stdout)
    assert shown["id"] == hits[0]["id"] and shown["page"] == 1 and shown["after"][0]["page"] == 2
    text = scent("search", "kingfishers dive", "--index", tmp_path / "i").stdout
    assert "report.pdf" in text and "Kingfishers" in text
    assert "page 1" in scent("show", hits[0]["id"], "--index", tmp_path / "i").stdout
    missing = scent("show", "nope", "--index", tmp_path / "i", check=False)
    assert missing.returncode == 1 and "no passage" in missing.stderr


def test_index_includes_and_excludes(tmp_path: Path):
    root = small_corpus(tmp_path / "docs")
    s = build(tmp_path / "i", [root], config=IngestConfig(include=["*.md", "*.txt"], exclude=["otters.*"]))
    assert s.documents_total == 1
    with Index.open(tmp_path / "i") as idx:
        assert idx.search("beaver", 1)[0].path == "guide.md"


def test_corpus_file_with_no_valid_record_is_skipped_and_reported(tmp_path: Path):
    root = tmp_path / "c"
    root.mkdir()
    (root / "bad.jsonl").write_text("{nope\n[1]\n")
    (root / "empty.jsonl").write_text("")
    (root / "good.txt").write_text("Good text survives.")
    s = build(tmp_path / "i", [root])
    report = [json.loads(line) for line in (tmp_path / "i" / "ingest-report.jsonl").read_text().splitlines()]
    assert sorted((r["path"], r["reason"]) for r in report) == [("bad.jsonl", "no-records"),
                                                                ("empty.jsonl", "no-records")]
    with Index.open(tmp_path / "i") as idx:
        assert s.documents_total == 1 and idx.search("good text", 1)[0].path == "good.txt"
        assert idx.tantivy.searcher().num_docs == 1


def test_large_corpus_file_is_streamed_past_the_document_size_cap(tmp_path: Path):
    root = tmp_path / "c"
    root.mkdir()
    with (root / "big.jsonl").open("w") as f:
        for i in range(25_000):  # two batches and a half; ~1.6 MB, over the 1 MB cap below
            f.write(json.dumps({"id": f"r{i}", "title": f"Record {i}", "text": f"filler words number {i} " * 3}) + "\n")
    (root / "big.txt").write_text("word " * 300_000)
    s = build(tmp_path / "i", [root], config=IngestConfig(max_file_mb=1))
    assert (s.passages_total, s.skipped) == (25_000, 1)
    with Index.open(tmp_path / "i") as idx:
        assert idx.search("Record 24999", 1)[0].id == "r24999"
        assert idx.tantivy.searcher().num_docs == 25_000

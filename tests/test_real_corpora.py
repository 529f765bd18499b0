"""Integration: the real PostgreSQL HTML docs and the shared Wikipedia corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import _require, scent

from scent.index import Index
from scent.ingest.loaders import load

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pg_index(pg_docs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    index = tmp_path_factory.mktemp("pg") / "idx"
    # BM25 only: these tests are about ingest and keyword search; embedding these corpora takes 15 min on 2 cores
    summary = json.loads(scent("index", pg_docs, "--index", index, "--json", "--no-vectors").stdout)
    # the folder's stylesheet and SVG figures are reported as unsupported types (issue 23), nothing else is skipped
    report = [json.loads(line) for line in (index / "ingest-report.jsonl").read_text().splitlines() if line.strip()]
    skipped = [r for r in report if r["status"] == "skipped"]
    assert len(skipped) == summary["skipped"] and {r["reason"] for r in skipped} <= {"unsupported-type"}
    assert summary["documents_total"] > 1100
    return index


def test_pg_html_loader_extracts_sections_without_navigation(pg_docs: Path):
    doc = load((pg_docs / "runtime-config-connection.html").read_bytes(), "runtime-config-connection.html")
    assert doc.title == "20.3. Connections and Authentication"
    sections = {b.headings for b in doc.blocks}
    assert ("20.3. Connections and Authentication", "20.3.1. Connection Settings") in sections
    assert "Determines the maximum number of concurrent connections" in doc.text
    assert "Prev" not in doc.text.split() and "Home" not in doc.text.split()


def test_pg_docs_max_connections_default_top3(pg_index: Path):
    hits = json.loads(scent("search", "max_connections default", "--index", pg_index, "-k", "3", "--json").stdout)
    assert "runtime-config-connection.html" in [h["path"] for h in hits]


def test_pg_docs_reindex_is_incremental(pg_index: Path, pg_docs: Path):
    summary = json.loads(scent("index", pg_docs, "--index", pg_index, "--json", "--no-vectors").stdout)
    assert summary["unchanged"] == summary["documents_total"] and summary["added"] == summary["updated"] == 0


PY_DOCS = Path("/usr/share/doc/python3.11-doc/html")


@pytest.fixture(scope="module")
def py_docs() -> Path:
    # `make test` installs python3.11-doc (the Makefile's py-docs target): required under CI, else skipped when absent
    return _require(PY_DOCS, "the Python 3.11 docs (apt-get install python3.11-doc)")


@pytest.fixture(scope="module")
def py_index(py_docs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    index = tmp_path_factory.mktemp("py") / "idx"
    scent("index", py_docs, "--index", index, "-q", "--no-vectors")
    return index


def test_py_docs_show_one_entry_per_page(py_index: Path):
    """Issue 23, finding 6: the Sphinx `_sources/*.rst.txt` copy of each page is listed as "also in" on the page,
    never a result of its own (top-5 results held two HTML/source pairs each)."""
    for query in ("logging basicConfig", "lru_cache maxsize", "match statement", "asyncio gather"):
        hits = json.loads(scent("search", query, "--index", py_index, "-k", "10", "--json").stdout)
        assert len(hits) == 10 and not [h["path"] for h in hits if "_sources/" in h["path"]], query
        for h in hits:
            if h["path"].endswith(".html") and "also_in" in h:
                assert h["also_in"] == ["_sources/" + h["path"].removesuffix(".html") + ".rst.txt"], h["path"]
    with Index.open(py_index) as idx:  # the sources stay documents of their own
        assert ".. function:: basicConfig" in " ".join(
            p.text for p in idx.document_passages("_sources/library/logging.rst.txt"))


def test_py_docs_logging_basicconfig_top3(py_index: Path):
    """Issue 23: the reference page was 14th (8th once the sources collapsed): BM25 ranked the release notes and the
    howto that repeat `basicConfig` above it. Sphinx API signatures head their definitions and BM25 scores a
    passage's own heading as a second field, so the passage defining the name comes first."""
    hits = json.loads(scent("search", "logging basicConfig", "--index", py_index, "-k", "3", "--json").stdout)
    assert "library/logging.html" in [h["path"] for h in hits]
    top = next(h for h in hits if h["path"] == "library/logging.html")
    assert top["headings"][-1] == "logging.basicConfig"


def test_py_docs_two_roots_keep_every_passage(py_docs: Path, tmp_path: Path):
    """Issue 23, finding 2: indexing `library/` and `howto/` together dropped a howto passage as `duplicate-id`."""
    alone = json.loads(scent("index", py_docs / "howto", "--index", tmp_path / "howto", "--json",
                             "--no-vectors").stdout)
    both = json.loads(scent("index", py_docs / "library", py_docs / "howto", "--index", tmp_path / "both",
                            "--json", "--no-vectors").stdout)
    report = (tmp_path / "both" / "ingest-report.jsonl").read_text()
    assert "duplicate-id" not in report
    with Index.open(tmp_path / "both") as idx:
        howto = idx.store.db.execute("SELECT sum(n_passages) FROM documents WHERE root = ?",
                                     (str((py_docs / "howto").resolve()),)).fetchone()[0]
    assert howto == alone["passages_total"] and both["passages_total"] > alone["passages_total"]


def test_shared_wikipedia_corpus(shared_data: Path, tmp_path: Path):
    corpus = shared_data / "miniwiki" / "corpus.jsonl"
    summary = json.loads(scent("index", corpus, "--index", tmp_path / "wiki", "--json", "--no-vectors").stdout)
    lines = sum(1 for line in corpus.open() if line.strip())
    assert summary["passages_total"] == lines and summary["partial"] == 0
    questions = [json.loads(line) for line in (shared_data / "hotpotqa" / "dev.jsonl").open()]
    with Index.open(tmp_path / "wiki") as idx:
        found = [bool(set(q["metadata"]["supporting_ids"]) & {h.id for h in idx.search(q["question"], 10)})
                 for q in questions]
        first = questions[0]["metadata"]["supporting_ids"][0]
        assert idx.get(first) is not None and idx.get(first).id == first  # corpus ids are kept
    assert sum(found) / len(found) > 0.7  # at least one gold passage in the top 10 for most questions

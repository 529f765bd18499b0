"""Issue 23, finding 6: duplicated documents (a Sphinx page and its `_sources` text, a file and its copy) are one
group, and a search shows one member with the others as `also_in`; nothing only a member holds is hidden."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

from conftest import scent

from scent.index import Index
from scent.ingest.duplicates import THRESHOLD, groups, near_pairs, preference, signature, similarity, sphinx_page
from scent.ingest.forget import forget
from scent.ingest.pipeline import build

_WORDS = ["river", "stone", "lantern", "harbor", "violet", "engine", "meadow", "copper", "whisper", "orchard",
          "signal", "canyon", "ember", "glacier", "mosaic", "thunder", "velvet", "compass", "saffron", "quarry"]


def _prose(seed: int, words: int = 300) -> str:
    rng = random.Random(seed)
    sentences = []
    while sum(len(s.split()) for s in sentences) < words:
        sentences.append(" ".join(rng.choice(_WORDS) for _ in range(12)).capitalize() + ".")
    return "\n\n".join(" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4))


def _sphinx_site(root: Path) -> None:
    """A page, its Sphinx source (markup, a different rendering of the same words) and an unrelated page."""
    (root / "_sources" / "library").mkdir(parents=True)
    (root / "library").mkdir()
    (root / "library" / "logging.html").write_text(
        "<html><head><title>logging — Logging facility</title></head><body><div role='main'>"
        "<h1>logging — Logging facility</h1><p>The function <code>logging.basicConfig()</code> does basic "
        "configuration for the logging system by creating a stream handler with a default formatter.</p>"
        "</div></body></html>")
    (root / "_sources" / "library" / "logging.rst.txt").write_text(
        ":mod:`logging` --- Logging facility\n===================================\n\n"
        "The function :func:`logging.basicConfig` does basic configuration for the logging system by "
        "creating a stream handler with a default formatter.\n")
    (root / "library" / "os.html").write_text(
        "<html><head><title>os</title></head><body><p>Miscellaneous operating system interfaces: the "
        "logging of nothing, files and processes.</p></body></html>")


def test_signature_similarity_follows_shared_shingles():
    text = _prose(1)
    assert signature(text) == signature(text.upper().replace("\n\n", "\n> "))  # case, quoting, line breaks
    edited = text.replace("river", "brook", 2)
    assert similarity(signature(text), signature(edited)) >= THRESHOLD
    assert similarity(signature(text), signature(_prose(2))) < 0.2
    assert len(signature("")) == len(signature("two words")) == 256


def test_near_pairs_and_groups_are_pure_and_order_free():
    texts = {1: _prose(1), 2: _prose(1) + "\n\nForwarded by a colleague.", 3: _prose(3), 4: _prose(1)}
    docs = list(texts)
    pairs = near_pairs(docs, [signature(texts[d]) for d in docs])
    assert {tuple(sorted(p)) for p in pairs} == {(1, 2), (1, 4), (2, 4)}
    paths = {1: ("/r", "notes (1).txt"), 2: ("/r", "mail/fwd.eml"), 3: ("/r", "other.txt"), 4: ("/r", "notes.txt")}
    assert groups(paths, pairs) == groups(paths, pairs[::-1]) == {1: 4, 2: 4}  # the original, not the copy


def test_preference_and_sphinx_sources():
    assert sphinx_page("_sources/library/logging.rst.txt") == "library/logging.html"
    assert sphinx_page("api/_sources/index.md.txt") == "api/index.html"
    assert sphinx_page("_sources/old.txt") == "old.html" and sphinx_page("library/logging.html") is None
    ranked = sorted(["_sources/x.rst.txt", "x.txt", "x.pdf", "x.html", "Copy of x.html", "x (1).html"],
                    key=lambda p: preference("/r", p))
    assert ranked == ["x.html", "x (1).html", "Copy of x.html", "x.pdf", "x.txt", "_sources/x.rst.txt"]


def test_a_page_and_its_sphinx_source_are_one_entry(tmp_path: Path):
    site = tmp_path / "html"
    _sphinx_site(site)
    index = tmp_path / "idx"
    assert build(index, [site]).passages_total == 3  # every document keeps its passage
    hits = json.loads(scent("search", "logging basicConfig", "--index", index, "--json").stdout)
    assert [(h["path"], h.get("also_in")) for h in hits] == [
        ("library/logging.html", ["_sources/library/logging.rst.txt"]), ("library/os.html", None)]
    shown = scent("search", "logging basicConfig", "--index", index).stdout  # the terminal names the copy too
    assert "also in _sources/library/logging.rst.txt" in shown and shown.count("also in") == 1
    with Index.open(index) as idx:  # the source is still a document of its own
        assert ":func:" in idx.document_passages("_sources/library/logging.rst.txt")[0].text
    # the page gone, its source stands alone again
    (site / "library" / "logging.html").unlink()
    build(index, [site])
    with Index.open(index) as idx:
        hit = idx.search("logging basicConfig", 1)[0]
        assert (hit.path, hit.also_in) == ("_sources/library/logging.rst.txt", [])
        assert "also_in" not in hit.to_dict()


def test_a_copy_collapses_but_what_only_it_holds_is_found(tmp_path: Path):
    root = tmp_path / "docs"
    root.mkdir()
    text = _prose(7)
    (root / "report.txt").write_text(text)
    (root / "report (1).txt").write_text(text + "\n\nAppendix: the zanzibar clause.")
    (root / "other.txt").write_text(_prose(8))
    index = tmp_path / "idx"
    build(index, [root])
    with Index.open(index) as idx:
        shown = [(h.path, h.also_in) for h in idx.search("lantern harbor violet", 10)]
        assert ("report.txt", ["report (1).txt"]) in shown
        assert not [p for p, _ in shown if p == "report (1).txt"]
        # a passage only the copy holds: the copy is shown (its group's standing member has no hit here)
        hit = idx.search("zanzibar clause", 1)[0]
        assert (hit.path, hit.also_in) == ("report (1).txt", ["report.txt"])
    # forgetting the original makes the copy stand alone
    assert forget(index, str(root / "report.txt")) is not None
    with Index.open(index) as idx:
        assert all(not h.also_in for h in idx.search("lantern harbor violet", 10))


def test_search_fills_k_after_collapsing(tmp_path: Path):
    root = tmp_path / "docs"
    root.mkdir()
    for i in range(6):  # six pages, each with its copy: twelve documents, six groups
        text = f"Kestrel note {i}.\n\n" + _prose(100 + i)
        (root / f"page{i}.txt").write_text(text)
        (root / f"page{i} - Copy.txt").write_text(text)
    index = tmp_path / "idx"
    build(index, [root])
    with Index.open(index) as idx:
        hits = idx.search("kestrel note", 5)
        assert len(hits) == 5 and all(h.path.startswith("page") and "Copy" not in h.path for h in hits)
        assert all(h.also_in == [h.path.replace(".txt", " - Copy.txt")] for h in hits)


def test_an_index_from_before_groups_is_grouped_by_the_next_run(tmp_path: Path):
    site = tmp_path / "html"
    _sphinx_site(site)
    index = tmp_path / "idx"
    build(index, [site])
    db = sqlite3.connect(index / "passages.sqlite")
    db.executescript("DROP TABLE signatures; DROP TABLE duplicates;")  # as an index made before this change
    db.close()
    with Index.open(index) as idx:  # readable as it is: no groups, every member shown
        assert len(idx.search("logging basicConfig", 5)) == 3
    summary = build(index, [site])
    assert summary.unchanged == 3 and summary.added == 0
    with Index.open(index) as idx:
        assert [h.path for h in idx.search("logging basicConfig", 5)] == ["library/logging.html", "library/os.html"]


def test_a_page_ranks_where_its_source_ranked(tmp_path: Path):
    """The source text of a page may rank above the page itself: the page takes its place in the list."""
    site = tmp_path / "html"
    (site / "_sources").mkdir(parents=True)
    (site / "logging.html").write_text("<html><body><p>" + _prose(5, 60) + " A kestrel.</p></body></html>")
    (site / "_sources" / "logging.rst.txt").write_text("Kestrel, kestrel: the kestrel.\n")
    (site / "birds.html").write_text("<html><body><p>Kestrel and kestrel nests in spring.</p></body></html>")
    index = tmp_path / "idx"
    build(index, [site])
    with Index.open(index) as idx:
        raw = idx.store.db.execute("SELECT count(*) FROM duplicates").fetchone()[0]
        ranked = [idx.store.shown(*idx.store.db.execute(
            "SELECT root, path FROM documents JOIN passages USING (doc) WHERE id = ?", (pid,)).fetchone())
            for pid, _ in idx.ranked("kestrel", 3, "bm25")]
        assert raw == 1 and ranked == ["_sources/logging.rst.txt", "birds.html", "logging.html"]
        hits = idx.search("kestrel", 3, retriever="bm25")
        assert [(h.path, h.also_in) for h in hits] == [("logging.html", ["_sources/logging.rst.txt"]),
                                                        ("birds.html", [])]
        assert hits[0].score >= hits[1].score

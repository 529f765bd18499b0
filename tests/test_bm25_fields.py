"""BM25's heading field and API signatures as headings (issue 23: "logging basicConfig" on the Python docs), and
the one-field BM25 layout rebuilt in place."""

from __future__ import annotations

import shutil
from pathlib import Path

from scent.index import Index, bm25
from scent.index.layout import STORE_FILE, TANTIVY_DIR
from scent.index.store import Store, bm25_rebuild_pending
from scent.ingest.html import load_html
from scent.ingest.pipeline import build

SPHINX = b"""<html><head><title>logging - Logging facility</title></head><body><div role="main">
<h1>logging - Logging facility</h1>
<section><h2>Module-Level Functions</h2>
<p>The functions below are the simplest way to use the logging module.</p>
<dl class="py function">
<dt class="sig sig-object py" id="logging.basicConfig"><span class="sig-prename descclassname"><span class="pre">
logging.</span></span><span class="sig-name descname"><span class="pre">basicConfig</span></span>
<span class="sig-paren">(</span><em class="sig-param">**kwargs</em><span class="sig-paren">)</span>
<a class="headerlink" href="#x">P</a></dt>
<dd><p>Does basic configuration for the logging system.</p></dd>
</dl>
<dl class="py class">
<dt class="sig sig-object py" id="logging.Logger"><span class="sig-prename descclassname">logging.</span>
<span class="sig-name descname">Logger</span></dt>
<dd><p>Loggers are never instantiated directly.</p>
<dl class="py method"><dt class="sig sig-object py" id="logging.Logger.setLevel"><span class="sig-name descname">
setLevel</span>(<em class="sig-param">level</em>)</dt><dd><p>Sets the threshold for this logger.</p></dd></dl>
<p>A note on the class after its methods.</p>
</dd></dl>
<p>After the definitions the section goes on.</p>
</section></div></body></html>"""


def _headings(data: bytes) -> dict[str, tuple[str, ...]]:
    doc = load_html(data, "logging.html")
    return {doc.text[b.start:b.end]: b.headings for b in doc.blocks}


def test_sphinx_signatures_head_their_definitions():
    by_text = _headings(SPHINX)
    section = ("logging - Logging facility", "Module-Level Functions")
    assert by_text["Does basic configuration for the logging system."] == (*section, "logging.basicConfig")
    assert by_text["logging.basicConfig (**kwargs)"] == (*section, "logging.basicConfig")  # the signature stays text
    assert by_text["Sets the threshold for this logger."] == (*section, "logging.Logger", "logging.Logger.setLevel")
    assert by_text["A note on the class after its methods."] == (*section, "logging.Logger")
    assert by_text["After the definitions the section goes on."] == section  # the heading ends with its list


def test_a_plain_definition_list_is_no_heading():
    data = b"<html><body><h1>Glossary</h1><dl><dt id='x'>term</dt><dd><p>Its meaning.</p></dd></dl></body></html>"
    assert _headings(data)["Its meaning."] == ("Glossary",)


def _folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "logging.html").write_bytes(SPHINX)
    # a page that says basicConfig more often than the reference, under a heading of its own
    (docs / "howto.md").write_text("# Logging HOWTO\n\n## Logging to a file\n\n" + "Call logging basicConfig "
                                   "first; basicConfig sets up the logging of your program, basicConfig again. " * 3
                                   + "\n\n## Other\n\n" + "Unrelated words about other things. " * 20 + "\n")
    return docs


def test_the_heading_field_ranks_the_defining_passage_first(tmp_path: Path):
    build(tmp_path / "idx", [_folder(tmp_path)])
    with Index.open(tmp_path / "idx") as idx:
        assert idx.bm25_fields == bm25.FIELDS
        idx.heading_weight = 0.0  # the text field alone: the howto, saying it three times, wins
        assert idx.search("logging basicConfig", 1)[0].path == "howto.md"
        idx.heading_weight = bm25.HEADING_WEIGHT
        top = idx.search("logging basicConfig", 1)[0]
        assert (top.path, top.headings[-1]) == ("logging.html", "logging.basicConfig")
        # a passage whose heading is the document's title has no heading field: a title is not rewarded twice
        assert bm25.heading_text(idx.search("Logging HOWTO", 1)[0]) in ("", "Logging to a file", "Other")


def _old_layout(index: Path) -> None:
    """Turn a fresh index into one of the one-field layout (id, doc, text), as scent wrote it before."""
    import tantivy

    store = Store(index / STORE_FILE)
    store.db.execute("DELETE FROM meta WHERE key = ?", (bm25.META_KEY,))
    docs = [r[0] for r in store.db.execute("SELECT doc FROM documents")]
    passages = {doc: store.doc_passages(doc) for doc in docs}
    store.close()
    shutil.rmtree(index / TANTIVY_DIR)
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_integer_field("doc", indexed=True)
    builder.add_text_field("text", stored=False, tokenizer_name="en_stem")
    (index / TANTIVY_DIR).mkdir()
    old = tantivy.Index(builder.build(), path=str(index / TANTIVY_DIR))
    writer = old.writer()
    for doc, ps in passages.items():
        for p in ps:
            writer.add_document(tantivy.Document(id=p.id, doc=doc, text=bm25.indexed_text(p)))
    writer.commit()
    writer.wait_merging_threads()


def test_an_index_of_the_one_field_layout_is_searched_then_rebuilt_once(tmp_path: Path):
    docs = _folder(tmp_path)
    index = tmp_path / "idx"
    build(index, [docs])
    with Index.open(index) as idx:
        passages = idx.stats()["passages"]
    _old_layout(index)
    with Index.open(index) as idx:  # a reader of the old layout searches its one field
        assert idx.bm25_fields == ("text",) and idx.search("basicConfig", 1)
    assert bm25.outdated(index / TANTIVY_DIR, None, True) and bm25_rebuild_pending(index)  # the CLI's line
    summary = build(index, [docs])
    assert not bm25_rebuild_pending(index)
    report = (index / "ingest-report.jsonl").read_text()
    assert report.count("BM25 index rebuilt") == 1 and "1 HTML page(s) read again" in report
    assert summary.passages_total == passages and summary.updated == 1  # the HTML page, read again
    with Index.open(index) as idx:
        assert idx.bm25_fields == bm25.FIELDS
        ids = [h.id for h in idx.search("the", 100)]
        assert len(ids) == len(set(ids))  # every passage once: replayed from the store, not added twice
        assert idx.search("logging basicConfig", 1)[0].headings[-1] == "logging.basicConfig"
    build(index, [docs])
    assert "BM25 index rebuilt" not in (index / "ingest-report.jsonl").read_text()  # said once


def test_a_rebuild_interrupted_before_it_was_recorded_is_done_again(tmp_path: Path):
    index = tmp_path / "idx"
    build(index, [_folder(tmp_path)])
    # the new layout on disk, the store not yet saying so (killed between the two): rebuilt again
    assert not bm25.outdated(index / TANTIVY_DIR, bm25.FORMAT, True)
    assert bm25.outdated(index / TANTIVY_DIR, None, True)
    assert not bm25.outdated(tmp_path / "none", None, False)  # a new index


def test_a_page_stands_for_its_sphinx_source_even_when_only_the_source_ranked(tmp_path: Path):
    """The source is cut into passages differently from its page: its passage can rank where none of the page's
    does (Python docs, "asyncio gather": `_sources/library/asyncio-queue.rst.txt` 10th, the page's 30th). The
    page's best passage takes its place; a query only the source matches still finds the source."""
    docs = tmp_path / "docs"
    (docs / "_sources").mkdir(parents=True)
    filler = " ".join(f"filler{i}" for i in range(150))
    tail = " ".join(f"page{i}" for i in range(60))  # the page's passage is longer: the source's ranks first (no tie)
    (docs / "queue.html").write_text(f"<html><title>Queues</title><body><p>Workers gather results. {filler} "
                                     f"{tail}</p></body></html>")
    (docs / "_sources" / "queue.rst.txt").write_text("Workers gather results.\n\n" + filler + "\n\n.. rubric:: x\n")
    build(tmp_path / "idx", [docs])
    with Index.open(tmp_path / "idx") as idx:
        assert idx.ranked("gather", 1)[0][0] in {p.id for p in idx.document_passages("_sources/queue.rst.txt")}
        hit = idx.search("gather", 1)[0]
        assert (hit.path, hit.also_in) == ("queue.html", ["_sources/queue.rst.txt"])
        assert idx.search("rubric", 1)[0].path == "_sources/queue.rst.txt"  # only the source says it


def test_scent_index_says_so_before_it_rebuilds_an_old_layout(tmp_path: Path):
    from conftest import scent

    docs = _folder(tmp_path)
    index = tmp_path / "idx"
    build(index, [docs])
    _old_layout(index)
    first = scent("index", docs, "--index", index, "--no-vectors")
    assert "rebuilding BM25 from the passage store" in first.stderr
    again = scent("index", docs, "--index", index, "--no-vectors")
    assert "rebuilding BM25" not in again.stderr  # once: the rebuilt index is of the new layout

"""`scent index` keeps its promises on hostile input (issue 11): one bad file never stops a run (item 2), inputs
are bounded (item 6), two file names never share a document (item 10), links out of the folder are reported and
not followed by default (item 11)."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

from conftest import scent
from docs_factory import make_docx

from scent.config import IngestConfig
from scent.index import Index
from scent.ingest.pipeline import build


def _report(index: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (index / "ingest-report.jsonl").read_text().splitlines()]


def _rewrite_docx(path: Path, edit: dict[str, bytes]) -> Path:
    """The same .docx with some members replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, edit.get(info.filename, src.read(info.filename)))
    path.write_bytes(out.getvalue())
    return path


def test_a_docx_that_crashes_its_parser_is_reported_and_the_rest_indexed(tmp_path: Path):
    root = tmp_path / "docs"
    root.mkdir()
    for i in range(20):
        (root / f"note{i:02d}.txt").write_text(f"Note {i} is about heron number{i}.")
    bad = make_docx(root / "bad.docx", "Handbook", [("Leave", ["Staff get 25 days."])], table=[["a", "b"]])
    with zipfile.ZipFile(bad) as z:
        xml = z.read("word/document.xml").replace(b"<w:tcPr>", b'<w:tcPr><w:gridSpan w:val="abc"/>', 1)
    _rewrite_docx(bad, {"word/document.xml": xml})
    for _ in range(2):  # and the next run too: the bad file never blocks the folder
        proc = scent("index", root, "--index", tmp_path / "idx", "--no-vectors", check=False)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
        skipped = {r["path"]: r for r in _report(tmp_path / "idx") if r["status"] == "skipped"}
        assert skipped["bad.docx"]["reason"] == "corrupt-docx" and "ValueError" in skipped["bad.docx"]["detail"]
    with Index.open(tmp_path / "idx") as idx:
        assert idx.stats()["documents"] == 20
        assert idx.search("heron number7", 1)[0].path == "note07.txt"


def test_a_long_jsonl_line_is_skipped_without_being_read_whole_and_records_are_cut(tmp_path: Path):
    root = tmp_path / "docs"
    root.mkdir()
    long_text = "x" * 3_000_000
    (root / "corpus.jsonl").write_text(
        json.dumps({"id": "ok", "title": "Fine", "text": "Kestrels hover."}) + "\n"
        + json.dumps({"id": "huge", "title": "Huge", "text": long_text}) + "\n"
        + json.dumps({"id": "long", "title": "Long", "text": "Lapwing " * 5000}) + "\n")
    summary = build(tmp_path / "idx", [root], IngestConfig(max_line_kb=1024, max_record_chars=10_000))
    assert summary.added == 1
    by_line = {r["line"]: r for r in _report(tmp_path / "idx")}
    assert by_line[2]["reason"] == "line-too-long" and by_line[2]["status"] == "partial"
    assert by_line[3]["reason"] == "record-cut"
    with Index.open(tmp_path / "idx") as idx:
        assert idx.get("huge") is None
        long = idx.get("long")
        assert long is not None and len(long.text) == 10_000
        assert idx.search("kestrels", 1)[0].id == "ok"


def test_text_without_whitespace_is_split_into_bounded_passages_and_reported(tmp_path: Path):
    root = tmp_path / "docs"
    root.mkdir()
    (root / "blob.txt").write_text("Start. " + "A" * 300_000 + " end of the blob.")
    build(tmp_path / "idx", [root])
    with Index.open(tmp_path / "idx") as idx:
        passages = idx.store.doc_passages(idx.store.documents()[(str(root), "blob.txt")].doc)
    assert max(len(p.text) for p in passages) <= 4000 and sum(len(p.text) for p in passages) >= 300_000
    assert [r["reason"] for r in _report(tmp_path / "idx")] == ["long-run-split"]


def test_a_docx_is_bounded_by_its_uncompressed_size(tmp_path: Path):
    root = tmp_path / "docs"
    root.mkdir()
    bomb = make_docx(root / "bomb.docx", "Bomb", [("Body", ["seed"])])
    with zipfile.ZipFile(bomb) as z:
        xml = z.read("word/document.xml")
    paragraph = b"<w:p><w:r><w:t>" + b"grebe " * 2000 + b"</w:t></w:r></w:p>"
    xml = xml.replace(b"<w:body>", b"<w:body>" + paragraph * 400, 1)  # ~4.8 MB of XML, ~20 KB zipped
    _rewrite_docx(bomb, {"word/document.xml": xml})
    assert bomb.stat().st_size < 100_000
    build(tmp_path / "idx", [root], IngestConfig(max_file_mb=1))
    report = _report(tmp_path / "idx")
    assert [(r["path"], r["reason"]) for r in report] == [("bomb.docx", "too-large")]
    assert "uncompressed" in str(report[0]["detail"])


def test_undecodable_and_escaped_looking_names_are_two_documents(tmp_path: Path):
    root = tmp_path / "docs"
    root.mkdir()
    (root / os.fsdecode(b"\xe9.txt")).write_text("Puffins nest in burrows.")
    (root / "\\xe9.txt").write_text("Gannets dive from height.")
    summary = build(tmp_path / "idx", [root])
    assert summary.added == 2
    with Index.open(tmp_path / "idx") as idx:
        paths = {idx.search("puffins", 1)[0].path, idx.search("gannets", 1)[0].path}
    assert len(paths) == 2
    from scent.ingest.walk import display_path, fs_path

    for name in (os.fsdecode(b"\xe9.txt"), "\\xe9.txt", "plain.txt", "a\\b\\\\c.txt", os.fsdecode(b"x\xff\\y")):
        assert fs_path(display_path(name)) == name
    again = build(tmp_path / "idx", [root])  # both still found on disk: nothing removed, nothing re-read
    assert (again.unchanged, again.removed) == (2, 0)


def test_links_out_of_the_folder_are_reported_and_followed_only_on_request(tmp_path: Path):
    root = tmp_path / "docs"
    root.mkdir()
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secret.txt").write_text("Osprey nesting sites are confidential.")
    (root / "inside.txt").write_text("Cormorants dry their wings.")
    (root / "leak.txt").symlink_to(outside / "secret.txt")
    (root / "folder").symlink_to(outside)
    (root / "same.txt").symlink_to(root / "inside.txt")  # inside the folder: followed as before
    (root / "proc.txt").symlink_to("/proc/self/environ")
    summary = build(tmp_path / "idx", [root])
    report = {r["path"]: r for r in _report(tmp_path / "idx")}
    assert report["leak.txt"]["reason"] == "outside-root"
    assert str(outside / "secret.txt") in str(report["leak.txt"]["detail"])
    assert report["folder"]["reason"] == "outside-root"
    assert report["proc.txt"]["reason"] == "pseudo-filesystem"
    assert summary.added == 2
    with Index.open(tmp_path / "idx") as idx:
        assert not idx.search("osprey", 5)

    followed = build(tmp_path / "idx", [root], IngestConfig(follow_outside=True))
    assert followed.added == 2  # leak.txt and folder/secret.txt
    assert [r["reason"] for r in _report(tmp_path / "idx")] == ["pseudo-filesystem"]
    with Index.open(tmp_path / "idx") as idx:
        # two documents of one file: one duplicate group, shown once with the other as also_in (issue 23)
        assert [(h.path, h.also_in) for h in idx.search("osprey", 5)] == [("leak.txt", ["folder/secret.txt"])]
        assert idx.document_passages("folder/secret.txt")

    build(tmp_path / "idx", [root])  # following turned off again: what came from outside leaves the index
    with Index.open(tmp_path / "idx") as idx:
        assert not idx.search("osprey", 5)
    cli = scent("index", root, "--index", tmp_path / "idx2", "--follow-outside", "--no-vectors", "--json")
    assert json.loads(cli.stdout)["added"] == 4


def test_corpus_lines_the_fuzzer_found_cost_one_line_each(tmp_path: Path):
    """Found by tests/loader_fuzz.py: a lone surrogate escape made SQLite refuse the insert (the whole run
    stopped), and a deeply nested line made json raise RecursionError (the whole file was lost)."""
    root = tmp_path / "docs"
    root.mkdir()
    (root / "corpus.jsonl").write_text('{"id": "s", "title": "Sur\\ud800", "text": "half a \\udc00 pair"}\n'
                                       + "[" * 100_000 + "\n" + '{"id": "ok", "text": "Shearwaters glide."}\n')
    summary = build(tmp_path / "idx", [root])
    assert summary.added == 1 and summary.passages_added == 2
    report = {r["line"]: r["reason"] for r in _report(tmp_path / "idx")}
    assert report == {1: "invalid-unicode", 2: "invalid-json"}
    with Index.open(tmp_path / "idx") as idx:
        surrogate = idx.get("s")
        assert surrogate is not None and surrogate.text == "half a \ufffd pair" and surrogate.title == "Sur\ufffd"
        assert idx.search("shearwaters", 1)[0].id == "ok"

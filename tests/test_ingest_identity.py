"""Issue 23: a document is (root, path); roots are canonical and remembered with their rules; nothing the walk
sees is dropped without a report line. Each test failed on the code before it."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

from conftest import scent

from scent.config import IngestConfig
from scent.index import Index
from scent.ingest.forget import forget
from scent.ingest.pipeline import build
from scent.ingest.sources import IngestOptions


def _report(index: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (index / "ingest-report.jsonl").read_text().splitlines()]


def _two_roots(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "library", tmp_path / "howto"
    for root, words in ((a, "reference handlers formatters"), (b, "tutorial basic usage")):
        root.mkdir()
        (root / "LICENSE.txt").write_text("Permission is granted to copy this documentation freely.")
        (root / "logging.html").write_text(f"<html><title>logging</title><body><p>Logging {words}.</p></body>"
                                           "</html>")
    return a, b


def test_identical_text_in_two_roots_is_two_passages(tmp_path: Path):
    a, b = _two_roots(tmp_path)
    summary = build(tmp_path / "idx", [a, b])
    assert summary.skipped == 0 and not [i for i in _report(tmp_path / "idx") if i["reason"] == "duplicate-id"]
    with Index.open(tmp_path / "idx") as idx:
        copies = [idx.document_passages(f"{label}/LICENSE.txt") for label in ("howto", "library")]
        assert all(len(c) == 1 for c in copies) and copies[0][0].id != copies[1][0].id  # two passages
        # and one duplicate group: a search shows one of them, naming the other (tests/test_near_duplicates.py)
        hits = idx.search("permission granted copy documentation", 5)
        assert [(h.path, h.also_in) for h in hits] == [("howto/LICENSE.txt", ["library/LICENSE.txt"])]


def test_two_roots_keep_which_root_a_file_came_from(tmp_path: Path):
    a, b = _two_roots(tmp_path)
    build(tmp_path / "idx", [a, b])
    with Index.open(tmp_path / "idx") as idx:
        assert idx.search("tutorial basic usage", 1)[0].path == "howto/logging.html"
        assert "tutorial" in idx.document_passages("howto/logging.html")[0].text
        assert "handlers" in idx.document_passages("library/logging.html")[0].text
        assert "handlers" in idx.document_passages(str(a / "logging.html"))[0].text  # a full path resolves
        assert {d["path"] for d in idx.list_documents()[1]} >= {"howto/logging.html", "library/logging.html"}


def test_one_root_keeps_plain_paths(tmp_path: Path):
    a, _ = _two_roots(tmp_path)
    build(tmp_path / "idx", [a])
    with Index.open(tmp_path / "idx") as idx:
        assert idx.search("handlers", 1)[0].path == "logging.html"


def test_a_symlinked_root_is_the_same_documents(tmp_path: Path):
    a, _ = _two_roots(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(a)
    index = tmp_path / "idx"
    build(index, [a])
    again = build(index, [link])
    assert (again.added, again.unchanged, again.documents_total) == (0, 2, 2)
    time.sleep(0.01)
    (link / "logging.html").write_text("<html><body><p>Rotating file handlers explained.</p></body></html>")
    edited = build(index, [link])
    assert (edited.updated, edited.documents_total) == (1, 2)
    with Index.open(index) as idx:
        assert idx.search("rotating", 1)[0].path == "logging.html"
        assert idx.search("formatters", 5) == []  # the old text is gone


def test_a_subfolder_of_a_root_and_a_parent_of_one_are_the_same_documents(tmp_path: Path):
    top = tmp_path / "docs"
    (top / "sub").mkdir(parents=True)
    (top / "a.md").write_text("# A\n\nAlpha text about otters.")
    (top / "sub" / "b.md").write_text("# B\n\nBeta text about herons.")
    index = tmp_path / "idx"
    build(index, [top / "sub"])
    with Index.open(index) as idx:
        ids = {r[0] for r in idx.store.db.execute("SELECT id FROM passages")}
    parent = build(index, [top])  # the parent absorbs the subfolder's root: b.md is kept, not added again
    assert (parent.added, parent.unchanged, parent.documents_total) == (1, 1, 2)
    sub = build(index, [top / "sub"])
    assert (sub.added, sub.unchanged, sub.documents_total) == (0, 1, 2)
    with Index.open(index) as idx:
        assert idx.search("herons", 1)[0].path == "sub/b.md"
        assert ids <= {r[0] for r in idx.store.db.execute("SELECT id FROM passages")}


def test_a_new_exclude_removes_what_it_now_leaves_out(tmp_path: Path):
    a, _ = _two_roots(tmp_path)
    index = tmp_path / "idx"
    build(index, [a])
    s = build(index, [a], IngestConfig(exclude=["LICENSE*"]))
    assert (s.removed, s.documents_total) == (1, 1)
    resync = build(index, [])  # no path: every remembered root, with its remembered rules
    assert (resync.removed, resync.unchanged, resync.documents_total) == (0, 1, 1)


def test_index_with_no_path_resyncs_every_root(tmp_path: Path):
    a, b = _two_roots(tmp_path)
    index = tmp_path / "idx"
    build(index, [a, b])
    (b / "new.txt").write_text("A new howto about filters.")
    (a / "LICENSE.txt").unlink()
    s = build(index, [])
    assert (s.added, s.removed, s.documents_total) == (1, 1, 4)


def test_sources_and_forget(tmp_path: Path):
    a, b = _two_roots(tmp_path)
    index = tmp_path / "idx"
    build(index, [a, b])
    listed = json.loads(scent("sources", "--index", index, "--json").stdout)
    assert {(r["root"], r["documents"]) for r in listed} == {(str(a.resolve()), 2), (str(b.resolve()), 2)}
    done = forget(index, "howto/LICENSE.txt")
    assert done is not None and done.documents == 1
    assert build(index, []).documents_total == 3  # stays forgotten: the path joined the root's excludes
    assert scent("forget", str(b), "--index", index).returncode == 0
    with Index.open(index) as idx:
        assert idx.stats()["documents"] == 2
        assert idx.search("handlers", 1)[0].path == "logging.html"  # one root left: plain paths again
    assert scent("forget", str(tmp_path / "nowhere"), "--index", index, check=False).returncode == 1


def test_rehash_finds_a_change_that_kept_size_and_mtime(tmp_path: Path):
    root = tmp_path / "d"
    root.mkdir()
    f = root / "a.txt"
    f.write_text("The colour is amber.")
    index = tmp_path / "idx"
    build(index, [root])
    stat = f.stat()
    f.write_text("The colour is olive.")  # same size
    os.utime(f, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert build(index, [root]).unchanged == 1  # documented: size+mtime decide without --rehash
    assert build(index, [root], IngestOptions(rehash=True)).updated == 1
    with Index.open(index) as idx:
        assert idx.search("olive", 1)


def test_unsupported_files_are_reported_per_extension(tmp_path: Path):
    root = tmp_path / "d"
    root.mkdir()
    (root / "a.txt").write_text("text")
    (root / "b.xyz").write_text("x")
    (root / "c.xyz").write_text("x")
    (root / "tool.bin").write_bytes(b"\x00\x01\x02" * 100)
    index = tmp_path / "idx"
    build(index, [root])
    reported = {i["path"]: i["reason"] for i in _report(index)}
    assert reported == {"b.xyz": "unsupported-type", "c.xyz": "unsupported-type", "tool.bin": "unsupported-type"}
    out = scent("index", root, "--index", index, "--no-vectors")
    assert "unsupported type: .xyz 2, .bin 1" in out.stderr
    build(tmp_path / "only", [root], IngestConfig(include=["*.xyz"]))  # --include names a type with no loader
    assert {i["reason"] for i in _report(tmp_path / "only")} == {"unsupported-type"}


def test_utf16_and_extensionless_text_are_read(tmp_path: Path):
    root = tmp_path / "d"
    root.mkdir()
    (root / "wide.txt").write_bytes("Wide characters about pelicans.".encode("utf-16"))
    (root / "wider.txt").write_bytes(b"\xff\xfe\x00\x00" + "Cormorants dive deep.".encode("utf-32-le"))
    (root / "LICENSE").write_text("Redistribution of kingfishers is permitted.")
    s = build(tmp_path / "idx", [root])
    assert (s.added, s.skipped) == (3, 0)
    with Index.open(tmp_path / "idx") as idx:
        for query in ("pelicans", "cormorants", "kingfishers"):
            assert idx.search(query, 1), query


def test_password_protected_docx_is_reported_as_such(tmp_path: Path):
    root = tmp_path / "d"
    root.mkdir()
    # an encrypted Office document is an OLE compound file (the package inside it is encrypted)
    (root / "secret.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    build(tmp_path / "idx", [root])
    assert [i["reason"] for i in _report(tmp_path / "idx")] == ["encrypted-docx"]


def _make_format_1(index: Path, link_root: Path, real_root: Path) -> None:
    """Turn a fresh index back into today's layout: format 1, no sources, roots as typed (through a link)."""
    db = sqlite3.connect(index / "passages.sqlite")
    db.execute("UPDATE meta SET value = '1' WHERE key = 'format'")
    db.execute("DROP TABLE sources")
    db.execute("UPDATE documents SET root = ? WHERE root = ?", (str(link_root), str(real_root)))
    db.commit()
    db.close()


def test_an_old_index_is_migrated_in_place_and_says_so_once(tmp_path: Path):
    a, _ = _two_roots(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(a)
    index = tmp_path / "idx"
    build(index, [a])
    _make_format_1(index, link, a.resolve())
    first = scent("index", a, "--index", index, "--no-vectors")
    assert "migrating the index in place to format 2" in first.stderr
    assert "2 unchanged" in first.stderr  # nothing re-read: the roots were resolved in place
    second = scent("index", "--index", index, "--no-vectors")
    assert "migrating" not in second.stderr and "2 unchanged" in second.stderr


def test_orphan_passages_are_removed_at_the_next_run(tmp_path: Path):
    """A passage with no document row (left by an interrupted run) used to keep the file's own passages out as
    `duplicate-id` forever."""
    root = tmp_path / "d"
    root.mkdir()
    (root / "a.txt").write_text("Orphaned otters swim.")
    index = tmp_path / "idx"
    build(index, [root])
    db = sqlite3.connect(index / "passages.sqlite")
    db.execute("UPDATE passages SET doc = 999")
    db.execute("DELETE FROM documents")
    db.commit()
    db.close()
    s = build(index, [root])
    assert (s.added, s.passages_total) == (1, 1)
    assert any(i["reason"] == "index-repaired" for i in _report(index))
    with Index.open(index) as idx:
        assert idx.search("otters", 1)[0].path == "a.txt"
        assert idx.tantivy.searcher().num_docs == 1


def test_orphans_of_a_deleted_file_are_not_attached_to_the_next_document(tmp_path: Path):
    """Orphan passages name a document number the store no longer holds; when the file was deleted before the
    re-run, the next document to be given that number used to inherit them."""
    root = tmp_path / "d"
    root.mkdir()
    (root / "a.txt").write_text("Orphaned otters swim.")
    index = tmp_path / "idx"
    build(index, [root])
    db = sqlite3.connect(index / "passages.sqlite")
    (doc,) = db.execute("SELECT doc FROM documents").fetchone()
    db.execute("DELETE FROM documents")  # as a Ctrl-C left it: passages of `doc`, no document row
    db.commit()
    db.close()
    (root / "a.txt").unlink()
    (root / "b.txt").write_text("Badgers dig.")
    s = build(index, [root])
    assert (s.added, s.documents_total, s.passages_total) == (1, 1, 1)
    with Index.open(index) as idx:
        assert idx.search("otters", 5) == [] and idx.tantivy.searcher().num_docs == 1
        (b,) = idx.store.resolve("b.txt")
        assert [p.text for p in idx.store.doc_passages(b)] == ["Badgers dig."]
        assert b == doc or doc not in {r[0] for r in idx.store.db.execute("SELECT doc FROM passages")}

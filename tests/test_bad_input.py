"""Bad input: every problem is reported with its reason, and every good file is still indexed."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
from pathlib import Path

from docs_factory import make_encrypted_pdf, make_pdf

from scent.index import Index

GOOD = {  # file name -> a query that must find it
    "plain.txt": "aardvark burrows",
    "with space & ünïcödé.md": "# Zebra\n\nZebra stripes confuse flies.",
    "line\nbreak.txt": "Okapi live in the Ituri forest.",
}


def _drop_root_file_access() -> None:
    """As root, permission bits are not checked; drop CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH so they are."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP: applies to the program exec'd next
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _bad_folder(root: Path) -> Path:
    root.mkdir()
    (root / "plain.txt").write_text("Aardvark burrows are deep.\n\nThey eat ants.")
    (root / "with space & ünïcödé.md").write_text(GOOD["with space & ünïcödé.md"])
    (root / "line\nbreak.txt").write_text(GOOD["line\nbreak.txt"])
    (root / os.fsdecode(b"latin1-\xe9t\xe9.txt")).write_bytes(b"Caf\xe9 au lait is served warm.")  # bad UTF-8 name+text
    (root / "corrupt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer garbage")
    make_encrypted_pdf(root / "locked.pdf", "Classified pangolin facts.")
    make_pdf(root / "fine.pdf", ["Narwhal tusks are teeth."])
    (root / "image.txt").write_bytes(bytes(range(256)) * 40)
    (root / "empty.md").write_bytes(b"")
    (root / "big.txt").write_text("word " * 300_000)  # 1.5 MB > the 1 MB cap set below
    (root / "broken.html").write_bytes(b"<html><body><p>Unclosed <b>tags about quokkas<div></body>")
    (root / "secret.txt").write_text("Hidden tapir notes.")
    (root / "secret.txt").chmod(0)
    (root / "loop").mkdir()
    (root / "loop" / "inner.txt").write_text("Inside the loop folder: ibex.")
    (root / "loop" / "back").symlink_to("..")
    (root / "dangling.txt").symlink_to("does-not-exist.txt")
    (root / "corpus.jsonl").write_text('{"id": "j1", "title": "Yak", "text": "Yaks live high."}\n{oops\n')
    return root


def test_bad_input_is_reported_and_good_files_indexed(tmp_path: Path):
    tmp_path.chmod(0o755)
    root = _bad_folder(tmp_path / "docs")
    index = tmp_path / "idx"
    cmd = [sys.executable, "-m", "scent", "index", str(root), "--index", str(index), "--max-file-mb", "1"]
    preexec = _drop_root_file_access if os.geteuid() == 0 else None
    proc = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=preexec)
    assert proc.returncode == 0, proc.stderr
    assert "skipped" in proc.stderr and "ingest-report.jsonl" in proc.stderr  # the summary line
    report = [json.loads(line) for line in (index / "ingest-report.jsonl").read_text().splitlines()]
    by_path = {(r["path"], r["status"]): r["reason"] for r in report}
    assert by_path[("corrupt.pdf", "skipped")] in ("corrupt-pdf", "no-text")
    assert by_path[("locked.pdf", "skipped")] == "encrypted-pdf"
    assert by_path[("image.txt", "skipped")] == "binary"
    assert by_path[("empty.md", "skipped")] == "empty"
    assert by_path[("big.txt", "skipped")] == "too-large"
    assert by_path[("secret.txt", "skipped")] == "unreadable"
    assert by_path[("loop/back", "skipped")] == "symlink-loop"
    assert by_path[("dangling.txt", "skipped")] == "broken-symlink"
    assert by_path[("latin1-\\xe9t\\xe9.txt", "partial")] == "invalid-utf8"
    assert by_path[("corpus.jsonl", "partial")] == "invalid-json"
    assert next(r for r in report if r["path"] == "corpus.jsonl")["line"] == 2

    with Index.open(index) as idx:
        found = {q: idx.search(q, 1)[0].path for q in
                 ["aardvark burrows", "zebra stripes", "okapi Ituri", "narwhal tusks", "quokkas", "ibex", "yaks",
                  "café au lait"]}
    assert found == {"aardvark burrows": "plain.txt", "zebra stripes": "with space & ünïcödé.md",
                     "okapi Ituri": "line\nbreak.txt", "narwhal tusks": "fine.pdf", "quokkas": "broken.html",
                     "ibex": "loop/inner.txt", "yaks": "corpus.jsonl", "café au lait": "latin1-\\xe9t\\xe9.txt"}

    # a re-run reads nothing again and reports the same problems
    again = subprocess.run([*cmd, "--json"], capture_output=True, text=True, preexec_fn=preexec)
    summary = json.loads(again.stdout)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 0, len(found))
    assert [json.loads(line) for line in (index / "ingest-report.jsonl").read_text().splitlines()] == report

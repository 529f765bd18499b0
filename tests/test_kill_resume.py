"""A real `scent index` subprocess killed mid-run (SIGKILL, SIGINT) leaves a usable index that the next run
completes with no duplicate and no missing passage."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from scent.index import Index
from scent.ingest.pipeline import build
from scent.interrupt import PAUSE_ENV

pytestmark = pytest.mark.integration

WORDS = ("river", "stone", "otter", "heron", "reed", "marsh", "delta", "current", "willow", "moss", "pebble",
         "tide", "estuary", "bank", "fern", "alder", "lichen", "trout", "salmon", "eddy", "shoal", "rapids",
         "ford", "weir", "lock", "canal")


def _corpus(root: Path, files: int = 2500) -> Path:
    rng = random.Random(7)
    root.mkdir()
    for i in range(files):
        paragraphs = [" ".join(rng.choice(WORDS) for _ in range(60)).capitalize() + "." for _ in range(3)]
        (root / f"doc{i:05d}.txt").write_text(f"Document {i}.\n\n" + "\n\n".join(paragraphs))
    return root


def _passage_count(index: Path) -> int:
    try:
        with sqlite3.connect(f"file:{index / 'passages.sqlite'}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT count(*) FROM passages").fetchone()[0])
    except sqlite3.Error:
        return 0


def _bm25_ids(index: Path) -> list[str]:
    import tantivy

    with Index.open(index) as idx:
        idx.tantivy.reload()
        searcher = idx.tantivy.searcher()
        hits = searcher.search(tantivy.Query.all_query(), limit=searcher.num_docs + 10).hits
        return [searcher.doc(address)["id"][0] for _, address in hits]


def _store_ids(index: Path) -> list[str]:
    with Index.open(index) as idx:
        return [r[0] for r in idx.store.db.execute("SELECT id FROM passages")]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    base = tmp_path_factory.mktemp("kill")
    root = _corpus(base / "docs")
    build(base / "reference", [root])
    return root, set(_store_ids(base / "reference"))


def _index_cmd(root: Path, index: Path) -> list[str]:
    return [sys.executable, "-m", "scent", "index", str(root), "--index", str(index), "--quiet",
            "--commit-every", "300", "--no-vectors"]  # vectors have their own kill test (test_dense)


def _interrupt_at(point: str, cmd: list[str], sig: signal.Signals) -> tuple[int, str]:
    """Run `cmd` paused at the checkpoint `point` (SCENT_PAUSE_AT), send `sig` there: (exit code, stderr). No
    timing: the run waits at that point until the signal comes."""
    env = {**os.environ, PAUSE_ENV: point}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stderr is not None
    first = proc.stderr.readline()
    assert first == f"paused at {point}\n", first + proc.stderr.read()
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    return proc.returncode, first + stderr


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_index_run_resumes_without_loss_or_duplicates(corpus: tuple[Path, set[str]], tmp_path: Path,
                                                             sig: signal.Signals):
    root, expected = corpus
    index = tmp_path / "idx"
    cmd = _index_cmd(root, index)
    returncode, stderr = _interrupt_at("index-committed", cmd, sig)  # after the first BM25 commit of 300
    if sig == signal.SIGINT:
        assert returncode == 130 and "interrupted" in stderr
    else:
        assert returncode == -signal.SIGKILL

    # usable right away: it opens and searches, and holds part of the corpus
    with Index.open(index) as idx:
        assert idx.search("otter heron", 3)
    assert 0 < len(set(_store_ids(index))) < len(expected)

    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    store_ids, bm25_ids = _store_ids(index), _bm25_ids(index)
    assert set(store_ids) == expected and len(store_ids) == len(expected)
    assert sorted(bm25_ids) == sorted(expected)  # no duplicate, none missing


def test_ctrl_c_during_the_final_cleanup_is_reported(corpus: tuple[Path, set[str]], tmp_path: Path):
    """Every document is committed, the run is closing its files: a Ctrl-C there must neither cut the cleanup
    short nor pass unnoticed (it used to escape as a traceback or a bare exit status)."""
    root, expected = corpus
    index = tmp_path / "idx"
    returncode, stderr = _interrupt_at("index-cleanup", _index_cmd(root, index), signal.SIGINT)
    assert returncode == 130 and "interrupted" in stderr and "Traceback" not in stderr
    assert set(_store_ids(index)) == expected and sorted(_bm25_ids(index)) == sorted(expected)
    assert (index / "ingest-report.jsonl").exists()


# -- issue 23: every named checkpoint of a first run and of an update run, SIGINT and kill -9 ------------------
CHECKPOINTS = ("index-document-stored", "index-committed", "index-removing")


def _small_corpus(root: Path, files: int = 120, seed: int = 3) -> None:
    rng = random.Random(seed)
    root.mkdir(exist_ok=True)
    for i in range(files):
        paragraphs = [" ".join(rng.choice(WORDS) for _ in range(50)).capitalize() + "." for _ in range(4)]
        (root / f"doc{i:04d}.md").write_text(f"# Document {i}\n\n" + "\n\n".join(paragraphs))


def _update(root: Path) -> None:
    """Change, delete and add files: an update run then has work at every checkpoint."""
    for i in range(0, 120, 7):
        (root / f"doc{i:04d}.md").write_text(f"# Changed {i}\n\nRevised text about weirs number {i}.")
    for i in range(3, 120, 11):
        (root / f"doc{i:04d}.md").unlink()
    for i in range(200, 230):
        (root / f"new{i}.md").write_text(f"# New {i}\n\nAdded text about fords number {i}.")


@pytest.mark.parametrize("point", CHECKPOINTS)
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
@pytest.mark.parametrize("run", ["first", "update"])
def test_interrupted_at_each_checkpoint_then_rerun_is_exact(tmp_path: Path, point: str, sig: signal.Signals,
                                                            run: str):
    root, index = tmp_path / "docs", tmp_path / "idx"
    _small_corpus(root)
    cmd = [*_index_cmd(root, index)[:-3], "--commit-every", "40", "--no-vectors"]
    if run == "update":
        assert subprocess.run(cmd, capture_output=True, text=True, timeout=120).returncode == 0
        _update(root)
    returncode, stderr = _interrupt_at(point, cmd, sig)
    assert returncode in (130, -signal.SIGKILL), stderr
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    build(tmp_path / "reference", [root])
    expected = set(_store_ids(tmp_path / "reference"))
    store_ids, bm25_ids = _store_ids(index), _bm25_ids(index)
    assert sorted(store_ids) == sorted(expected)  # every passage of every file, once
    assert sorted(bm25_ids) == sorted(expected)
    with sqlite3.connect(index / "passages.sqlite") as db:
        orphans = db.execute("SELECT count(*) FROM passages WHERE doc NOT IN (SELECT doc FROM documents)")
        assert orphans.fetchone()[0] == 0

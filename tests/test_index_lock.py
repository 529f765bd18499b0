"""One writer per index (issue 11, item 3): a second `scent index` on the same folder stops at once with a
sentence, readers are never blocked, and the lock dies with its holder (`kill -9` leaves no stale lock)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import scent
from test_dense import HashEmbedder

from scent.index import Index
from scent.index.layout import STORE_FILE
from scent.index.store import Store
from scent.ingest.pipeline import build

HOLD = """
import sys, time
from pathlib import Path
from scent.index.lock import writer_lock
with writer_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(120)
"""


def _docs(root: Path) -> Path:
    root.mkdir()
    (root / "a.txt").write_text("Avocets sweep their bills through the mud.")
    (root / "b.txt").write_text("Bitterns boom in the reeds at dawn.")
    return root


@pytest.fixture
def holder(tmp_path: Path):
    """Another process holding the index's writer lock, as a long `scent index` would."""
    index = tmp_path / "idx"
    build(index, [_docs(tmp_path / "docs")])
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(index)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    yield index, proc
    proc.kill()
    proc.wait()


def test_a_second_writer_is_refused_with_a_sentence_and_readers_go_on(holder, tmp_path: Path):
    index, proc = holder
    (tmp_path / "docs" / "c.txt").write_text("Curlews call over the estuary.")
    busy = scent("index", tmp_path / "docs", "--index", index, "--no-vectors", check=False)
    assert busy.returncode == 1 and "Traceback" not in busy.stderr
    assert f"another `scent index` (pid {proc.pid}) is writing to {index}" in busy.stderr
    found = scent("search", "bitterns", "--index", index, "-r", "bm25", "--json")  # a reader is never blocked
    assert '"b.txt"' in found.stdout

    proc.kill()  # the holder dies without releasing anything: the kernel drops its lock
    proc.wait()
    again = scent("index", tmp_path / "docs", "--index", index, "--no-vectors", "--json")
    assert '"added": 1' in again.stdout


class Overlapping(HashEmbedder):
    """While embedding its first batch, lets a second vector sync of the same index run to the end: the overlap
    of two `scent index` runs, made deterministic."""

    def __init__(self, index: Path) -> None:
        super().__init__()
        self.index = index
        self.other: list[BaseException | str] = []

    def embed(self, texts):  # type: ignore[no-untyped-def]
        if not self.other:
            thread = threading.Thread(target=_record, args=(self.other, lambda: _sync(self.index, HashEmbedder())))
            thread.start()
            thread.join()
        return super().embed(texts)


def _sync(index: Path, embedder: HashEmbedder) -> str:
    from scent.index.dense import sync

    store = Store(index / STORE_FILE, readonly=True)
    try:
        sync(index, store, embedder)
    finally:
        store.close()
    return "done"


def test_overlapping_vector_syncs_cannot_corrupt_the_vectors(tmp_path: Path):
    """Before the lock, the second sync compacted the shards and deleted the one the first still listed; the
    first then wrote a manifest naming a shard that no longer existed, and every dense search crashed."""
    from scent.index.dense import DenseIndex

    index = tmp_path / "idx"
    docs = _docs(tmp_path / "docs")
    build(index, [docs])
    _sync(index, HashEmbedder())
    (docs / "c.txt").write_text("Curlews call over the estuary.")
    build(index, [docs])
    first = Overlapping(index)
    _sync(index, first)
    dense = DenseIndex.open(index)
    assert dense is not None and len(dense) == 3
    assert len(first.other) == 1 and "is writing to" in str(first.other[0])  # the second sync was refused
    [(best, _score)] = dense.search(HashEmbedder().embed(["Curlews call over the estuary."])[0], 1)
    with Index.open(index) as idx:
        passage = idx.get(best)
        assert passage is not None and passage.path == "c.txt"


def test_two_builds_in_one_process_do_not_interleave(tmp_path: Path):
    """Threads are refused like processes; the same thread may re-enter (CLI around build + sync)."""
    from scent.index.lock import IndexBusyError, writer_lock

    index = tmp_path / "idx"
    docs = _docs(tmp_path / "docs")
    errors: list[BaseException] = []
    with writer_lock(index):
        build(index, [docs])  # re-entered by the holding thread
        thread = threading.Thread(target=lambda: _record(errors, lambda: build(index, [docs])))
        thread.start()
        thread.join()
    assert len(errors) == 1 and isinstance(errors[0], IndexBusyError)
    with Index.open(index) as idx:
        assert idx.stats()["documents"] == 2


def _record(out: list, fn) -> None:  # type: ignore[no-untyped-def, type-arg]
    try:
        out.append(fn())
    except BaseException as e:
        out.append(e)

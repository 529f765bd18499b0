"""One writer per index folder: `scent index` holds `DIR/writer.lock` for the whole build and vector sync.

Without it two overlapping runs corrupted the vectors for good (each numbered new shards from its own stale
manifest and deleted the other's as "uncommitted"), and tantivy's own writer lock is released before embedding.
The lock is an advisory `flock` on the file, so the kernel releases it when its holder dies (`kill -9` included)
and no stale lock is ever left behind. Readers (`scent search`, the agent) never take it, so they never wait.

The lock is re-entrant within one thread: `scent index` takes it around `build` and `dense.sync`, which take it
again themselves when called through the Python API. Another thread of the same process is refused like another
process (flock locks belong to an open file, and each acquisition opens the file anew).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = "writer.lock"

# the locks this process holds, by (real path, thread) -> depth: a second open + flock of the same file by the
# thread that holds it would conflict with itself
_held: dict[tuple[str, int], int] = {}
_held_guard = threading.Lock()


class IndexBusyError(RuntimeError):
    """Another process is writing to the index; the message says which and what to do."""


@contextmanager
def writer_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index's writer lock, or raise IndexBusyError at once (never wait: a run that waits behind a
    long build looks hung)."""
    import fcntl

    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / LOCK_FILE
    key = (os.path.realpath(path), threading.get_ident())
    with _held_guard:
        if key in _held:
            _held[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _held_guard:
                _held[key] -= 1
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            raise IndexBusyError(
                f"another `scent index`{f' (pid {holder})' if holder else ''} is writing to {index_dir}: wait for "
                "it to finish and run again (searching the index meanwhile is fine)") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)  # for the message above; the lock itself is the flock
        with _held_guard:
            _held[key] = 1
        try:
            yield
        finally:
            with _held_guard:
                del _held[key]
    finally:
        os.close(fd)  # closing the file releases the flock


def _read_holder(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""

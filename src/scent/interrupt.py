"""Ctrl-C in long runs (`scent index`): the work stops at once, cleanup is never cut half-way, and the run always
learns that it was interrupted.

Python raises KeyboardInterrupt wherever the main thread happens to be. Raised inside a commit, a `finally` that
closes files or the release of a lock, it cut the cleanup short and escaped as a traceback or a bare exit status,
and the "interrupted" sentence was never printed. `catch_interrupts()` replaces the SIGINT handler for a block: a
Ctrl-C raises KeyboardInterrupt only inside `stoppable()` (the work itself) and is otherwise only remembered in
`received`, for the caller to report.

`checkpoint(NAME)` marks a known point of a run: with `SCENT_PAUSE_AT=NAME` in the environment the run says
`paused at NAME` on stderr and waits there for a signal, so that tests interrupt a run at a chosen point, not at
a moment they guess.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

PAUSE_ENV = "SCENT_PAUSE_AT"


class Interrupts:
    """What one `catch_interrupts()` block saw: `received` once a Ctrl-C came; `armed` while it would raise."""

    def __init__(self) -> None:
        self.received = False
        self.armed = False

    def handle(self, signum: int, frame: FrameType | None) -> None:
        self.received = True
        if self.armed:
            self.armed = False  # one KeyboardInterrupt per block: the cleanup that follows runs to its end
            raise KeyboardInterrupt

    @contextmanager
    def stoppable(self) -> Iterator[None]:
        """Within: a Ctrl-C raises KeyboardInterrupt (the work stops where it is)."""
        self.armed = not self.received
        try:
            yield
        finally:
            self.armed = False


_active: list[Interrupts] = []


@contextmanager
def catch_interrupts() -> Iterator[Interrupts]:
    """Own SIGINT for the block (main thread only: elsewhere signals never arrive and nothing changes); the
    previous handler is back afterwards."""
    state = Interrupts()
    if threading.current_thread() is not threading.main_thread():
        state.armed = True  # never set by a signal here; stoppable() behaves as the default handler would
        yield state
        return
    previous = signal.signal(signal.SIGINT, state.handle)
    _active.append(state)
    try:
        yield state
    finally:
        _active.remove(state)
        signal.signal(signal.SIGINT, previous)


_paused: set[str] = set()


def checkpoint(name: str) -> None:
    """A named point of a long run; pauses there (once) when SCENT_PAUSE_AT names it, until a signal comes."""
    if os.environ.get(PAUSE_ENV) != name or name in _paused:
        return
    _paused.add(name)
    sys.stderr.write(f"paused at {name}\n")
    sys.stderr.flush()
    state = _active[-1] if _active else None
    while state is None or not state.received:  # an armed or default handler raises out of the sleep
        time.sleep(0.01)

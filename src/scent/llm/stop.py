"""Stopping a model call from outside it: a server's cancel reaches the generation in progress.

A run works in one thread; `stop_when(check)` around it makes every model call made in that thread poll `check`
(llama.cpp: at each generated token and inside the prompt's evaluation; an OpenAI-compatible server: while the
reply streams in, and the connection is closed), and raise `Stopped` once it is true. Without `stop_when`
nothing changes: a call runs to its end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_local = threading.local()


class Stopped(Exception):
    """A model call stopped because its run was cancelled (not an LLMError: nothing retries or swallows it)."""


@contextmanager
def stop_when(check: Callable[[], bool]) -> Iterator[None]:
    """Within (in this thread): model calls stop, raising `Stopped`, once `check()` is true."""
    previous = getattr(_local, "check", None)
    _local.check = check
    try:
        yield
    finally:
        _local.check = previous


def stop_check() -> Callable[[], bool] | None:
    """This thread's stop check (None outside `stop_when`); a backend that works in another thread takes it
    along."""
    return getattr(_local, "check", None)


def raise_if_stopped(check: Callable[[], bool] | None = None) -> None:
    check = check or stop_check()
    if check is not None and check():
        raise Stopped("the run was cancelled")

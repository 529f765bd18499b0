"""A Ray cluster for one run, and the one fan-out every `--ray` path uses: `ordered_map`.

    with ray_session(address, cfg.ray):
        for result in ordered_map(task, [(arg1, arg2), ...], cfg.ray):   # input order, retried on worker death
            ...

`task` must be a module-level function (Ray ships it by reference: scent must be installed on the workers).
Worker processes live for the session, so a task may keep what is expensive to load (a model, an open index) in
`worker_cache`, keyed by what it was loaded from.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from scent.app import AppError
from scent.config import RayConfig

T = TypeVar("T")
_cache: dict[Any, Any] = {}


class RayError(AppError):
    """Ray is not installed, or the cluster cannot be reached; the message says what to do (an `AppError`: the CLI
    prints it and exits 2)."""


def job_key(*parts: Any) -> str:
    """A stable key for what a worker loads from a job's settings (pydantic models dumped as JSON)."""
    import hashlib
    import json

    plain = [p.model_dump(mode="json") if hasattr(p, "model_dump") else p for p in parts]
    return hashlib.sha256(json.dumps(plain, sort_keys=True, default=str).encode()).hexdigest()


def worker_cache(key: Any, make: Callable[[], T]) -> T:
    """`make()` once per worker process for `key` (a model, an open index), then the same object."""
    if key not in _cache:
        _cache[key] = make()
    return _cache[key]  # type: ignore[no-any-return]


@contextmanager
def ray_session(address: str | None = None, config: RayConfig | None = None) -> Iterator[None]:
    """Connect to the Ray cluster at `address` (ray://HOST:10001 or HOST:6379 or auto), or start a local one with
    `config.num_cpus` workers; shut down at the end what this call started or joined."""
    config = config or RayConfig()
    try:
        import ray
    except ImportError:
        raise RayError("--ray needs Ray: pip install 'scent[scale]'") from None
    if ray.is_initialized():  # an enclosing session (or a test's cluster): use it, leave it running
        yield
        return
    import logging

    options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.WARNING,
                               "configure_logging": True}
    for attempt in range(2):
        try:
            if address:
                ray.init(address=address, **options)
            else:  # workers start from this environment (the same interpreter and installed scent)
                ray.init(num_cpus=config.num_cpus or os.cpu_count() or 1,
                         object_store_memory=config.object_store_mb * 1024 * 1024, **options)
            break
        except Exception as e:
            # a local node given 30 s to start (fixed in Ray) on a loaded 2-core machine: one more try
            if attempt == 0 and not address and "timed out during startup" in str(e):
                ray.shutdown()
                continue
            if isinstance(e, ConnectionError | RuntimeError | ValueError) or "timed out" in str(e):
                raise RayError(f"cannot start or join the Ray cluster{f' at {address}' if address else ''}: "
                               f"{e}") from None
            raise
    try:
        yield
    finally:
        ray.shutdown()


def ordered_map(task: Callable[..., T], calls: Sequence[tuple[Any, ...]], config: RayConfig | None = None,
                num_cpus: float = 1) -> Iterator[T]:
    """`task(*call)` for every call, run on the session's workers, yielded in the order of `calls` (each as soon
    as it and all before it are done). A task whose worker process dies is run again up to
    `config.max_retries` times; an exception raised by the task itself is not retried (it would raise again)."""
    import ray

    config = config or RayConfig()
    remote = ray.remote(task).options(max_retries=config.max_retries, retry_exceptions=False, num_cpus=num_cpus)
    refs = [remote.remote(*call) for call in calls]
    try:
        for ref in refs:
            try:
                yield ray.get(ref)
            except ray.exceptions.RayTaskError as e:  # the task's own exception, as raised in the worker
                raise e.as_instanceof_cause() from None  # type: ignore[no-untyped-call]
    finally:
        for ref in refs:  # a caller that stops early (an error, a Ctrl-C) leaves no task running
            ray.cancel(ref, force=True) if not _done(ref) else None


def _done(ref: Any) -> bool:
    import ray

    ready, _ = ray.wait([ref], timeout=0)
    return bool(ready)

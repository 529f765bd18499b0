"""Run traces: one append-only JSON Lines file per run, one event per line, flushed as it happens.

Every event has `seq` (0, 1, 2, …), `t` (seconds since the run started), `type`, and its own fields: the event
types and their fields are `scent.events` (`EventType` names them all; docs/server.md tabulates them). A run
killed mid-write leaves at most one partial last line; `read_trace` drops it, so a trace is always readable.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scent.events import EventType
from scent.llm.base import Completion, Message, Request
from scent.llm.wrap import HookedLLM
from scent.protocols import LLM


class TraceWriter:
    """Appends events to a trace file. Thread-safe: one lock around each write, so events emitted from more than
    one thread never interleave and `seq` counts up."""

    def __init__(self, path: str | Path, fsync: bool = False,
                 listeners: list[Callable[[dict[str, Any]], None]] | None = None) -> None:
        self.path = Path(path)
        self.listeners = listeners or []
        self.path.parent.mkdir(parents=True, exist_ok=True)
        previous = []
        if self.path.exists():
            previous = read_trace(self.path)
            cut_partial_line(self.path)
        self.seq = previous[-1]["seq"] + 1 if previous else 0
        self._offset = previous[-1]["t"] if previous else 0.0
        self._started = time.monotonic()
        self._file = self.path.open("a", encoding="utf-8")
        self._fsync = fsync
        self._lock = threading.Lock()

    def emit(self, type: EventType, **fields: Any) -> dict[str, Any]:
        """Write one event (`type`'s fields: `scent.events`), then hand it to the listeners. Not validated here:
        emitting stays a dict and a write; the tests validate the events of scripted runs."""
        with self._lock:
            event = {"seq": self.seq, "t": round(self._offset + time.monotonic() - self._started, 4), "type": type,
                     **fields}
            self._file.write(json.dumps(event, ensure_ascii=False, default=_jsonable) + "\n")
            self._file.flush()
            if self._fsync:
                os.fsync(self._file.fileno())
            self.seq += 1
        for listener in self.listeners:
            listener(event)
        return event

    def close(self) -> None:
        self._file.close()


def cut_partial_line(path: Path) -> None:
    """Cut a partial last line (a killed writer) from an append-only JSONL file, so that appended lines start on
    a line of their own: traces and eval results alike."""
    if not path.exists():
        return
    with path.open("rb+") as f:
        data = f.read()
        if data and not data.endswith(b"\n"):
            f.truncate(data.rfind(b"\n") + 1)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump()
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return str(value)


def read_trace(path: str | Path) -> list[dict[str, Any]]:
    """All complete events of a trace; a partial final line (from a killed run) is dropped."""
    events = []
    with Path(path).open(encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.endswith("\n"):
                break
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                break
    return events


class NotATraceError(ValueError):
    """A file that is not (or not enough of) a scent trace; the message says which and why."""


RUN_START_FIELDS = {"question": str, "index": str, "mode": str, "models": dict}


def read_run(path: str | Path, complete: bool = True) -> tuple[dict[str, Any], dict[str, Any] | None,
                                                                list[dict[str, Any]]]:
    """(last run_start, last run_end or None, events) of a trace, or NotATraceError. `complete`: the run_start
    must hold what `scent resume` needs (question, index, mode, models)."""
    try:
        events = read_trace(path)
    except OSError as e:
        raise NotATraceError(f"cannot read {path}: {e.strerror or e}") from None
    except json.JSONDecodeError as e:
        raise NotATraceError(f"{path} is not a scent trace: {e}") from None
    cut = next((i for i, e in enumerate(events) if not isinstance(e, dict) or not isinstance(e.get("type"), str)),
               len(events))
    events = events[:cut]
    if not events or events[0]["type"] != "run_start":
        raise NotATraceError(f"{path} is not a scent trace (it does not start with a run_start event)")
    start = [e for e in events if e["type"] == "run_start"][-1]
    if complete:
        for field, kind in RUN_START_FIELDS.items():
            if not isinstance(start.get(field), kind):
                raise NotATraceError(f"{path} is not a complete scent trace: its run_start has no {field!r}")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in start["models"].items()):
            raise NotATraceError(f"{path} is not a complete scent trace: its run_start models are not role: spec")
    ends = [e for e in events if e["type"] == "run_end"]
    return start, ends[-1] if ends else None, events


def new_trace_path(folder: Path, mode: str) -> Path:
    """A new, unique trace file in `folder`, created here (exclusively): the start time to the microsecond, and
    a counter if another run took that name. One-second names let two runs write one file."""
    from datetime import datetime

    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    for n in range(1000):
        path = folder / f"{stamp}-{mode}{f'-{n}' if n else ''}.jsonl"
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free trace name in {folder} for {stamp}")


def prompt_hash(messages: list[Message], schema: dict[str, Any] | None = None) -> str:
    return hashlib.sha256(json.dumps([messages, schema], sort_keys=True).encode()).hexdigest()[:16]


class Tracing:
    """A hook that makes every raw call (repairs included) an `llm_call` event: role, model, the prompt actually
    sent, the reply, tokens and milliseconds."""

    def __init__(self, trace: TraceWriter, role: str, spec: str) -> None:
        self.trace, self.role, self.spec = trace, role, spec

    def before(self, request: Request) -> Completion | None:
        return None

    def after(self, request: Request, reply: Completion | None, error: BaseException | None) -> None:
        messages, schema = request.messages, request.schema
        if reply is None:
            if isinstance(error, Exception):
                self.trace.emit("llm_call", role=self.role, model=self.spec, prompt_hash=prompt_hash(messages, schema),
                                messages=messages, error=f"{type(error).__name__}: {error}")
            return
        self.trace.emit("llm_call", role=self.role, model=reply.model, spec=self.spec,
                        prompt_hash=prompt_hash(messages, schema), messages=messages, schema=schema,
                        reply=reply.text, reasoning=reply.reasoning or None,
                        tool_calls=[c.model_dump() for c in reply.tool_calls] or None,
                        prompt_tokens=reply.usage.prompt_tokens, completion_tokens=reply.usage.completion_tokens,
                        ms=round(reply.latency_ms, 1), replayed=reply.replayed or None)


class TracedLLM(HookedLLM):
    """`inner` with a `Tracing` hook."""

    def __init__(self, inner: LLM, trace: TraceWriter, role: str) -> None:
        super().__init__(inner, Tracing(trace, role, inner.spec))

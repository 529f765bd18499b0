"""Agent runs for the servers: each in a worker thread, its trace events streamed as they are written.

The embedded model generates one answer at a time, so runs take turns (`Gate`: `concurrency`, default 1, shared
by every served index); up to `queue_limit` more wait, and one past that is refused with `Busy` (HTTP 429 +
Retry-After). A run is cancelled
by setting its `cancel` flag: a model call in progress stops within a token (`scent.llm.stop`), the trace
listener raises `RunCancelled` at the run's next event, and the worker writes a `run_end` with status
"cancelled": the trace stays a complete, readable file.

Past runs are the index's `traces/*.jsonl` files, named by id (the file's stem): an id is matched against the
folder's listing, never joined to a path unchecked.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scent.trace import NotATraceError, TraceWriter, new_trace_path, read_run

RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}$")
MODES = ("answer", "report")


class Busy(RuntimeError):
    """Every run slot and queue place is taken; retry after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RunCancelled(Exception):
    """Raised inside a run (from its trace listener) once the client cancelled it."""


@dataclass
class Run:
    id: str
    question: str
    mode: str
    trace: Path
    events: list[dict[str, Any]] = field(default_factory=list)
    cancel: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    answer: dict[str, Any] | None = None
    error: str | None = None
    _subscribers: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[dict[str, Any] | None]]] = field(
        default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, event: dict[str, Any] | None) -> None:
        event = public_event(event) if event is not None else None
        with self._lock:
            if event is not None:
                self.events.append(event)
            subscribers = list(self._subscribers)
        for loop, queue in subscribers:
            with contextlib.suppress(RuntimeError):  # that subscriber's loop is closed
                loop.call_soon_threadsafe(queue.put_nowait, event)

    def subscribe(self) -> asyncio.Queue[dict[str, Any] | None]:
        """A queue that receives every event of the run from the start, then None when it ends."""
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        with self._lock:
            for event in self.events:
                queue.put_nowait(event)
            if self.done.is_set():
                queue.put_nowait(None)
            else:
                self._subscribers.append((asyncio.get_running_loop(), queue))
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        with self._lock:
            self._subscribers = [(lp, q) for lp, q in self._subscribers if q is not queue]

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "question": self.question, "mode": self.mode, "done": self.done.is_set(),
                "cancelled": self.cancel.is_set(), "error": self.error}


AgentFactory = Callable[[], Any]  # () -> an Agent (scent.app.make_agent); a report run wraps it in a Researcher


class Gate:
    """The model's run slots, shared by the run managers of every served index (one model, one generation at a
    time): `concurrency` runs at once, `queue_limit` more waiting, and one past that is refused with `Busy`."""

    def __init__(self, concurrency: int = 1, queue_limit: int = 4, seconds_per_run: int = 60) -> None:
        self.slots = threading.Semaphore(concurrency)
        self.concurrency = concurrency
        self.queue_limit = queue_limit
        self.seconds_per_run = seconds_per_run
        self._lock = threading.Lock()
        self._admitted = 0

    def admit(self) -> None:
        with self._lock:
            if self._admitted >= self.concurrency + self.queue_limit:
                raise Busy(f"{self._admitted} runs are running or queued (the limit is {self.concurrency} running "
                           f"+ {self.queue_limit} queued)", self.seconds_per_run)
            self._admitted += 1

    def leave(self) -> None:
        with self._lock:
            self._admitted -= 1


class RunManager:
    """Starts, streams, cancels and lists agent runs over one index; runs take turns through `gate` (its own
    unless one is shared with the managers of other indexes)."""

    def __init__(self, agent_factory: AgentFactory, traces: Path, concurrency: int = 1, queue_limit: int = 4,
                 seconds_per_run: int = 60, gate: Gate | None = None) -> None:
        self.agent_factory = agent_factory
        self.traces = traces
        self.gate = gate or Gate(concurrency, queue_limit, seconds_per_run)
        self._lock = threading.Lock()
        self._live: dict[str, Run] = {}

    def active(self) -> int:
        with self._lock:
            return sum(not r.done.is_set() for r in self._live.values())

    def start(self, question: str, mode: str = "answer") -> Run:
        if not question.strip():
            raise ValueError("the question is empty")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        self.gate.admit()
        try:
            trace = new_trace_path(self.traces, mode)
        except OSError:
            self.gate.leave()
            raise
        run = Run(trace.stem, question, mode, trace)
        with self._lock:
            self._live[run.id] = run
        threading.Thread(target=self._work, args=(run,), name=f"scent-run-{run.id}", daemon=True).start()
        return run

    def _work(self, run: Run) -> None:
        raised = threading.Event()

        def listen(event: dict[str, Any]) -> None:
            run.publish(event)
            if run.cancel.is_set() and not raised.is_set():
                raised.set()
                raise RunCancelled

        from scent.llm.stop import Stopped, stop_when

        writer = TraceWriter(run.trace, listeners=[listen])
        try:
            with self.gate.slots, stop_when(run.cancel.is_set):  # a model call in progress stops too
                if run.cancel.is_set():
                    raise RunCancelled
                run.answer = runner(self.agent_factory(), run.mode).run(run.question, writer).model_dump(mode="json")
        except (RunCancelled, Stopped):
            raised.set()
            writer.emit("run_end", status="cancelled", abstained=True, confidence=0.0, answer=None)
        except Exception as e:  # a failed run still ends its trace and its stream
            run.error = f"{type(e).__name__}: {e}"
            raised.set()
            writer.emit("run_end", status="failed", error=run.error, abstained=True, confidence=0.0, answer=None)
        finally:
            writer.close()
            self.gate.leave()
            run.done.set()
            run.publish(None)
            with self._lock:  # keep the last few finished runs for late subscribers; the trace has the rest
                finished = [r.id for r in self._live.values() if r.done.is_set()]
                for old in finished[:-20]:
                    del self._live[old]

    def get_live(self, run_id: str) -> Run | None:
        with self._lock:
            return self._live.get(run_id)

    def cancel(self, run_id: str) -> bool:
        run = self.get_live(run_id)
        if run is None or run.done.is_set():
            return False
        run.cancel.set()
        return True

    # -- past runs -------------------------------------------------------------------------------------------
    def trace_path(self, run_id: str) -> Path | None:
        if not RUN_ID.match(run_id):
            return None
        path = self.traces / f"{run_id}.jsonl"
        listed = {p.name for p in self.traces.glob("*.jsonl")} if self.traces.is_dir() else set()
        return path if path.name in listed and path.resolve().parent == self.traces.resolve() else None

    def history(self, limit: int = 50) -> list[dict[str, Any]]:
        """Past runs, newest first: id, question, mode, status, answer, abstained, confidence."""
        if not self.traces.is_dir():
            return []
        out = []
        for path in sorted(self.traces.glob("*.jsonl"), reverse=True)[:limit]:
            try:
                start, end, _ = read_run(path, complete=False)
            except NotATraceError:
                continue
            answer = (end or {}).get("answer") or {}
            live = self.get_live(path.stem)
            out.append({"id": path.stem, "question": start.get("question", ""), "mode": start.get("mode", ""),
                        "status": (end or {}).get("status") or ("running" if live and not live.done.is_set()
                                                                else "unfinished"),
                        "answer": answer.get("answer"), "abstained": (end or {}).get("abstained"),
                        "confidence": (end or {}).get("confidence")})
        return out

    def events(self, run_id: str) -> list[dict[str, Any]] | None:
        path = self.trace_path(run_id)
        if path is None:
            return None
        try:
            return [public_event(e) for e in read_run(path, complete=False)[2]]
        except NotATraceError:
            return None


def _no_path(value: Any) -> Any:
    """A model spec or file name without the server's folders: `llamacpp:/models/x.gguf` -> `llamacpp:x.gguf`
    (an endpoint URL is kept: it names no file of this disk)."""
    if not isinstance(value, str) or "://" in value:
        return value
    return re.sub(r"(?:[/\\][^/\\\s#]+)+", lambda m: Path(m.group(0)).name, value)


def public_event(event: dict[str, Any]) -> dict[str, Any]:
    """A trace event as clients see it, naming no path of the server's disk: `run_start`'s index, calibrator and
    models, `llm_call`'s model (an older trace may hold the index folder; a model spec may name a file): the last
    part of each path is kept."""
    if event.get("type") not in ("run_start", "llm_call"):
        return event
    out = dict(event)
    for key in ("index", "calibration", "model", "spec"):
        if out.get(key):
            out[key] = _no_path(out[key])
    if isinstance(out.get("models"), dict):
        out["models"] = {role: _no_path(spec) for role, spec in out["models"].items()}
    return out


def runner(agent: Any, mode: str) -> Any:
    """What runs a question in `mode`: the agent itself (answer), or a `Researcher` built from it (report)."""
    if mode == "report":
        from scent.research.run import Researcher

        return Researcher(agent)
    return agent

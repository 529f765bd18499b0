"""A real `scent serve` app on a free loopback port, in a thread of the test process, over the small agent index."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from agent_fixtures import make_index, scripts

from scent.agent import Agent
from scent.config import ScentConfig
from scent.index import Index
from scent.ingest.pipeline import build as build_index
from scent.serve.corpus import Corpus
from scent.serve.http import create_app
from scent.serve.indexing import Indexer, folder_builder
from scent.serve.library import Library
from scent.serve.mcp_server import build
from scent.serve.runs import Gate, RunManager
from scent.serve.server import allowed_hosts

TOKEN = "test-token-0123456789abcdef"
QUESTION = "What is the default widget limit?"
WRITER = ["42 widgets", "Answer: 42 widgets.", "42"]  # one run's three writer views


@dataclass
class Server:
    url: str
    token: str
    corpus: Corpus
    runs: RunManager
    index_dir: Path
    library: Library

    def client(self, token: str | None = TOKEN, **kw: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **kw)


class SlowAgent:
    """An agent that searches forever, one trace event every 20 ms, until its run is cancelled (or 20 s pass)."""

    def run(self, question: str, trace: Any, mode: str = "answer") -> Any:
        trace.emit("run_start", question=question, mode=mode, models={}, index="slow")
        for n in range(1000):
            trace.emit("tool_call", tool="search", args={"query": f"{question} {n}"})
            time.sleep(0.02)
        raise RuntimeError("the slow agent was never cancelled")


def scripted_factory(tmp: Path, index: Any, runs: int = 10) -> Callable[[], Agent]:
    llms = scripts(tmp, {"writer": WRITER * runs})
    return lambda: Agent(index, dict(llms))


def second_index(tmp: Path, docs: dict[str, str | bytes]) -> Index:
    """Another small index (only `docs`: text, or the bytes of a file such as a PDF) at tmp/second/idx."""
    root = tmp / "second" / "docs"
    root.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        if isinstance(text, bytes):
            (root / name).write_bytes(text)
        else:
            (root / name).write_text(text)
    build_index(tmp / "second" / "idx", [root])
    return Index.open(tmp / "second" / "idx")


@contextmanager
def running_server(tmp: Path, extra_docs: dict[str, str] | None = None, slow: bool = False,
                   queue_limit: int = 4, second: dict[str, str | bytes] | None = None,
                   evals: dict[str, Path] | None = None, runs_per_index: int = 10,
                   index_roots: list[Path] | None = None) -> Iterator[Server]:
    """The first index is "idx" (the agent fixtures' documents + `extra_docs`); with `second`, a second index
    named "other" holding only those documents; both share one run gate, as `scent serve` does."""
    index = make_index(tmp, extra_docs)
    indexes = {"idx": (index, tmp / "idx")}
    if second is not None:
        indexes["other"] = (second_index(tmp, second), tmp / "second" / "idx")
    gate = Gate(queue_limit=queue_limit, seconds_per_run=7)
    library = Library({name: Corpus(i, name) for name, (i, _) in indexes.items()}, evals=dict(evals or {}))
    for name, (i, folder) in indexes.items():
        factory: Callable[[], Any] = SlowAgent if slow else scripted_factory(folder.parent, i, runs_per_index)
        library.runs[name] = RunManager(factory, folder / "traces", gate=gate)
    if index_roots:  # indexing from the page, as `scent serve --allow-index-root` sets it up
        locations = {name: str(folder) for name, (_, folder) in indexes.items()}
        opened: list[Index] = []

        def reopen(name: str) -> None:  # as scent serve does after a job (open_served)
            opened.append(Index.open(locations[name]))
            library.corpora[name].index = opened[-1]

        library.indexer = Indexer(index_roots, locations, folder_builder(ScentConfig()), reopen)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(library, TOKEN, allowed_hosts("127.0.0.1", port), build(library))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.02)
    try:
        yield Server(url, TOKEN, library.corpora["idx"], library.runs["idx"], tmp / "idx", library)
    finally:
        server.should_exit = True
        thread.join(10)
        for i, _ in indexes.values():
            i.close()


def sse_events(response: httpx.Response) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event type, data) of a server-sent event stream, as they arrive."""
    kind, data = "message", ""
    for line in response.iter_lines():
        if line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()
        elif not line and data:
            yield kind, json.loads(data)
            kind, data = "message", ""

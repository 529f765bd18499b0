"""Load test of `scent serve` on loopback: CLIENTS concurrent clients for SECONDS, mixing searches, passage reads
and a few asks answered by the scripted model. Every ask's event stream is checked (the `run` event first, then
the trace events with seq 0, 1, 2, … without a gap, `run_start` naming this client's own question, `run_end`
last, and the same events at GET /api/runs/{id}); the server's RSS is sampled every second.

    flock /tmp/scent-cpu.lock .venv/bin/python bench/serve_load.py [--clients 50] [--seconds 120]
        [--ask-share 0.02] [--docs 400] [--out bench/out/serve_load.json]

Builds a BM25 index of DOCS generated documents in a temporary folder, starts the real `scent serve` command
(subprocess, `--model scripted:FILE`), prints a summary as markdown and writes every figure to --out.
Errors are anything but 200, and 429 (+ Retry-After) on an ask, which the server documents when its run queue
is full; a client that gets 429 waits one second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import httpx

TOKEN = "load-test-token-0123456789abcdef"
WORDS = ["otter", "heron", "widget", "gadget", "sprocket", "limit", "default", "value", "setting", "server", "client",
         "query", "index", "table", "row", "column", "replica", "backup", "restore", "vacuum", "lock", "timeout",
         "buffer", "cache", "memory", "disk", "page", "log", "archive"]


def make_corpus(root: Path, docs: int) -> None:
    rng = random.Random(13)
    root.mkdir(parents=True)
    for n in range(docs):
        sections = [f"## Section {s}\n\n" + " ".join(rng.choice(WORDS) for _ in range(80)) + "." for s in range(4)]
        (root / f"doc{n:04}.md").write_text(f"# Document {n}\n\nThe default limit of item {n} is {n % 97} units.\n\n"
                                            + "\n\n".join(sections))


def start_server(tmp: Path, index: Path, replies: int) -> tuple[subprocess.Popen[str], str]:
    script = tmp / "script.jsonl"
    script.write_text("".join(json.dumps({"response": {"text": text}}) + "\n"
                              for text in ["12 units", "Answer: 12 units.", "12"] * replies))
    env = {**os.environ, "SCENT_TOKEN": TOKEN, "XDG_CONFIG_HOME": str(tmp)}
    proc = subprocess.Popen([sys.executable, "-m", "scent", "serve", "--index", f"load={index}", "--port", "0",
                             "--no-mcp", "--model", f"scripted:{script}"], stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    found = re.search(r"on (http://127\.0\.0\.1:\d+)/", line)
    if not found:
        proc.kill()
        raise SystemExit(f"the server did not start: {line}{proc.stderr.read()}")
    return proc, found.group(1)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Tally:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: Counter[str] = Counter()
        self.errors: list[str] = []
        self.passages: list[str] = []
        self.streams = 0

    def error(self, what: str) -> None:
        if len(self.errors) < 50:
            self.errors.append(what)
        self.status["error"] += 1


def parse_sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        kind, data = "message", ""
        for line in block.split("\n"):
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                data += line[5:].strip()
        if data:
            out.append((kind, json.loads(data)))
    return out


async def ask(c: httpx.AsyncClient, question: str, t: Tally) -> None:
    started = time.perf_counter()
    async with c.stream("POST", "/api/ask", json={"question": question}) as response:
        if response.status_code == 429:
            t.status["ask 429"] += 1
            await response.aread()
            if "retry-after" not in response.headers:
                t.error("a 429 without Retry-After")
            await asyncio.sleep(1)
            return
        if response.status_code != 200:
            t.error(f"ask {response.status_code}")
            return
        events = parse_sse((await response.aread()).decode())
    t.latency["ask (to run_end)"].append(time.perf_counter() - started)
    t.status["ask 200"] += 1
    problems = check_stream(events, question)
    if not problems:
        run_id = events[0][1]["id"]
        past = (await c.get(f"/api/runs/{run_id}")).json()
        if [e["seq"] for e in past["events"]] != [d["seq"] for _, d in events[1:]]:
            problems.append(f"run {run_id}: the trace differs from the stream")
    t.streams += 1
    for p in problems:
        t.error(p)


def check_stream(events: list[tuple[str, dict[str, Any]]], question: str) -> list[str]:
    if not events or events[0][0] != "run" or events[0][1].get("question") != question:
        return [f"stream does not start with its own run event: {events[:1]}"]
    rest = [d for _, d in events[1:]]
    problems = []
    if [d.get("seq") for d in rest] != list(range(len(rest))):
        problems.append(f"run {events[0][1]['id']}: seq not 0..n")
    if not rest or rest[0].get("type") != "run_start" or rest[0].get("question") != question:
        problems.append(f"run {events[0][1]['id']}: run_start of another question")
    if not rest or rest[-1].get("type") != "run_end" or rest[-1].get("status") == "failed":
        problems.append(f"run {events[0][1]['id']}: ends with {rest[-1] if rest else None}")
    return problems


async def client(n: int, url: str, deadline: float, ask_share: float, t: Tally) -> None:
    rng = random.Random(n)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as c:
        count = 0
        while time.perf_counter() < deadline:
            count += 1
            roll = rng.random()
            params: dict[str, str | int]
            try:
                if roll < ask_share:
                    await ask(c, f"What is the default limit of item {n}-{count}?", t)
                    continue
                if roll < ask_share + 0.35 and t.passages:
                    op, params = "passage", {"id": rng.choice(t.passages), "window": 1}
                    path = "/api/passage"
                else:
                    op, path = "search", "/api/search"
                    params = {"q": " ".join(rng.sample(WORDS, 2)), "k": 10}
                started = time.perf_counter()
                response = await c.get(path, params=params)
                t.latency[op].append(time.perf_counter() - started)
                t.status[f"{op} {response.status_code}"] += 1
                if response.status_code != 200:
                    t.error(f"{op} {response.status_code}: {response.text[:200]}")
                elif op == "search" and len(t.passages) < 2000:
                    t.passages.extend(h["id"] for h in response.json()[:3])
            except (httpx.HTTPError, ValueError, KeyError) as e:
                t.error(f"{type(e).__name__}: {e}")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


async def run(url: str, pid: int, args: argparse.Namespace) -> dict[str, Any]:
    t = Tally()
    rss: list[tuple[float, float]] = []
    started = time.perf_counter()
    deadline = started + args.seconds

    async def sample() -> None:
        while time.perf_counter() < deadline:
            rss.append((round(time.perf_counter() - started, 1), round(rss_mb(pid), 1)))
            await asyncio.sleep(1)

    await asyncio.gather(sample(), *(client(n, url, deadline, args.ask_share, t) for n in range(args.clients)))
    elapsed = time.perf_counter() - started
    done = sum(len(v) for v in t.latency.values())
    warm = [m for s, m in rss if s >= 15] or [m for _, m in rss]
    return {"clients": args.clients, "seconds": round(elapsed, 1), "requests": done,
            "throughput_rps": round(done / elapsed, 1), "status": dict(t.status), "errors": t.status["error"],
            "error_samples": t.errors, "streams_checked": t.streams,
            "latency_ms": {op: {"n": len(v), "p50": round(pct(v, 0.5), 1), "p99": round(pct(v, 0.99), 1),
                                "mean": round(statistics.mean(v) * 1000, 1)} for op, v in sorted(t.latency.items())},
            "rss_mb": {"start": rss[0][1] if rss else None, "after_15s": warm[0], "end": warm[-1],
                       "max": max(warm), "min": min(warm)}, "rss_samples": rss}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--ask-share", type=float, default=0.02)
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--out", type=Path, default=Path("bench/out/serve_load.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        make_corpus(tmp / "docs", args.docs)
        subprocess.run([sys.executable, "-m", "scent", "index", str(tmp / "docs"), "--index", str(tmp / "idx"), "-q",
                        "--no-vectors"], check=True)
        proc, url = start_server(tmp, tmp / "idx", replies=20_000)
        try:
            result = asyncio.run(run(url, proc.pid, args))
        finally:
            proc.terminate()
            proc.wait(30)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(f"{result['clients']} clients, {result['seconds']} s: {result['requests']} requests, "
          f"{result['throughput_rps']} req/s, errors {result['errors']}, statuses {result['status']}, "
          f"{result['streams_checked']} ask streams checked")
    print("| operation | n | p50 ms | p99 ms | mean ms |\n|---|---|---|---|---|")
    for op, s in result["latency_ms"].items():
        print(f"| {op} | {s['n']} | {s['p50']} | {s['p99']} | {s['mean']} |")
    print(f"server RSS MB: {result['rss_mb']}")
    for sample in result["error_samples"][:10]:
        print("error:", sample)


if __name__ == "__main__":
    main()

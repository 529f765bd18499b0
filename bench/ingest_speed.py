"""Ingest speed, old code and new side by side in one run: `scent index` on generated Markdown files.

    .venv/bin/python bench/ingest_speed.py [--files 20000] [--old 51f4233] [--workdir /tmp/ingest-speed]
        [--rounds 1] [--json OUT]

Issue 23's check: on 20,000 Markdown files of ~2 KB, a first `scent index --no-vectors` run of the new code stays
within 10% of the code before issue 23 (`--old`: default 51f4233, the parent of the first issue-23 commit), and a
no-change re-run takes at most 3 s. The old code runs from a `git worktree` of that commit (made once under
`--workdir`, never touching this checkout) with `PYTHONPATH=WORKTREE/src` and this venv's interpreter; the new code
is this checkout's `src`. Each round runs old first run, new first run, old re-run, new re-run, each on its own
fresh index, so load from other processes (the machine is shared) hits both alike; the fastest round counts.

Files (deterministic, made once under `--workdir`): `# Doc i`, then three `## Part j` sections of two paragraphs,
each paragraph 50 words drawn from a 16-word vocabulary (~2.1 KB a file; the same generator as BENCHMARKS.md's
3,000-file run). Progress on stderr, a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VOCABULARY = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo",
              "lima", "mike", "november", "oscar", "papa")


def make_files(folder: Path, n: int) -> None:
    """`n` Markdown files of ~2 KB; kept between runs (a marker file names the count)."""
    marker = folder / ".count"
    if marker.exists() and marker.read_text() == str(n):
        return
    shutil.rmtree(folder, ignore_errors=True)
    rng = random.Random(23)
    for i in range(n):
        sub = folder / f"d{i // 1000:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        parts = [f"# Doc {i}\n"]
        for j in range(3):
            parts.append(f"## Part {j}\n")
            parts += [" ".join(rng.choice(VOCABULARY) for _ in range(50)) + ".\n" for _ in range(2)]
        (sub / f"doc{i:05d}.md").write_text("\n".join(parts))
    marker.write_text(str(n))


def old_checkout(workdir: Path, commit: str) -> Path:
    """A git worktree of `commit` under `workdir` (made once; this checkout is not touched)."""
    tree = workdir / f"old-{commit}"
    if not (tree / "src" / "scent").exists():
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), commit], check=True,
                       capture_output=True)
    return tree


def timed_index(src: Path, docs: Path, index: Path) -> tuple[float, dict[str, object]]:
    """Seconds of one `scent index DOCS --index INDEX --no-vectors --json` run of the code under `src` (wall
    clock of the whole process: interpreter start, imports, walk, read, BM25, store), and its summary."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "scent", "index", str(docs), "--index", str(index),
                           "--no-vectors", "--json"], env=env, capture_output=True, text=True, check=True)
    seconds = time.monotonic() - start
    return seconds, json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--old", default="51f4233", help="the commit before issue 23")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ingest-speed"))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the timings here")
    args = parser.parse_args()

    args.workdir.mkdir(parents=True, exist_ok=True)
    docs = args.workdir / f"docs-{args.files}"
    print(f"making {args.files} files in {docs}", file=sys.stderr)
    make_files(docs, args.files)
    codes = {"old": old_checkout(args.workdir, args.old) / "src", "new": REPO / "src"}
    times: dict[str, list[float]] = {f"{code} {run}": [] for run in ("first", "re-run") for code in codes}
    passages: dict[str, object] = {}
    for r in range(args.rounds):
        indexes = {code: args.workdir / f"index-{code}" for code in codes}
        for index in indexes.values():
            shutil.rmtree(index, ignore_errors=True)
        for run in ("first", "re-run"):
            for code, src in codes.items():
                seconds, summary = timed_index(src, docs, indexes[code])
                times[f"{code} {run}"].append(seconds)
                passages[code] = summary.get("passages_total")
                print(f"round {r + 1} {code} {run}: {seconds:.2f} s ({summary.get('added')} added, "
                      f"{summary.get('unchanged')} unchanged, {summary.get('passages_total')} passages)",
                      file=sys.stderr)
    best = {k: min(v) for k, v in times.items()}
    ratio = best["new first"] / best["old first"]
    print(f"| {args.files:,} Markdown files | old ({args.old}) | new | new / old |\n|---|---|---|---|")
    for run in ("first", "re-run"):
        label = "first run" if run == "first" else "no-change re-run"
        print(f"| {label} | {', '.join(f'{t:.1f} s' for t in times[f'old {run}'])} | "
              f"{', '.join(f'{t:.1f} s' for t in times[f'new {run}'])} | "
              f"{best[f'new {run}'] / best[f'old {run}']:.2f} |")
    print(f"\npassages: old {passages.get('old')}, new {passages.get('new')}; first run within 10%: "
          f"{ratio <= 1.10}; no-change re-run <= 3 s: {best['new re-run'] <= 3.0}")
    if args.json:
        args.json.write_text(json.dumps({"files": args.files, "old": args.old, "times": times,
                                         "passages": passages}, indent=1))


if __name__ == "__main__":
    main()

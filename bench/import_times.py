"""`python -X importtime` totals (the top-level imports' cumulative times, median of 7) and wall time of
`scent --help` and `scent search` on a small BM25 index: before (a checkout's src at BEFORE_SRC) and after (this
tree). Usage: python bench/import_times.py INDEX [BEFORE_SRC]."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time

LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def total(cmd: list[str], env: dict[str, str]) -> float:
    err = subprocess.run([sys.executable, "-X", "importtime", *cmd], capture_output=True, text=True, env=env).stderr
    matches = (LINE.match(line) for line in err.splitlines())
    return sum(int(m.group(2)) for m in matches if m and not m.group(3)) / 1e6  # top level: no indent


def wall(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, *cmd], capture_output=True, env=env)
    return time.perf_counter() - started


def main() -> None:
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    trees = ([("before", sys.argv[2])] if len(sys.argv) > 2 else []) + [("after", here)]
    commands = {"--help": ["-m", "scent", "--help"],
                "search": ["-m", "scent", "search", "otter heron", "--index", sys.argv[1], "-k", "3"]}
    for label, src in trees:
        env = {**os.environ, "PYTHONPATH": src}
        for name, cmd in commands.items():
            t = statistics.median(total(cmd, env) for _ in range(7))
            w = statistics.median(wall(cmd, env) for _ in range(7))
            print(f"{label:6} scent {name:7} import total {t:.3f} s   wall {w:.3f} s")


if __name__ == "__main__":
    main()

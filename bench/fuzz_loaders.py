"""A long loader fuzz run: every format, mutated for as long as it is given, against the contract `scent index`
relies on (one file ends in passages or a reported reason, within a time bound; see tests/loader_fuzz.py).

    flock /tmp/scent-cpu.lock .venv/bin/python -m bench.fuzz_loaders --seconds 600 --seed 1   # from the repository root

Prints, per format, how the inputs ended, and the findings: exceptions no loader anticipated (each one stopped a
whole `scent index` run before issue 11; now a catch-all reports the file), contract violations (an exception
that still escapes, text SQLite cannot store, an unbounded passage, a slow file) and the slowest input. The
smallest input of each finding is saved under --out (default bench/out/fuzz/) to replay or to keep in
tests/data/fuzz/.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

from tests import loader_fuzz as lf  # seeds, mutators, the contract

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=300.0, help="How long to fuzz (all formats in turn).")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--formats", default=",".join(lf.FORMATS))
    ap.add_argument("--time-limit", type=float, default=10.0, help="Seconds one file may take.")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "fuzz")
    args = ap.parse_args()
    logging.disable(logging.CRITICAL)  # pypdf logs every repair it attempts, some as errors
    formats = args.formats.split(",")
    rng = random.Random(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="scent-fuzz-"))
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, collections.Counter[str]] = {fmt: collections.Counter() for fmt in formats}
    findings: collections.Counter[tuple[str, str, str]] = collections.Counter()
    smallest: dict[tuple[str, str, str], bytes] = {}
    slowest = (0.0, "", 0)
    started, n = time.monotonic(), 0
    while time.monotonic() - started < args.seconds:
        fmt = formats[n % len(formats)]
        n += 1
        data = lf.mutate(rng, fmt)
        try:
            outcome = lf.check(data, fmt, folder, time_limit=args.time_limit)
        except lf.ContractViolation as e:
            key = (fmt, "violation", str(e)[:160])
            results[fmt]["VIOLATION"] += 1
        else:
            results[fmt][outcome.result] += 1
            if outcome.seconds > slowest[0]:
                slowest = (outcome.seconds, fmt, len(data))
            if outcome.unexpected is None:
                continue
            key = (fmt, "caught", outcome.unexpected)
        findings[key] += 1
        if key not in smallest or len(data) < len(smallest[key]):
            smallest[key] = data
    elapsed = time.monotonic() - started
    print(f"{n} inputs in {elapsed:.0f} s (seed {args.seed}); slowest: {slowest[0]:.2f} s, a {slowest[2]}-byte "
          f"{slowest[1]}")
    for fmt, counts in results.items():
        print(f"  {fmt:<6} " + ", ".join(f"{k} {v}" for k, v in counts.most_common()))
    print(f"findings ({len(findings)}):" if findings else "findings: none")
    saved = []
    for (fmt, kind, what), count in findings.most_common():
        data = smallest[(fmt, kind, what)]
        name = f"{fmt}-{kind}-{hashlib.sha256(data).hexdigest()[:10]}.{fmt}"
        (args.out / name).write_bytes(data)
        saved.append({"format": fmt, "kind": kind, "what": what, "count": count, "file": name, "bytes": len(data)})
        print(f"  {count:>5}× {fmt:<6} {kind:<9} {what}  → {args.out / name} ({len(data)} bytes)")
    (args.out / "summary.json").write_text(json.dumps({
        "inputs": n, "seconds": round(elapsed, 1), "seed": args.seed, "results": results, "findings": saved,
        "slowest": {"seconds": round(slowest[0], 3), "format": slowest[1], "bytes": slowest[2]}}, indent=2))
    sys.exit(1 if any(kind == "violation" for _, kind, _ in findings) else 0)


if __name__ == "__main__":
    main()

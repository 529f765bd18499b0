"""The fresh documentation sets (issue 22): recorded agent runs scored by one calibrator, per set and pooled, against
an earlier run of the same questions, and per question type against one-shot rag-plain (no model is called).

Each run folder is a `scent eval` output of `bench/data/pg-fresh.jsonl` or `bench/data/py-fresh.jsonl`; a run's
recorded draft and signals are rescored by the calibrator and its threshold (`bench.calibration_split.decide`).
Question types come from the datasets' metadata: `unanswerable` (every content word occurs in the corpus),
`offcorpus` (lower-case questions about made-up names), the rest answerable.

    python -m bench.fresh_sets --runs pg=RUN/pgf py=RUN/pyf --before pg=OLD/pgf py=OLD/pyf \\
        --rag pg=OLD/pgf-rag py=OLD/pyf-rag --replace RUN/pyf-a13 --plot docs/images/….png
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.calibration_split import decide, grounded, label, report, risk_coverage, rows_of
from scent.agent.calibrate import Calibrator, for_writer, load_calibrator

ROOT = Path(__file__).resolve().parents[1]
DATASETS = {"pg": ROOT / "bench/data/pg-fresh.jsonl", "py": ROOT / "bench/data/py-fresh.jsonl"}
NAMES = {"pg": "PostgreSQL", "py": "Python docs"}


def types() -> dict[str, str]:
    out = {}
    for path in DATASETS.values():
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            out[row["id"]] = row["metadata"]["type"]
    return out


def agent_rows(folder: Path, replace: list[Path]) -> list[dict[str, Any]]:
    """The agent's rows of a run, each replaced by its re-run in a `replace` folder when there is one."""
    again = {r["id"]: r for f in replace for r in rows_of(f) if r["system"] == "agent"}
    return [again.get(r["id"], r) for r in rows_of(folder) if r["system"] == "agent"]


def line(name: str, rows: list[dict[str, Any]], calibrator: Calibrator, kind: dict[str, str]) -> str:
    decided = decide(rows, calibrator, calibrator.threshold)
    t = report(decided, {})
    answerable = [r for r in decided if not r.get("unanswerable")]
    unanswerable = [r for r in decided if kind.get(r["id"]) == "unanswerable"]
    offcorpus = [r for r in decided if kind.get(r["id"]) == "offcorpus"]
    right = sum(1 for r in answerable if r["given"] and label(r))
    return (f"| {name} | {t['questions']} | {t['AUROC']} | {t['ECE']} | {t['answered (answerable)']}% | "
            f"{t['right among given']}% | {sum(not r['given'] for r in unanswerable)}/{len(unanswerable)} | "
            f"{sum(not r['given'] for r in offcorpus)}/{len(offcorpus)} | {right}/{len(answerable)} |")


def pairs(values: list[str]) -> dict[str, Path]:
    return {k: Path(v) for k, v in (x.split("=", 1) for x in values)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", nargs="+", required=True, help="SET=FOLDER (SET: pg or py)")
    parser.add_argument("--before", nargs="*", default=[], help="SET=FOLDER: an earlier run of the same questions")
    parser.add_argument("--rag", nargs="*", default=[], help="SET=FOLDER: rag-plain on the answerable questions")
    parser.add_argument("--replace", nargs="*", type=Path, default=[], help="folders of re-runs of single questions")
    parser.add_argument("--calibrator", type=Path, help="a calibrator file (default: the embedded model's)")
    parser.add_argument("--plot", type=Path, help="risk–coverage plot of the runs (PNG)")
    args = parser.parse_args()
    calibrator = load_calibrator(args.calibrator) if args.calibrator else for_writer("llamacpp:default")
    kind = types()
    runs = {s: agent_rows(f, args.replace) for s, f in pairs(args.runs).items()}
    before = {s: agent_rows(f, []) for s, f in pairs(args.before).items()}
    cols = ["questions", "AUROC", "ECE", "answered (answerable)", "right among given",
            "all-words unanswerable abstained", "made-up names abstained", "answerable right"]
    print("| run | " + " | ".join(cols) + " |\n|---|" + "---:|" * len(cols))
    for s, rows in before.items():
        print(line(f"{NAMES[s]}, before", rows, calibrator, kind))
    for s, rows in runs.items():
        print(line(NAMES[s], rows, calibrator, kind))
    if before:
        old = {r["id"] for rows in before.values() for r in rows}
        print(line("pooled, before", [r for rows in before.values() for r in rows], calibrator, kind))
        print(line("pooled, the same questions", [r for rows in runs.values() for r in rows if r["id"] in old],
                   calibrator, kind))
    print(line("pooled", [r for rows in runs.values() for r in rows], calibrator, kind))
    rag = {r["id"]: r for f in pairs(args.rag).values() for r in rows_of(f)}
    by: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    old_by = {r["id"]: r for rows in before.values() for r in rows}
    for s, rows in runs.items():
        for r in rows:
            if r.get("unanswerable"):
                continue
            counts = by[f"{NAMES[s]}: {kind[r['id']]}"]
            o = old_by.get(r["id"])
            counts[0] += 1
            counts[1] += bool(grounded(r) and label(r))
            counts[2] += bool(o and grounded(o) and label(o))
            counts[3] += int(rag[r["id"]]["metrics"]["cover_em"]) if r["id"] in rag else 0
    print("\n| set: type | questions | agent draft right | before | rag-plain right |\n|---|---:|---:|---:|---:|")
    for t, (n, now, was, plain) in sorted(by.items()):
        print(f"| {t} | {n} | {now} | {was if before else ''} | {plain if rag else ''} |")
    seconds = {NAMES[s]: round(sum((r.get("usage") or {}).get("seconds", 0) for r in rows) / max(1, len(rows)), 1)
               for s, rows in runs.items()}
    print(f"\nseconds per question: {seconds}")
    if args.plot:
        risk_coverage(args.plot, {NAMES[s]: decide(rows, calibrator, calibrator.threshold) for s, rows in runs.items()},
                      "Risk–coverage, fresh sets (held out)")


if __name__ == "__main__":
    main()

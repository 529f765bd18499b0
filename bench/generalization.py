"""The unseen-corpus generalization table: task sets synthesized by `scent synth` from three corpora that differ
in kind (encyclopedic miniwiki, the PostgreSQL docs, the Python docs), the same systems evaluated on each with the
same model and retriever, and the metrics per corpus and task kind — accuracy, support recall, calibration (ECE)
and searches per question — with the spread of tool use across the (corpus, kind) subsets.

    flock /tmp/scent-cpu.lock .venv/bin/python bench/generalization.py [--n 24] [--out bench/out/generalization]

Each corpus: `scent synth --n N` (stratified over the four kinds, seed 0, BM25 for every corpus so that the
"one search" rule means the same everywhere), then `scent eval --systems closed-book,rag,agent -r bm25`. Both
steps resume: a re-run only does what is missing, then rewrites the table (OUT/table.md, OUT/table.json).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

from scent.eval.metrics import expected_calibration_error
from scent.eval.report import latest_rows
from scent.eval.run import RESULTS_FILE, read_rows

ROOT = Path(__file__).resolve().parents[1]

CORPORA = {"miniwiki": ROOT / "bench/out/miniwiki-idx", "postgresql": ROOT / "bench/out/pg-idx",
           "python": ROOT / "bench/out/py-idx"}
SYSTEMS = ("closed-book", "rag", "agent")
KINDS = ("single", "bridge", "comparison", "unanswerable")
SCENT = [sys.executable, "-m", "scent"]


def run(args: list[str]) -> None:
    print("$ scent " + " ".join(args), file=sys.stderr, flush=True)
    subprocess.run([*SCENT, *args], check=True, cwd=ROOT)


def make(name: str, index: Path, out: Path, n: int) -> Path:
    tasks = out / name / "tasks.jsonl"
    if not tasks.exists():
        run(["synth", "--index", str(index), "--n", str(n), "--out", str(tasks), "--retriever", "bm25", "-q"])
    run(["eval", "--dataset", str(tasks), "--index", str(index), "--systems", ",".join(SYSTEMS), "--retriever",
         "bm25", "--out", str(out / name / "eval"), "--no-plots", "-q"])
    return out / name / "eval"


def cell(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy, support recall (answerable tasks), ECE and searches per question of some rows."""
    if not rows:
        return {"n": 0}
    recall = [r["metrics"]["support_recall"] for r in rows if r["metrics"].get("support_recall") is not None]
    return {"n": len(rows), "accuracy": sum(r["metrics"]["correct"] for r in rows) / len(rows),
            "support_recall": sum(recall) / len(recall) if recall else None,
            "ece": expected_calibration_error([float(r["confidence"]) for r in rows],
                                              [float(r["metrics"]["draft_correct"]) for r in rows]),
            "searches": sum(r["usage"]["searches"] for r in rows) / len(rows)}


def spread(values: list[float]) -> dict[str, float]:
    mean = sum(values) / len(values)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    return {"min": min(values), "max": max(values), "mean": mean, "sd": sd, "cv": sd / mean if mean else 0.0}


def table(folders: dict[str, Path]) -> tuple[dict[str, Any], str]:
    data: dict[str, Any] = {"cells": {}, "corpora": {}, "spread": {}}
    for corpus, folder in folders.items():
        rows = [r for r in latest_rows(read_rows(folder / RESULTS_FILE)) if not r.get("error")]
        for system in SYSTEMS:
            mine = [r for r in rows if r["system"] == system]
            data["corpora"][f"{corpus}/{system}"] = cell(mine)
            for kind in KINDS:
                data["cells"][f"{corpus}/{kind}/{system}"] = cell([r for r in mine if r["subset"] == kind])
    for system in SYSTEMS:
        searches = [c["searches"] for key, c in data["cells"].items() if key.endswith(f"/{system}") and c["n"]]
        data["spread"][system] = spread(searches) if searches else {}

    def pct(v: float | None) -> str:
        return "—" if v is None else f"{100 * v:.0f}"

    lines = ["| corpus | kind | n | " + " | ".join(f"{s} acc %" for s in SYSTEMS) + " | rag / agent support "
             "recall % | " + " | ".join(f"{s} ECE" for s in SYSTEMS) + " | rag / agent searches / q |",
             "|---|---|---:|" + "---:|" * (2 * len(SYSTEMS) + 2)]
    for corpus in folders:
        for kind in (*KINDS, "all"):
            cells = {s: data["corpora"][f"{corpus}/{s}"] if kind == "all" else data["cells"][f"{corpus}/{kind}/{s}"]
                     for s in SYSTEMS}
            if not cells["agent"]["n"]:
                continue
            label = f"**{corpus}**" if kind == "all" else corpus
            lines.append(
                f"| {label} | {'**all**' if kind == 'all' else kind} | {cells['agent']['n']} | "
                + " | ".join(pct(cells[s].get("accuracy")) for s in SYSTEMS)
                + f" | {pct(cells['rag'].get('support_recall'))} / {pct(cells['agent'].get('support_recall'))} | "
                + " | ".join(f"{cells[s]['ece']:.2f}" for s in SYSTEMS)
                + f" | {cells['rag']['searches']:.1f} / {cells['agent']['searches']:.1f} |")
    lines += ["", "Searches per question across the (corpus, kind) subsets:", "",
              "| system | min | max | mean | sd | sd / mean |", "|---|---:|---:|---:|---:|---:|"]
    for system, s in data["spread"].items():
        if s:
            lines.append(f"| {system} | {s['min']:.1f} | {s['max']:.1f} | {s['mean']:.2f} | {s['sd']:.2f} | "
                         f"{s['cv']:.2f} |")
    return data, "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=24, help="tasks per corpus (shared over the four kinds)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/out/generalization")
    parser.add_argument("--corpora", default=",".join(CORPORA), help="comma-separated subset of " + ",".join(CORPORA))
    args = parser.parse_args()
    folders = {name: make(name, CORPORA[name], args.out, args.n) for name in args.corpora.split(",")}
    data, markdown = table(folders)
    (args.out / "table.json").write_text(json.dumps(data, indent=2) + "\n")
    (args.out / "table.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()

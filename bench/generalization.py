"""The unseen-corpus generalization table: task sets synthesized by `scent synth` from corpora that differ in
kind (encyclopedic miniwiki, the PostgreSQL docs, the Python docs; and two no template knows: 5,000 BEIR
DBpedia-Entity web passages and the Node.js API docs), the same systems evaluated on each with the same model and
retriever, and the metrics per corpus and task kind — accuracy, support recall, calibration (ECE) and searches per
question — with the spread of tool use across the (corpus, kind) subsets.

    flock /tmp/scent-cpu.lock .venv/bin/python bench/generalization.py [--n 24] [--out bench/out/generalization]
    flock /tmp/scent-cpu.lock .venv/bin/python bench/generalization.py --corpora dbpedia-5k,nodejs --n 40 \
        --per-kind 5 --out bench/out/generalization-26

Each corpus: its index is built if missing (BM25 only, `scent index … --no-vectors`), `scent synth --n N`
(stratified over the four kinds, seed 0, BM25 for every corpus so that the "one search" rule means the same
everywhere; with --per-kind K the first K tasks of each kind are evaluated, a balanced sample of the N), then
`scent eval --systems closed-book,rag,agent -r bm25`. Every step resumes — a re-run, or one after a kill, only
does what is missing (so a long evaluation can run in chunks: `timeout 330 flock … generalization.py …`,
repeated) — then rewrites the table (OUT/table.md, OUT/table.json).
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
           "python": ROOT / "bench/out/py-idx", "dbpedia-5k": ROOT / "bench/out/dbpedia5k-idx",
           "nodejs": ROOT / "bench/out/nodejs-idx"}
# how to build an index that is missing (the first three have their own commands in BENCHMARKS.md)
SOURCES = {"dbpedia-5k": ["/work/shared/data/beir-dbpedia-5k/corpus.jsonl"],
           "nodejs": ["/usr/share/doc/nodejs/api", "--include", "*.md", "--exclude", "all.*"]}
SYSTEMS = ("closed-book", "rag", "agent")
KINDS = ("single", "bridge", "comparison", "unanswerable")
SCENT = [sys.executable, "-m", "scent"]


def run(args: list[str]) -> None:
    print("$ scent " + " ".join(args), file=sys.stderr, flush=True)
    subprocess.run([*SCENT, *args], check=True, cwd=ROOT)


def make(name: str, index: Path, out: Path, n: int, per_kind: int | None = None) -> Path:
    if not index.exists() and name in SOURCES:
        run(["index", *SOURCES[name], "-i", str(index), "--no-vectors", "-q"])
    synthesized = out / name / ("synth.jsonl" if per_kind else "tasks.jsonl")
    if not synthesized.exists():
        run(["synth", "--index", str(index), "--n", str(n), "--out", str(synthesized), "--retriever", "bm25", "-q"])
    tasks = out / name / "tasks.jsonl"
    if per_kind and not tasks.exists():
        tasks.write_text("".join(balanced(synthesized.read_text(encoding="utf-8").splitlines(), per_kind)),
                         encoding="utf-8")
    run(["eval", "--dataset", str(tasks), "--index", str(index), "--systems", ",".join(SYSTEMS), "--retriever",
         "bm25", "--out", str(out / name / "eval"), "--no-plots", "-q"])
    return out / name / "eval"


def balanced(lines: list[str], per_kind: int) -> list[str]:
    """The first `per_kind` tasks of each kind, kinds in turn (as synth writes them)."""
    by_kind: dict[str, list[str]] = {}
    for line in lines:
        if line.strip():
            by_kind.setdefault(json.loads(line)["metadata"]["type"], []).append(line + "\n")
    picked = [v[:per_kind] for v in by_kind.values()]
    return [rows[i] for i in range(per_kind) for rows in picked if i < len(rows)]


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
    parser.add_argument("--corpora", default="miniwiki,postgresql,python",
                        help="comma-separated subset of " + ",".join(CORPORA))
    parser.add_argument("--per-kind", type=int, default=None,
                        help="evaluate only the first K tasks of each kind of the N synthesized (a balanced sample)")
    args = parser.parse_args()
    folders = {name: make(name, CORPORA[name], args.out, args.n, args.per_kind) for name in args.corpora.split(",")}
    data, markdown = table(folders)
    (args.out / "table.json").write_text(json.dumps(data, indent=2) + "\n")
    (args.out / "table.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()

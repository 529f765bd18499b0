"""The fusion table of issue 25, one run: BM25, dense and each way of fusing them on BEIR DBpedia-5k, the fusion
weight chosen on the tune half of the queries only, with its sensitivity.

Queries are split in halves by a hash of their id (bench/embed_table.halves: the 20 of the 40 judged queries with
the smallest sha256(id) are tune, the rest test). For each fusion (weighted RRF at k = 60 and 10, min-max and
z-score convex score fusion) the dense share w (bm25_weight = 1 - w, dense_weight = w) is swept over 0..1 in
steps of 0.05 through the product's own `scent.index.hybrid.fuse` at the product's depth (`retrieval.depth`,
100 each); the w with the best tune nDCG@10 is chosen (ties: the w nearest 0.5), and its test and all-query
nDCG are reported beside BM25 and dense alone. Dense = the bundled MiniLM (cached corpus vectors from
bench/embed_table.py, computed here if missing) and the static table distilled from it.

    flock /tmp/scent-cpu.lock .venv/bin/python -m bench.fusion_table --json bench/out/fusion.json  # (repo root)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bench.embed_table import WORK, beir, beir_index, evaluate, vector_runs
from scent.config import RetrievalConfig

FUSIONS = {"rrf k=60": ("rrf", 60.0), "rrf k=10": ("rrf", 10.0), "minmax": ("minmax", 60.0),
           "zscore": ("zscore", 60.0)}
GRID = [round(0.05 * i, 2) for i in range(21)]
DENSE = {"minilm": ("minilm-256", "minilm", 256), "static": ("static", "static", 512)}

Runs = dict[str, list[tuple[str, float]]]


def bm25_runs(index: Path, queries: dict[str, str], depth: int) -> Runs:
    from scent.index import Index

    with Index.open(index) as idx:
        return {qid: idx.ranked(text, depth, "bm25") for qid, text in queries.items()}


def fused(bm25: Runs, dense: Runs, fusion: str, k: float, w: float, depth: int) -> Runs:
    from scent.index.hybrid import fuse

    config = RetrievalConfig(fusion=fusion, rrf_k=k, bm25_weight=round(1 - w, 4), dense_weight=w,
                             depth=depth)
    return {q: fuse(bm25[q], dense.get(q, []), config, depth) for q in bm25}


def choose(sweep: dict[float, dict[str, float]]) -> float:
    return max(sweep, key=lambda w: (sweep[w]["ndcg@10 tune"], -abs(w - 0.5)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=WORK)
    ap.add_argument("--dense", default="minilm,static")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    depth = RetrievalConfig().depth
    qrels, queries = beir()
    bm25 = bm25_runs(beir_index(args.work), queries, depth)
    table: dict[str, Any] = {"queries": len(qrels), "depth": depth, "bm25": evaluate(bm25, qrels)}
    for dense_name in args.dense.split(","):
        name, kind, max_tokens = DENSE[dense_name]
        dense = vector_runs(args.work, name, kind, max_tokens)
        rows: dict[str, Any] = {"dense alone": evaluate(dense, qrels)}
        for label, (fusion, k) in FUSIONS.items():
            sweep = {w: evaluate(fused(bm25, dense, fusion, k, w, depth), qrels) for w in GRID}
            best = choose(sweep)
            rows[label] = {"chosen dense weight": best, **sweep[best],
                           "sensitivity (w: tune / test)": {w: f"{v['ndcg@10 tune']:.3f} / {v['ndcg@10 test']:.3f}"
                                                            for w, v in sweep.items()}}
            if fusion == "rrf" and k == 60.0:
                rows["rrf k=60 1:1 (before)"] = sweep[0.5]
        table[dense_name] = rows
        for label, row in rows.items():
            print(f"{dense_name:7s} {label:22s} w={row.get('chosen dense weight', '-')!s:5s} "
                  f"nDCG@10 all {row['ndcg@10 all']:.4f} tune {row['ndcg@10 tune']:.4f} "
                  f"test {row['ndcg@10 test']:.4f} R@100 {row['recall@100']:.4f}", file=sys.stderr)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(table, indent=2))


if __name__ == "__main__":
    main()

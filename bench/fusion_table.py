"""The fusion table of issue 25, one run: BM25, dense and each way of fusing them on BEIR DBpedia-5k, the fusion
weight chosen on the tune half of the queries only, with its sensitivity.

Queries are split in halves by a hash of their id (bench/embed_table.halves: the 20 of the 40 judged queries with
the smallest sha256(id) are tune, the rest test). For each fusion (weighted RRF at k = 60 and 10, min-max and
z-score convex score fusion) the dense share w (bm25_weight = 1 - w, dense_weight = w) is swept over 0..1 in
steps of 0.05 through the product's own `scent.index.hybrid.fuse` at the product's depth (`retrieval.depth`,
100 each); the w with the best tune nDCG@10 is chosen (ties: the w nearest 0.5), and its test and all-query
nDCG are reported beside BM25 and dense alone. Dense = the bundled MiniLM (cached corpus vectors from
bench/embed_table.py, computed here if missing) and the static table distilled from it. `--hotpot` adds HotpotQA
dev against miniwiki (recall of the gold passages) at the weights chosen on DBpedia.

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
DENSE = {"minilm": "bf16-256", "static": "static"}  # the vectors `scent index` makes by default here (VECTORS)

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


def hotpot(work: Path, chosen: dict[str, tuple[str, float, float]], depth: int) -> dict[str, Any]:
    """HotpotQA dev (50 questions) against miniwiki (12,110 passages): recall@10 of each gold passage and of both,
    recall@100 of each, for BM25, dense (bf16-256 corpus vectors, numpy queries) and each fusion at the weight
    chosen on DBpedia's tune half (nothing is chosen on this set: it is a development set)."""
    from bench.embed_table import DBPEDIA, cached_vectors, corpus_texts, dense_runs, make_embedder
    from scent.ingest.pipeline import build

    questions = [json.loads(line) for line in (DBPEDIA.parent / "hotpotqa" / "dev.jsonl").open(encoding="utf-8")]
    index = work / "miniwiki-index"
    if not (index / "passages.sqlite").exists():
        build(index, [DBPEDIA.parent / "miniwiki" / "corpus.jsonl"], progress=None)
    ids, texts = corpus_texts(index)
    _, matrix = cached_vectors(work, "miniwiki-bf16-256", lambda: make_embedder("torch-bf16", 256, 32), texts)
    queries = {q["id"]: q["question"] for q in questions}
    bm25 = bm25_runs(index, queries, depth)
    dense = dense_runs(matrix, ids, make_embedder("numpy", 256, 32).embed(list(queries.values())), list(queries))
    runs = {"bm25": bm25, "dense": dense, "rrf k=60 1:1 (before)": fused(bm25, dense, "rrf", 60.0, 0.5, depth)}
    for label, (fusion, k, w) in chosen.items():
        runs[f"{label} w={w}"] = fused(bm25, dense, fusion, k, w, depth)
    out: dict[str, Any] = {"questions": len(questions)}
    for label, run in runs.items():
        each, both, each100 = [], [], []
        for q in questions:
            ranked = [d for d, _ in run[q["id"]]]
            gold = q["metadata"]["supporting_ids"]
            each += [g in ranked[:10] for g in gold]
            both.append(all(g in ranked[:10] for g in gold))
            each100 += [g in ranked[:100] for g in gold]
        out[label] = {"recall@10 each": round(sum(each) / len(each), 4),
                      "recall@10 both": round(sum(both) / len(both), 4),
                      "recall@100 each": round(sum(each100) / len(each100), 4)}
        print(f"hotpot  {label:28s} R@10 each {out[label]['recall@10 each']:.3f} both "
              f"{out[label]['recall@10 both']:.3f} R@100 each {out[label]['recall@100 each']:.3f}", file=sys.stderr)
    return out


def choose(sweep: dict[float, dict[str, float]]) -> float:
    return max(sweep, key=lambda w: (sweep[w]["ndcg@10 tune"], -abs(w - 0.5)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=WORK)
    ap.add_argument("--dense", default="minilm,static")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--hotpot", action="store_true", help="also HotpotQA dev against miniwiki (embeds 12k passages)")
    args = ap.parse_args()
    depth = RetrievalConfig().depth
    qrels, queries = beir()
    bm25 = bm25_runs(beir_index(args.work), queries, depth)
    table: dict[str, Any] = {"queries": len(qrels), "depth": depth, "bm25": evaluate(bm25, qrels)}
    chosen: dict[str, tuple[str, float, float]] = {}
    for dense_name in args.dense.split(","):
        dense = vector_runs(args.work, DENSE[dense_name])
        rows: dict[str, Any] = {"dense alone": evaluate(dense, qrels)}
        for label, (fusion, k) in FUSIONS.items():
            sweep = {w: evaluate(fused(bm25, dense, fusion, k, w, depth), qrels) for w in GRID}
            best = choose(sweep)
            rows[label] = {"chosen dense weight": best, **sweep[best],
                           "sensitivity (w: tune / test)": {w: f"{v['ndcg@10 tune']:.3f} / {v['ndcg@10 test']:.3f}"
                                                            for w, v in sweep.items()}}
            if dense_name == "minilm":
                chosen[label] = (fusion, k, best)
            if fusion == "rrf" and k == 60.0:
                rows["rrf k=60 1:1 (before)"] = sweep[0.5]
        table[dense_name] = rows
        for label, row in rows.items():
            print(f"{dense_name:7s} {label:22s} w={row.get('chosen dense weight', '-')!s:5s} "
                  f"nDCG@10 all {row['ndcg@10 all']:.4f} tune {row['ndcg@10 tune']:.4f} "
                  f"test {row['ndcg@10 test']:.4f} R@100 {row['recall@100']:.4f}", file=sys.stderr)
    if args.hotpot:
        table["hotpotqa"] = hotpot(args.work, chosen, depth)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(table, indent=2))


if __name__ == "__main__":
    main()

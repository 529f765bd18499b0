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

How well a choice generalises, beside the test half: the paired difference to dense on the test half with a 95%
bootstrap interval over its 20 queries (2,000 resamples, seed 0), and a 2-fold cross-validation (w chosen on tune
scored on test, w chosen on test scored on tune, averaged; minus dense on all queries). One more row chooses the
RRF constant k (1, 2, 5, 10, 20, 60) and w together on the tune half.

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
RRF_KS = [1.0, 2.0, 5.0, 10.0, 20.0, 60.0]  # the joint (k, w) row
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


def choose(sweep: dict[Any, dict[str, float]], half: str = "tune") -> Any:
    """The key (w, or (k, w)) with the best nDCG@10 on `half`; ties: w nearest 0.5, then the smaller k."""
    def weight(key: Any) -> float:
        return float(key[1] if isinstance(key, tuple) else key)

    return max(sweep, key=lambda key: (sweep[key][f"ndcg@10 {half}"], -abs(weight(key) - 0.5),
                                       -(key[0] if isinstance(key, tuple) else 0)))


def per_query(run: Runs, qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    from scent.eval.retrieval import evaluate_run

    scored = evaluate_run({q: dict(run.get(q, [])) for q in qrels}, qrels)["per_query"]
    return {q: scored[q]["ndcg@10"] if q in scored else 0.0 for q in qrels}


def paired_ci(diffs: list[float], resamples: int = 2000) -> tuple[float, float]:
    """95% percentile bootstrap interval of the mean of paired differences (seed 0)."""
    import random

    rng = random.Random(0)
    means = sorted(sum(rng.choice(diffs) for _ in diffs) / len(diffs) for _ in range(resamples))
    return round(means[int(0.025 * resamples)], 4), round(means[int(0.975 * resamples) - 1], 4)


def generalisation(sweep: dict[Any, dict[str, float]], runs: dict[Any, Runs], dense: Runs,
                   qrels: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Test − dense for the key chosen on tune (with its bootstrap interval), and the 2-fold CV − dense."""
    from bench.embed_table import halves

    split = halves(list(qrels))
    test = [q for q in qrels if split[q] == "test"]
    on_tune, on_test = choose(sweep, "tune"), choose(sweep, "test")
    fused, alone = per_query(runs[on_tune], qrels), per_query(dense, qrels)
    diffs = [fused[q] - alone[q] for q in test]
    dense_all = sum(alone.values()) / len(alone)
    cv = (sweep[on_tune]["ndcg@10 test"] + sweep[on_test]["ndcg@10 tune"]) / 2
    return {"test - dense": round(sum(diffs) / len(diffs), 4), "test - dense 95% CI": paired_ci(diffs),
            "chosen on test": on_test, "2-fold CV - dense": round(cv - dense_all, 4)}


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
            runs = {w: fused(bm25, dense, fusion, k, w, depth) for w in GRID}
            sweep = {w: evaluate(run, qrels) for w, run in runs.items()}
            best = choose(sweep)
            rows[label] = {"chosen dense weight": best, **sweep[best], **generalisation(sweep, runs, dense, qrels),
                           "sensitivity (w: tune / test)": {w: f"{v['ndcg@10 tune']:.3f} / {v['ndcg@10 test']:.3f}"
                                                            for w, v in sweep.items()}}
            if dense_name == "minilm":
                chosen[label] = (fusion, k, best)
            if fusion == "rrf" and k == 60.0:
                rows["rrf k=60 1:1 (before)"] = sweep[0.5]
        if dense_name == "minilm":  # the RRF constant and the weight chosen together on the tune half
            joint = {(k, w): fused(bm25, dense, "rrf", k, w, depth) for k in RRF_KS for w in GRID}
            joint_sweep = {key: evaluate(run, qrels) for key, run in joint.items()}
            k, w = choose(joint_sweep)
            rows["rrf k and w chosen on tune"] = {"chosen dense weight": w, "chosen k": k, **joint_sweep[(k, w)],
                                                  **generalisation(joint_sweep, joint, dense, qrels)}
            chosen[f"rrf joint k={k:g}"] = ("rrf", k, w)
        table[dense_name] = rows
        for label, row in rows.items():
            extra = (f" test-dense {row['test - dense']:+.4f} CI [{row['test - dense 95% CI'][0]:+.3f}, "
                     f"{row['test - dense 95% CI'][1]:+.3f}] CV-dense {row['2-fold CV - dense']:+.4f}"
                     if "test - dense" in row else "")
            print(f"{dense_name:7s} {label:26s} w={row.get('chosen dense weight', '-')!s:5s} "
                  f"nDCG@10 all {row['ndcg@10 all']:.4f} tune {row['ndcg@10 tune']:.4f} "
                  f"test {row['ndcg@10 test']:.4f} R@100 {row['recall@100']:.4f}{extra}", file=sys.stderr)
    if args.hotpot:
        table["hotpotqa"] = hotpot(args.work, chosen, depth)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(table, indent=2))


if __name__ == "__main__":
    main()

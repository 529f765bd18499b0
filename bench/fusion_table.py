"""The fusion table of issue 25, one run: BM25, dense and each way of fusing them on BEIR DBpedia-5k, each fusion's
setting chosen on the tune half of the queries only, with its sensitivity; then every other set there is, at the
settings chosen on DBpedia's tune half (nothing is chosen on them).

Queries are split in halves by a hash of their id (bench/embed_table.halves: the 20 of the 40 judged queries with
the smallest sha256(id) are tune, the rest test). Fusions (FAMILIES), each swept over its grid and scored by
nDCG@10 on tune; the best wins (ties: the dense share w nearest 0.5, then the smaller k):
- the product's own `scent.index.hybrid.fuse` (`[index.retrieval] fusion`), the dense share w (bm25_weight = 1 - w,
  dense_weight = w) over 0..1 in steps of 0.05 at the product's depth (100 each): CombMAX of min-max scores
  (`max`, the default), weighted RRF at k = 60 and 10, min-max and z-score convex sums; and RRF with k (1, 2, 5,
  10, 20, 60) and w chosen together;
- two that are not in the product, the other ways asked to be tried: a confidence gate (per query, BM25 gets the
  share 1 - w only when its top score stands t standard deviations above its own top 100, else dense alone; t and
  w chosen together; RRF k = 60) and dense first (dense's ranking, BM25's first m passages inserted at rank p
  unless already above it; p and m chosen together).
Dense = the bundled MiniLM (torch bf16 passage vectors and numpy query vectors, as `scent index` and `scent
search` make them with the default `embed.backend = "auto"`; cached by bench/embed_table.py, computed here if
missing) and the static table distilled from it. A row "dense, bf16 queries" embeds the queries on torch bf16 too
(one per call, as a search does): what mixing the backends costs.

How well a choice generalises, beside the test half: the paired difference to dense on the test half with a 95%
bootstrap interval over its 20 queries (2,000 resamples, seed 0), and a 2-fold cross-validation (the setting
chosen on tune scored on test, the one chosen on test scored on tune, averaged; minus dense on all queries),
and how many queries' top 10 (as a set) is not dense's top 10 (where BM25 had a say).

`--hotpot` adds HotpotQA dev (50 questions) against miniwiki (12,110 passages): recall of the gold passages for
BM25, dense and every fusion at its DBpedia-chosen setting (miniwiki's corpus vectors are embedded once, ~2 min).

    flock /tmp/scent-cpu.lock .venv/bin/python -m bench.fusion_table --hotpot --json bench/out/fusion.json  # root
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.embed_table import WORK, beir, beir_index, evaluate, vector_runs
from scent.config import RetrievalConfig

Ranking = list[tuple[str, float]]
Runs = dict[str, Ranking]
Fusion = Callable[[Ranking, Ranking, Any], Ranking]  # (bm25, dense, setting) -> fused ranking

GRID = [round(0.05 * i, 2) for i in range(21)]
RRF_KS = [1.0, 2.0, 5.0, 10.0, 20.0, 60.0]
DENSE = {"minilm": "bf16-256", "static": "static"}  # the vectors `scent index` makes by default here (VECTORS)
DEPTH = RetrievalConfig().depth


def product(fusion: str, k: float = 60.0) -> Fusion:
    """The product's fuse at dense share w (a float setting) or (k, w)."""
    from scent.index.hybrid import fuse

    def run(bm25: Ranking, dense: Ranking, setting: Any) -> Ranking:
        rrf_k, w = setting if isinstance(setting, tuple) else (k, setting)
        config = RetrievalConfig(fusion=fusion, rrf_k=rrf_k, bm25_weight=round(1 - w, 4), dense_weight=w,
                                 depth=DEPTH)
        return fuse(bm25, dense, config, DEPTH)
    return run


def confidence(ranking: Ranking) -> float:
    """How far the top score stands above the ranking's own scores, in standard deviations."""
    scores = [s for _, s in ranking]
    if len(scores) < 2:
        return 0.0
    spread = statistics.pstdev(scores)
    return (scores[0] - statistics.mean(scores)) / spread if spread > 0 else 0.0


def gated(bm25: Ranking, dense: Ranking, setting: Any) -> Ranking:
    threshold, w = setting
    return product("rrf")(bm25, dense, w if confidence(bm25) >= threshold else 1.0)


def dense_first(bm25: Ranking, dense: Ranking, setting: Any) -> Ranking:
    position, count = setting
    order = [d for d, _ in dense]
    inserted = [d for d, _ in bm25[:count] if d not in order[:position]]
    rest = [d for d in order if d not in inserted]
    fused = rest[:position] + inserted + rest[position:]
    return [(d, float(len(fused) - i)) for i, d in enumerate(fused)]


# label -> (fusion, settings swept, the [index.retrieval] line of a setting, or None when not in the product)
FAMILIES: dict[str, tuple[Fusion, list[Any], Callable[[Any], str] | None]] = {
    "max (CombMAX min-max)": (product("max"), GRID,
                              lambda w: f'fusion = "max", bm25_weight = {1 - w:.2f}, dense_weight = {w:.2f}'),
    "rrf k=60": (product("rrf", 60.0), GRID,
                 lambda w: f'fusion = "rrf", rrf_k = 60, bm25_weight = {1 - w:.2f}, dense_weight = {w:.2f}'),
    "rrf k=10": (product("rrf", 10.0), GRID,
                 lambda w: f'fusion = "rrf", rrf_k = 10, bm25_weight = {1 - w:.2f}, dense_weight = {w:.2f}'),
    "minmax convex": (product("minmax"), GRID,
                      lambda w: f'fusion = "minmax", bm25_weight = {1 - w:.2f}, dense_weight = {w:.2f}'),
    "zscore convex": (product("zscore"), GRID,
                      lambda w: f'fusion = "zscore", bm25_weight = {1 - w:.2f}, dense_weight = {w:.2f}'),
    "rrf, k and w together": (product("rrf"), [(k, w) for k in RRF_KS for w in GRID],
                              lambda s: f'fusion = "rrf", rrf_k = {s[0]:g}, bm25_weight = {1 - s[1]:.2f}, '
                                        f'dense_weight = {s[1]:.2f}'),
    "confidence gate (rrf k=60)": (gated, [(t, w) for t in (3.0, 3.5, 4.0, 4.5, 5.0, 6.0)
                                           for w in (0.3, 0.5, 0.7, 0.9)], None),
    "dense first, BM25 inserted": (dense_first, [(p, m) for p in (0, 1, 2, 3, 5, 10, 20) for m in (1, 2, 3)], None),
}
STATIC_FAMILIES = ("max (CombMAX min-max)", "rrf k=60", "zscore convex")


def bm25_runs(index: Path, queries: dict[str, str], depth: int) -> Runs:
    from scent.index import Index

    with Index.open(index) as idx:
        return {qid: idx.ranked(text, depth, "bm25") for qid, text in queries.items()}


def fused(bm25: Runs, dense: Runs, fusion: Fusion, setting: Any) -> Runs:
    return {q: fusion(bm25[q], dense.get(q, []), setting) for q in bm25}


def weight_of(setting: Any) -> float:
    return float(setting[1] if isinstance(setting, tuple) else setting)


def choose(sweep: dict[Any, dict[str, float]], half: str = "tune") -> Any:
    """The setting with the best nDCG@10 on `half`; ties: w nearest 0.5, then the smaller first element."""
    return max(sweep, key=lambda s: (sweep[s][f"ndcg@10 {half}"], -abs(weight_of(s) - 0.5),
                                     -(s[0] if isinstance(s, tuple) else 0)))


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
    """Test − dense for the setting chosen on tune (with its bootstrap interval), and the 2-fold CV − dense."""
    from bench.embed_table import halves

    split = halves(list(qrels))
    test = [q for q in qrels if split[q] == "test"]
    on_tune, on_test = choose(sweep, "tune"), choose(sweep, "test")
    fused_, alone = per_query(runs[on_tune], qrels), per_query(dense, qrels)
    diffs = [fused_[q] - alone[q] for q in test]
    dense_all = sum(alone.values()) / len(alone)
    cv = (sweep[on_tune]["ndcg@10 test"] + sweep[on_test]["ndcg@10 tune"]) / 2
    return {"test - dense": round(sum(diffs) / len(diffs), 4), "test - dense 95% CI": paired_ci(diffs),
            "chosen on test": on_test, "2-fold CV - dense": round(cv - dense_all, 4)}


def bf16_query_runs(work: Path) -> Runs:
    """Dense runs with the queries embedded on torch bf16, one per call (the corpus vectors as `vector_runs`)."""
    import numpy as np

    from bench.embed_table import cached_vectors, corpus_texts, dense_runs, make_embedder

    _, queries = beir()
    ids, texts = corpus_texts(beir_index(work))
    _, matrix = cached_vectors(work, DENSE["minilm"], lambda: make_embedder("torch-bf16", 256, 32), texts)
    embedder = make_embedder("torch-bf16", 256, 32)
    vectors = np.stack([embedder.embed([queries[q]])[0] for q in queries])
    return dense_runs(matrix, ids, vectors, list(queries))


def changed(run: Runs, dense: Runs) -> int:
    """Queries whose top 10 (as a set) is not dense's: where the other ranking had a say."""
    return sum({d for d, _ in run[q][:10]} != {d for d, _ in dense.get(q, [])[:10]} for q in run)


def recall(run: Runs, questions: list[dict[str, Any]]) -> dict[str, float]:
    each, both, each100 = [], [], []
    for q in questions:
        ranked = [d for d, _ in run[q["id"]]]
        gold = q["metadata"]["supporting_ids"]
        each += [g in ranked[:10] for g in gold]
        both.append(all(g in ranked[:10] for g in gold))
        each100 += [g in ranked[:100] for g in gold]
    return {"recall@10 each": round(sum(each) / len(each), 4), "recall@10 both": round(sum(both) / len(both), 4),
            "recall@100 each": round(sum(each100) / len(each100), 4)}


def hotpot(work: Path, chosen: dict[str, Any]) -> dict[str, Any]:
    """HotpotQA dev against miniwiki: gold-passage recall for BM25, dense (bf16 corpus vectors, numpy queries)
    and each fusion at the setting chosen on DBpedia's tune half (this is a development set: nothing chosen)."""
    from bench.embed_table import DBPEDIA, cached_vectors, corpus_texts, dense_runs, make_embedder
    from scent.ingest.pipeline import build

    questions = [json.loads(line) for line in (DBPEDIA.parent / "hotpotqa" / "dev.jsonl").open(encoding="utf-8")]
    index = work / "miniwiki-index"
    if not (index / "passages.sqlite").exists():
        build(index, [DBPEDIA.parent / "miniwiki" / "corpus.jsonl"], progress=None)
    ids, texts = corpus_texts(index)
    _, matrix = cached_vectors(work, "miniwiki-bf16-256", lambda: make_embedder("torch-bf16", 256, 32), texts)
    queries = {q["id"]: q["question"] for q in questions}
    bm25 = bm25_runs(index, queries, DEPTH)
    dense = dense_runs(matrix, ids, make_embedder("numpy", 256, 32).embed(list(queries.values())), list(queries))
    runs = {"bm25": bm25, "dense": dense, "rrf k=60 1:1 (before)": fused(bm25, dense, product("rrf"), 0.5)}
    for label, setting in chosen.items():
        runs[f"{label} {setting}"] = fused(bm25, dense, FAMILIES[label][0], setting)
    out: dict[str, Any] = {"questions": len(questions)}
    for label, run in runs.items():
        out[label] = {**recall(run, questions), "top 10 changed": changed(run, dense)}
        print(f"hotpot  {label:44s} R@10 each {out[label]['recall@10 each']:.3f} both "
              f"{out[label]['recall@10 both']:.3f} R@100 each {out[label]['recall@100 each']:.3f} top 10 not "
              f"dense's {out[label]['top 10 changed']}", file=sys.stderr)
    return out


def family_row(label: str, bm25: Runs, dense: Runs, qrels: dict[str, dict[str, int]]) -> dict[str, Any]:
    fusion, grid, setting_line = FAMILIES[label]
    runs = {setting: fused(bm25, dense, fusion, setting) for setting in grid}
    sweep = {setting: evaluate(run, qrels) for setting, run in runs.items()}
    best = choose(sweep)
    row = {"chosen": best, **sweep[best], **generalisation(sweep, runs, dense, qrels),
           "top 10 changed": changed(runs[best], dense),
           "setting": setting_line(best) if setting_line else "(bench only)"}
    if grid is GRID:
        row["sensitivity (w: tune / test)"] = {w: f"{v['ndcg@10 tune']:.3f} / {v['ndcg@10 test']:.3f}"
                                               for w, v in sweep.items()}
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=WORK)
    ap.add_argument("--dense", default="minilm,static")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--hotpot", action="store_true", help="also HotpotQA dev against miniwiki (embeds 12k passages)")
    args = ap.parse_args()
    qrels, queries = beir()
    bm25 = bm25_runs(beir_index(args.work), queries, DEPTH)
    table: dict[str, Any] = {"queries": len(qrels), "depth": DEPTH, "bm25": evaluate(bm25, qrels)}
    chosen: dict[str, Any] = {}
    for dense_name in args.dense.split(","):
        dense = vector_runs(args.work, DENSE[dense_name])
        rows: dict[str, Any] = {"dense alone": evaluate(dense, qrels)}
        if dense_name == "minilm":
            rows["dense, bf16 queries"] = evaluate(bf16_query_runs(args.work), qrels)
            rows["rrf k=60 1:1 (before)"] = evaluate(fused(bm25, dense, product("rrf"), 0.5), qrels)
            rows["rrf k=60 0.1:0.9 (last default)"] = evaluate(fused(bm25, dense, product("rrf"), 0.9), qrels)
        for label in FAMILIES if dense_name == "minilm" else STATIC_FAMILIES:
            rows[label] = family_row(label, bm25, dense, qrels)
            if dense_name == "minilm":
                chosen[label] = rows[label]["chosen"]
        table[dense_name] = rows
        for label, row in rows.items():
            extra = (f" test-dense {row['test - dense']:+.4f} CI [{row['test - dense 95% CI'][0]:+.3f}, "
                     f"{row['test - dense 95% CI'][1]:+.3f}] CV-dense {row['2-fold CV - dense']:+.4f} "
                     f"changed {row['top 10 changed']}"
                     if "test - dense" in row else "")
            print(f"{dense_name:7s} {label:30s} {row.get('chosen', '-')!s:11s} "
                  f"nDCG@10 all {row['ndcg@10 all']:.4f} tune {row['ndcg@10 tune']:.4f} "
                  f"test {row['ndcg@10 test']:.4f} R@100 {row['recall@100']:.4f}{extra}", file=sys.stderr)
    if args.hotpot:
        table["hotpotqa"] = hotpot(args.work, chosen)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(table, indent=2, default=str) + "\n", encoding="utf-8")
    print(json.dumps(table, indent=2, default=str))


if __name__ == "__main__":
    main()

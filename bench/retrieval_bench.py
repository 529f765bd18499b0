"""BM25 vs dense vs hybrid (RRF) retrieval, one run: quality, embedding throughput, query latency, HNSW vs exact.

- BEIR DBpedia-Entity 5k (`../shared/data/beir-dbpedia-5k`): nDCG@10 and recall@100 as pytrec_eval computes them
  (graded gain, log2 discount, trec_eval ordering: score desc then doc id desc; recall counts grade > 0).
- HotpotQA dev (50 questions, `../shared/data/hotpotqa/dev.jsonl`) against miniwiki (12,110 passages): recall@10
  of each gold passage (`metadata.supporting_ids`) and of both.
- Embedding throughput of the bundled embedder (fresh model, a fixed sample of each corpus), query latency of
  each retriever through `Index.search(q, 10)` (query embedding included), and HNSW (usearch) against the exact
  numpy scan: recall@10 on the real vectors and on random unit vectors, with latencies.

Indexes and vectors are built through the normal `scent index` path into --work (default bench/out/retrieval)
and reused: a second run only embeds what changed. Reproduce:

    flock /tmp/scent-cpu.lock .venv/bin/python bench/retrieval_bench.py --json bench/out/retrieval.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from scent.config import EmbedConfig
from scent.index import Index
from scent.index.dense import sync
from scent.index.layout import STORE_FILE
from scent.index.store import Store
from scent.ingest.pipeline import build

ROOT = Path(__file__).resolve().parents[1]

RETRIEVERS = ("bm25", "dense", "hybrid")


# -- metrics (pytrec_eval semantics; cross-checked against scent.eval.retrieval when it is there) ---------------
def trec_order(scores: dict[str, float]) -> list[str]:
    return [d for d, _ in sorted(scores.items(), key=lambda item: (item[1], item[0]), reverse=True)]


def ndcg(scores: dict[str, float], judged: dict[str, int], k: int = 10) -> float:
    dcg = sum(judged.get(d, 0) / math.log2(r + 1) for r, d in enumerate(trec_order(scores)[:k], 1))
    idcg = sum(g / math.log2(r + 1) for r, g in enumerate(sorted(judged.values(), reverse=True)[:k], 1) if g > 0)
    return dcg / idcg if idcg else 0.0


def recall(scores: dict[str, float], judged: dict[str, int], k: int = 100) -> float:
    relevant = {d for d, g in judged.items() if g > 0}
    return len(relevant & set(trec_order(scores)[:k])) / len(relevant) if relevant else 0.0


# -- building ----------------------------------------------------------------------------------------------------
def ensure_index(folder: Path, corpus: Path, embedder: Any) -> dict[str, Any]:
    started = time.monotonic()
    summary = build(folder, [corpus], progress=None)
    bm25_s = time.monotonic() - started
    store = Store(folder / STORE_FILE, readonly=True)
    try:
        vectors = sync(folder, store, embedder, EmbedConfig())
    finally:
        store.close()
    return {"passages": summary.passages_total, "bm25_build_s": round(bm25_s, 2), "embedded_now": vectors.embedded,
            "embed_s": vectors.seconds}


def throughput(corpus: Path, n: int) -> dict[str, Any]:
    """A fresh model embeds the first `n` records of the corpus as scent does (title + text)."""
    from scent.embed.minilm import MiniLM

    texts = []
    with corpus.open(encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            texts.append(f"{r.get('title', '')}\n{r.get('text', '')}")
            if len(texts) >= n:
                break
    started = time.perf_counter()
    model = MiniLM()
    load_s = time.perf_counter() - started
    tokens = model.token_counts(texts)
    started = time.perf_counter()
    model.embed(texts)
    seconds = time.perf_counter() - started
    return {"passages": len(texts), "mean_tokens": round(sum(tokens) / len(tokens), 1), "load_s": round(load_s, 2),
            "seconds": round(seconds, 2), "passages_per_s": round(len(texts) / seconds, 1)}


# -- evaluations ---------------------------------------------------------------------------------------------------
def dbpedia(idx: Index, folder: Path) -> dict[str, Any]:
    from scent.eval.datasets import load_beir

    beir = load_beir(folder)
    qrels, queries = beir.qrels, beir.queries
    out: dict[str, Any] = {"queries": len(queries)}
    for retriever in RETRIEVERS:
        run = {qid: dict(idx.ranked(text, 100, retriever)) for qid, text in queries.items()}
        out[retriever] = {"ndcg@10": statistics.mean(ndcg(run[q], qrels[q]) for q in queries),
                          "recall@100": statistics.mean(recall(run[q], qrels[q]) for q in queries)}
        try:  # the project's own implementation must agree
            from scent.eval.retrieval import evaluate_run

            theirs = evaluate_run(run, {q: qrels[q] for q in queries})
            out[retriever]["scent.eval agrees"] = (abs(theirs["ndcg@10"] - out[retriever]["ndcg@10"]) < 1e-9
                                                   and abs(theirs["recall@100"] - out[retriever]["recall@100"]) < 1e-9)
        except ImportError:
            pass
    return out


def hotpot(idx: Index, questions: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"questions": len(questions)}
    for retriever in RETRIEVERS:
        each, both, each100 = [], [], []
        for q in questions:
            gold = q["metadata"]["supporting_ids"]
            ranked = [pid for pid, _ in idx.ranked(q["question"], 100, retriever)]
            top10 = set(ranked[:10])
            each += [g in top10 for g in gold]
            each100 += [g in ranked for g in gold]
            both.append(all(g in top10 for g in gold))
        out[retriever] = {"recall@10 each gold": statistics.mean(each), "recall@10 both": statistics.mean(both),
                          "recall@100 each gold": statistics.mean(each100)}
    return out


def latency(idx: Index, queries: list[str]) -> dict[str, Any]:
    out = {}
    for retriever in RETRIEVERS:
        for q in queries[:5]:
            idx.search(q, 10, retriever=retriever)  # warm-up (loads vectors and the query embedder)
        times = []
        for q in queries:
            started = time.perf_counter()
            idx.search(q, 10, retriever=retriever)
            times.append(1000 * (time.perf_counter() - started))
        times.sort()
        out[retriever] = {"mean_ms": round(statistics.mean(times), 2), "p50_ms": round(times[len(times) // 2], 2),
                          "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2)}
    return out


def ann_vs_exact(matrix: Any, queries: Any, efs: tuple[int, ...] = (64, 128, 256)) -> dict[str, Any]:
    """Recall@10 of usearch HNSW (cosine, connectivity 16, expansion_add 128, as scent builds it) against the
    exact scan, at several search breadths (`retrieval.ann_ef`, default 128); median latencies."""
    import numpy as np
    from usearch.index import Index as UIndex

    from scent.index.dense import top_k

    started = time.perf_counter()
    ann = UIndex(ndim=matrix.shape[1], metric="cos", dtype="f32", connectivity=16, expansion_add=128)
    ann.add(np.arange(len(matrix), dtype=np.uint64), np.ascontiguousarray(matrix), log=False)
    out: dict[str, Any] = {"vectors": int(matrix.shape[0]), "queries": len(queries),
                           "hnsw_build_s": round(time.perf_counter() - started, 1)}
    exact, exact_ms = [], []
    for q in queries:
        started = time.perf_counter()
        exact.append(set(map(int, top_k(matrix, q, 10)[0])))
        exact_ms.append(1000 * (time.perf_counter() - started))
    out["exact_ms"] = round(statistics.median(exact_ms), 3)
    for ef in efs:
        ann.expansion_search = ef  # type: ignore[misc]  # usearch has a setter; mypy misses it (declared apart)
        overlap, ann_ms = [], []
        for q, truth in zip(queries, exact, strict=True):
            started = time.perf_counter()
            found = ann.search(q, 10)
            ann_ms.append(1000 * (time.perf_counter() - started))
            overlap.append(len(truth & set(map(int, found.keys))) / 10)
        out[f"ef={ef}"] = {"recall@10": round(float(np.mean(overlap)), 4),
                           "hnsw_ms": round(statistics.median(ann_ms), 3)}
    return out


def synthetic(real: Any, n: int, kind: str, seed: int = 0) -> Any:
    """`perturbed`: n copies of randomly chosen real passage vectors, each moved by Gaussian noise of norm ≈ 0.5
    and renormalised (the density of a larger corpus of the same kind); `random`: uniform on the sphere (the
    worst case for any graph index: in 384 dimensions all points are almost equally far apart)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    if kind == "random":
        out = rng.standard_normal((n, real.shape[1])).astype(np.float32)
    else:
        out = real[rng.integers(0, len(real), n)] + rng.normal(0, 0.5 / real.shape[1] ** 0.5,
                                                                (n, real.shape[1])).astype(np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "out" / "retrieval")
    ap.add_argument("--throughput-n", type=int, default=512)
    ap.add_argument("--synthetic", type=int, default=100_000, help="vectors for HNSW vs exact at scale (0: off)")
    ap.add_argument("--synthetic-kind", choices=["perturbed", "random"], default="perturbed")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    import numpy as np

    from scent.embed.minilm import MiniLM

    result: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                              "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                                         f"{platform.python_version()}, numpy {np.__version__}",
                              "load_avg_start": os.getloadavg()}
    embedder = MiniLM()
    corpora = {"dbpedia": args.shared / "beir-dbpedia-5k" / "corpus.jsonl",
               "miniwiki": args.shared / "miniwiki" / "corpus.jsonl"}
    result["build"] = {name: ensure_index(args.work / name, path, embedder) for name, path in corpora.items()}
    print(json.dumps(result["build"]), file=sys.stderr)
    result["throughput"] = {name: throughput(path, args.throughput_n) for name, path in corpora.items()}
    print(json.dumps(result["throughput"]), file=sys.stderr)
    questions = [json.loads(line) for line in (args.shared / "hotpotqa" / "dev.jsonl").open()]
    with Index.open(args.work / "dbpedia", embedder=embedder) as idx:
        result["dbpedia"] = dbpedia(idx, args.shared / "beir-dbpedia-5k")
        db_queries = [json.loads(line)["text"] for line in (args.shared / "beir-dbpedia-5k" / "queries.jsonl").open()]
        result["latency_dbpedia"] = latency(idx, db_queries)
    print(json.dumps(result["dbpedia"]), file=sys.stderr)
    with Index.open(args.work / "miniwiki", embedder=embedder) as idx:
        result["hotpotqa"] = hotpot(idx, questions)
        result["latency_miniwiki"] = latency(idx, [q["question"] for q in questions])
        dense = idx.dense()
        assert dense is not None
        real = np.asarray(dense.matrix)
    print(json.dumps(result["hotpotqa"]), file=sys.stderr)
    query_vectors = embedder.embed([q["question"] for q in questions] + db_queries)
    result["ann_real"] = ann_vs_exact(real, query_vectors)
    if args.synthetic:
        result["ann_synthetic"] = {"kind": args.synthetic_kind, **ann_vs_exact(
            synthetic(real, args.synthetic, args.synthetic_kind), query_vectors)}
    result["load_avg_end"] = os.getloadavg()
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text)


if __name__ == "__main__":
    main()

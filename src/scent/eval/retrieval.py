"""Retrieval quality on a BEIR set: nDCG@10 and recall@100 exactly as pytrec_eval (trec_eval) computes them.

- A run ranks each query's documents by score, descending; ties are broken by document id, descending (trec_eval).
- nDCG@k: gain = the graded judgement (not 2^g − 1), discount log2(rank + 1); the ideal ranking sorts all of the
  query's judgements by grade; a document without a judgement gains 0.
- recall@k: retrieved documents with grade > 0 among the top k, over all documents with grade > 0.
- Averages are over the queries that have judgements and at least one retrieved document (pytrec_eval evaluates
  only the queries present in both); the count of queries left out is reported.
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path
from typing import Any

from scent.config import ScentConfig
from scent.eval.datasets import load_beir

Run = dict[str, dict[str, float]]  # query id → document id → score
Qrels = dict[str, dict[str, int]]  # query id → document id → grade


def ranked(scores: dict[str, float]) -> list[str]:
    """Document ids in trec_eval order: score descending, then id descending."""
    return [d for d, _ in sorted(scores.items(), key=lambda item: (item[1], item[0]), reverse=True)]


def ndcg_at_k(scores: dict[str, float], judgements: dict[str, int], k: int = 10) -> float:
    dcg = sum(judgements.get(d, 0) / math.log2(rank + 1) for rank, d in enumerate(ranked(scores)[:k], 1))
    ideal = sorted(judgements.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal, 1) if g > 0)
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(scores: dict[str, float], judgements: dict[str, int], k: int = 100) -> float:
    relevant = {d for d, g in judgements.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant & set(ranked(scores)[:k])) / len(relevant)


def evaluate_run(run: Run, qrels: Qrels, ndcg_k: int = 10, recall_k: int = 100) -> dict[str, Any]:
    """Mean nDCG@ndcg_k and recall@recall_k over the evaluated queries, with the per-query values."""
    evaluated = sorted(q for q in qrels if run.get(q))
    per_query = {q: {f"ndcg@{ndcg_k}": ndcg_at_k(run[q], qrels[q], ndcg_k),
                     f"recall@{recall_k}": recall_at_k(run[q], qrels[q], recall_k)} for q in evaluated}
    n = len(evaluated)
    return {f"ndcg@{ndcg_k}": sum(v[f"ndcg@{ndcg_k}"] for v in per_query.values()) / n if n else 0.0,
            f"recall@{recall_k}": sum(v[f"recall@{recall_k}"] for v in per_query.values()) / n if n else 0.0,
            "queries": n, "queries_without_results": len(qrels) - n, "per_query": per_query}


def eval_retrieval(beir_dir: str | Path, retriever: str = "bm25", index_dir: str | Path | None = None,
                   config: ScentConfig | None = None, split: str = "test", ndcg_k: int = 10,
                   recall_k: int = 100) -> dict[str, Any]:
    """Index the BEIR corpus through the normal ingest path of the index's backend (`index_dir`: a folder or
    milvus://HOST:PORT/COLLECTION, reused and updated incrementally when given, else a temporary folder), with
    vectors when `retriever` needs them or the index already has them (its own embedder, else `config.embed`'s),
    search every judged query with `retriever` (bm25 | dense | hybrid | auto), and score the run."""
    from scent.backends import backend_for
    from scent.embed import load_embedder

    config = config or ScentConfig()
    beir = load_beir(beir_dir, split)
    with tempfile.TemporaryDirectory(prefix="scent-beir-") as tmp:
        location = str(index_dir) if index_dir else str(Path(tmp) / "index")
        backend = backend_for(location)
        made = backend.vectors_embedder(location, config)
        spec = made if made is not None else config.embed.spec if retriever != "bm25" else ""
        embedder = load_embedder(spec, config.embed, config.local_only) if spec else None
        started = time.monotonic()
        summary = backend.build(location, [beir.corpus], config, embedder=embedder)
        index_seconds = time.monotonic() - started
        with backend.open(location, config, retriever) as index:
            resolved = index.resolve()
            started = time.monotonic()
            run = {qid: {h.id: h.score for h in index.search(text, recall_k)} for qid, text in beir.queries.items()}
            search_seconds = time.monotonic() - started
    result = evaluate_run(run, beir.qrels, ndcg_k, recall_k)
    return {"dataset": str(beir_dir), "retriever": resolved, "split": split,
            "documents": summary.passages_total, "index_seconds": round(index_seconds, 2),
            "search_ms_per_query": round(1000 * search_seconds / max(len(run), 1), 2), **result}

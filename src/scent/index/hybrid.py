"""Fusion of the BM25 and dense rankings: pure functions over (id, score) lists, used by every backend.

- `rrf`: weighted reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009), score = Σ w_i / (k + rank_i).
- `score_fusion`: convex combination of normalised scores (Bruch, Gai & Ingber, "An Analysis of Fusion Functions
  for Hybrid Retrieval", TOIS 2023): each ranking's scores are scaled by min-max or z-score over that ranking,
  fused = Σ w_i · norm_i(d) with the weights summed to 1; a ranking that lacks d adds its own minimum (0 for
  min-max), as if d were just below its last entry.
- `max_fusion` (the default): CombMAX (Fox & Shaw, TREC-2 1994) of min-max normalised scores, score(d) =
  max_i w_i · minmax_i(d): a document keeps the best evidence either retriever gave it, so what one ranking found
  is not averaged away by the other's silence.
- `fuse`: the one the configuration names (`retrieval.fusion`, weights `bm25_weight` / `dense_weight`, `rrf_k`).

Why CombMAX 0.3 : 0.7 (bench/fusion_table.py, BENCHMARKS.md "Embedding and fusion", docs/retrieval.md): every
summing fusion whose weight was chosen on the tune half of the dev BEIR set gained there and lost on the test half
(the halves disagree), because a sum lets BM25 demote what dense ranked high. With max, BM25's best passage
(0.3) enters dense's top 10 only where dense's own scores fall below 0.43 of their range there, i.e. where dense
is sure of few passages: on DBpedia (dense far ahead of BM25) its top 10 is dense's, on HotpotQA (names that
vectors blur) BM25's finds come in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scent.config import RetrievalConfig

FUSIONS = ("max", "rrf", "minmax", "zscore")


def rrf(rankings: Sequence[Sequence[str]], weights: Sequence[float] | None = None, k: float = 60.0,
        limit: int | None = None) -> list[tuple[str, float]]:
    """Fuse rankings (ids, best first) into (id, score) pairs, best first.

    score(d) = Σ_i weights[i] / (k + rank_i(d)), rank counted from 1; a ranking that lacks d adds nothing.
    Equal scores are ordered by the best rank d reached in any ranking, then by the earlier ranking.
    An id repeated within one ranking counts at its first position only."""
    weights = [1.0] * len(rankings) if weights is None else list(weights)
    if len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings")
    scores: dict[str, float] = {}
    best: dict[str, tuple[int, int]] = {}
    for which, (ranking, weight) in enumerate(zip(rankings, weights, strict=True)):
        seen: set[str] = set()
        for rank, doc in enumerate(ranking, 1):
            if doc in seen:
                continue
            seen.add(doc)
            scores[doc] = scores.get(doc, 0.0) + weight / (k + rank)
            best[doc] = min(best.get(doc, (rank, which)), (rank, which))
    fused = sorted(scores.items(), key=lambda item: (-item[1], best[item[0]]))
    return fused if limit is None else fused[:limit]


def normalise(scores: Sequence[float], method: str) -> tuple[list[float], float]:
    """(normalised scores, the value a missing document gets) for `minmax` or `zscore`."""
    if not scores:
        return [], 0.0
    if method == "minmax":
        low, high = min(scores), max(scores)
        span = high - low
        return ([(s - low) / span for s in scores] if span > 0 else [1.0] * len(scores)), 0.0
    if method == "zscore":
        mean = sum(scores) / len(scores)
        std = (sum((s - mean) ** 2 for s in scores) / len(scores)) ** 0.5
        normed = [(s - mean) / std for s in scores] if std > 0 else [0.0] * len(scores)
        return normed, min(normed)
    raise ValueError(f"unknown score normalisation {method!r}; expected minmax or zscore")


def score_fusion(rankings: Sequence[Sequence[tuple[str, float]]], weights: Sequence[float] | None = None,
                 method: str = "minmax", limit: int | None = None) -> list[tuple[str, float]]:
    """Convex combination of normalised scores; rankings are (id, score) lists, higher better, best first.
    Weights are scaled to sum to 1 (all zero: equal). Ties: the best rank reached, then the earlier ranking."""
    weights = [1.0] * len(rankings) if weights is None else list(weights)
    if len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings")
    total = sum(weights)
    weights = [w / total for w in weights] if total > 0 else [1.0 / len(weights)] * len(weights)
    normed: list[dict[str, float]] = []
    floors: list[float] = []
    best: dict[str, tuple[int, int]] = {}
    for which, ranking in enumerate(rankings):
        first: dict[str, float] = {}
        for rank, (doc, score) in enumerate(ranking, 1):
            if doc not in first:
                first[doc] = score
                best[doc] = min(best.get(doc, (rank, which)), (rank, which))
        values, floor = normalise(list(first.values()), method)
        normed.append(dict(zip(first, values, strict=True)))
        floors.append(floor)
    fused = {doc: sum(w * n.get(doc, floor) for w, n, floor in zip(weights, normed, floors, strict=True))
             for doc in best}
    ordered = sorted(fused.items(), key=lambda item: (-item[1], best[item[0]]))
    return ordered if limit is None else ordered[:limit]


def max_fusion(rankings: Sequence[Sequence[tuple[str, float]]], weights: Sequence[float] | None = None,
               limit: int | None = None) -> list[tuple[str, float]]:
    """CombMAX of min-max normalised scores: score(d) = max_i weights[i] · minmax_i(d), the weights scaled to sum
    to 1 (all zero: equal); a ranking that lacks d gives it nothing. Rankings are (id, score) lists, higher better,
    best first. Ties: the best rank reached, then the earlier ranking (so a zero weight keeps its ranking's
    documents, at the end, in its order)."""
    weights = [1.0] * len(rankings) if weights is None else list(weights)
    if len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings")
    total = sum(weights)
    weights = [w / total for w in weights] if total > 0 else [1.0 / len(weights)] * len(weights)
    fused: dict[str, float] = {}
    best: dict[str, tuple[int, int]] = {}
    for which, (ranking, weight) in enumerate(zip(rankings, weights, strict=True)):
        first: dict[str, float] = {}
        for rank, (doc, score) in enumerate(ranking, 1):
            if doc not in first:
                first[doc] = score
                best[doc] = min(best.get(doc, (rank, which)), (rank, which))
        values, _ = normalise(list(first.values()), "minmax")
        for doc, value in zip(first, values, strict=True):
            fused[doc] = max(fused.get(doc, 0.0), weight * value)
    ordered = sorted(fused.items(), key=lambda item: (-item[1], best[item[0]]))
    return ordered if limit is None else ordered[:limit]


def fuse(bm25: Sequence[tuple[str, float]], dense: Sequence[tuple[str, float]], retrieval: RetrievalConfig,
         limit: int | None = None) -> list[tuple[str, float]]:
    """The hybrid ranking as configured: `retrieval.fusion` over the BM25 and dense (id, score) rankings. Every
    backend's hybrid search calls this (the folder index, Milvus), and so does bench/fusion_table.py."""
    weights = [retrieval.bm25_weight, retrieval.dense_weight]
    if retrieval.fusion == "max":
        return max_fusion([bm25, dense], weights, limit)
    if retrieval.fusion == "rrf":
        return rrf([[d for d, _ in bm25], [d for d, _ in dense]], weights, retrieval.rrf_k, limit)
    return score_fusion([bm25, dense], weights, retrieval.fusion, limit)

"""Reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009), weighted: a pure function over rankings."""

from __future__ import annotations

from collections.abc import Sequence


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

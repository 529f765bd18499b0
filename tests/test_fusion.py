"""Hybrid fusion (scent.index.hybrid): CombMAX (the default), min-max and z-score convex score fusion by hand, the
configured fusion through `fuse`, and the index's hybrid search following `retrieval.fusion` (weighted RRF is tested in
tests/test_dense.py and, through every backend, tests/test_backends.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_dense import HashEmbedder, _docs, _sync

from scent.config import RetrievalConfig
from scent.index import Index
from scent.index.hybrid import fuse, max_fusion, normalise, rrf, score_fusion
from scent.ingest.pipeline import build

BM25 = [("a", 12.0), ("b", 8.0), ("c", 4.0)]
DENSE = [("c", 0.9), ("d", 0.7), ("a", 0.5)]


def test_minmax_hand_computed():
    fused = dict(score_fusion([BM25, DENSE], [0.5, 0.5], "minmax"))
    # bm25: a 1, b 0.5, c 0 (d absent: 0); dense: c 1, d 0.5, a 0 (b absent: 0)
    assert fused == pytest.approx({"a": 0.5, "b": 0.25, "c": 0.5, "d": 0.25})
    # equal scores: the best rank reached first (a and c both reached rank 1: a's ranking comes first)
    assert [d for d, _ in score_fusion([BM25, DENSE], [0.5, 0.5], "minmax")] == ["a", "c", "b", "d"]


def test_weights_are_convex_and_one_weight_alone_is_that_ranking():
    assert score_fusion([BM25, DENSE], [3, 1], "minmax") == score_fusion([BM25, DENSE], [0.75, 0.25], "minmax")
    assert [d for d, _ in score_fusion([BM25, DENSE], [1, 0], "minmax")][:3] == ["a", "b", "c"]
    assert [d for d, _ in score_fusion([BM25, DENSE], [0, 1], "zscore")][:3] == ["c", "d", "a"]
    assert score_fusion([BM25, DENSE], [0, 0], "minmax") == score_fusion([BM25, DENSE], [1, 1], "minmax")


def test_zscore_missing_documents_get_the_rankings_minimum():
    values, floor = normalise([3.0, 2.0, 1.0], "zscore")
    assert values == pytest.approx([1.2247449, 0.0, -1.2247449]) and floor == pytest.approx(-1.2247449)
    fused = dict(score_fusion([[("a", 3.0), ("b", 2.0), ("c", 1.0)], [("d", 5.0), ("a", 1.0)]], [1, 1], "zscore"))
    assert fused["d"] == pytest.approx(0.5 * -1.2247449 + 0.5 * 1.0)
    assert fused["b"] == pytest.approx(0.5 * 0.0 + 0.5 * -1.0)


def test_degenerate_rankings():
    assert normalise([], "minmax") == ([], 0.0)
    assert normalise([2.0, 2.0], "minmax") == ([1.0, 1.0], 0.0)
    assert normalise([2.0, 2.0], "zscore") == ([0.0, 0.0], 0.0)
    assert score_fusion([[], []]) == []
    assert [d for d, _ in score_fusion([[("a", 1.0), ("a", 0.1)], [("b", 1.0)]], limit=1)] == ["a"]
    with pytest.raises(ValueError, match="normalisation"):
        normalise([1.0], "rank")
    with pytest.raises(ValueError, match="weights"):
        score_fusion([BM25, DENSE], [1.0])


def test_max_fusion_hand_computed():
    fused = max_fusion([BM25, DENSE], [0.3, 0.7])
    # bm25 min-max: a 1, b 0.5, c 0; dense: c 1, d 0.5, a 0 -> max(0.3 * bm25, 0.7 * dense)
    assert dict(fused) == pytest.approx({"c": 0.7, "d": 0.35, "a": 0.3, "b": 0.15})
    assert [d for d, _ in fused] == ["c", "d", "a", "b"]
    # the weights are scaled to sum to 1; equal scores: the best rank reached, then the earlier ranking
    assert max_fusion([BM25, DENSE], [3, 7]) == fused
    assert [d for d, _ in max_fusion([BM25, DENSE])] == ["a", "c", "b", "d"]


def test_max_fusion_keeps_what_either_found():
    """A passage one retriever ranks first stays above what the other ranks low: BM25's top find enters dense's
    ranking where dense's normalised score falls below bm25_weight / dense_weight of its range, not higher."""
    dense = [(f"d{i}", 1.0 - i / 10) for i in range(11)]  # min-max: d0 1.0, d1 0.9, ... d10 0.0
    fused = [d for d, _ in max_fusion([[("rare", 5.0), ("d9", 1.0)], dense], [0.3, 0.7])]
    # 0.3 for "rare" sits between d5 (0.7 * 0.5 = 0.35) and d6 (0.28); d9's BM25 0 adds nothing
    assert fused[:7] == ["d0", "d1", "d2", "d3", "d4", "d5", "rare"] and fused.index("d9") == 10
    # one weight at 0: that ranking's documents keep its order, after the other's
    assert [d for d, _ in max_fusion([[("x", 2.0), ("y", 1.0)], [("z", 1.0)]], [0, 1])] == ["z", "x", "y"]


def test_max_fusion_degenerate_rankings():
    assert max_fusion([[], []]) == []
    assert max_fusion([[("a", 1.0), ("a", 0.1)], [("b", 2.0), ("b", 2.0)]]) == [("a", 0.5), ("b", 0.5)]
    with pytest.raises(ValueError, match="weights"):
        max_fusion([BM25, DENSE], [1.0])


def test_fuse_follows_the_configuration():
    ids = [["a", "b", "c"], ["c", "d", "a"]]
    assert fuse(BM25, DENSE, RetrievalConfig()) == max_fusion([BM25, DENSE], [0.3, 0.7])  # the shipped default
    assert fuse(BM25, DENSE, RetrievalConfig(fusion="rrf", bm25_weight=0.1, dense_weight=0.9)) == rrf(
        ids, [0.1, 0.9], 60.0)
    config = RetrievalConfig(fusion="rrf", rrf_k=10, bm25_weight=0.3, dense_weight=0.7)
    assert fuse(BM25, DENSE, config, 2) == rrf(ids, [0.3, 0.7], 10.0, 2)
    config = RetrievalConfig(fusion="zscore", bm25_weight=0.3, dense_weight=0.7)
    assert fuse(BM25, DENSE, config) == score_fusion([BM25, DENSE], [0.3, 0.7], "zscore")


@pytest.mark.parametrize("fusion", ["max", "rrf", "minmax", "zscore"])
def test_index_hybrid_uses_the_configured_fusion(tmp_path: Path, fusion: str):
    root, index = _docs(tmp_path / "docs"), tmp_path / "idx"
    build(index, [root])
    embedder = HashEmbedder()
    _sync(index, embedder)
    retrieval = RetrievalConfig(fusion=fusion, bm25_weight=0.4, dense_weight=0.6)  # type: ignore[arg-type]
    with Index.open(index, retrieval=retrieval, embedder=embedder) as idx:
        query = "sea otters rocks"
        expected = fuse(idx.ranked(query, 100, "bm25"), idx.ranked(query, 100, "dense"), retrieval, 3)
        assert idx.ranked(query, 3, "hybrid") == expected
        assert idx.search(query, 3, retriever="hybrid")[0].path == "otters.txt"

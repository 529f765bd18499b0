"""The static (model2vec) embedder: the PCA + SIF post-processing on synthetic vectors, and the lookup-and-mean
embedding with a small hand-made table over the bundled tokenizer (the full distillation runs MiniLM over its
30k-piece vocabulary, ~40 s: measured in bench/embed_table.py, not here)."""

from __future__ import annotations

import numpy as np
import pytest

from scent.embed import EmbedError, load_embedder
from scent.embed.static import SIF, reduce_and_weight


def test_reduce_and_weight_shape_signs_and_sif():
    rng = np.random.default_rng(0)
    rows = rng.standard_normal((200, 16)).astype(np.float32)
    table = reduce_and_weight(rows, 4)
    assert table.shape == (200, 4) and table.dtype == np.float32
    # the same table from the same rows, whatever sign the SVD picks: run it on the negated rows
    flipped = reduce_and_weight(-rows, 4)
    np.testing.assert_allclose(np.abs(table), np.abs(flipped), rtol=1e-4, atol=1e-5)
    # SIF: a frequent (low-rank) piece is scaled down far more than a rare one
    inverse_rank = 1.0 / np.arange(2, 202)
    p = inverse_rank / inverse_rank.sum()
    weights = SIF / (SIF + p)
    assert (np.diff(weights) > 0).all() and weights[0] < weights[-1] / 50
    centred = rows - rows.mean(0)
    assert np.linalg.norm(table[0]) < 0.05 * np.linalg.norm(centred[0])


@pytest.fixture(scope="module")
def static_embedder():  # type: ignore[no-untyped-def]
    pytest.importorskip("tokenizers")
    from scent.embed.minilm import model_dir

    try:
        model_dir()
    except ImportError:
        pytest.skip("the bundled MiniLM is not installed")
    from scent.embed.static import StaticEmbedder

    table = np.random.default_rng(1).standard_normal((30522, 8)).astype(np.float32)
    return StaticEmbedder(dims=8, table=table)


def test_a_text_is_the_normalised_mean_of_its_pieces(static_embedder):  # type: ignore[no-untyped-def]
    e = static_embedder
    ids = e.tokenizer.encode("otters hold hands", add_special_tokens=False).ids
    expected = e.table[ids].mean(0)
    expected /= np.linalg.norm(expected)
    vectors = e.embed(["otters hold hands", "beavers", "otters hold hands"])
    assert vectors.shape == (3, 8) and vectors.dtype == np.float32
    np.testing.assert_allclose(vectors[0], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(vectors[0], vectors[2])
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1, 1, 1], abs=1e-5)
    assert e.dim == 8 and e.spec == "static:all-MiniLM-L6-v2-8d"


def test_odd_inputs_never_crash(static_embedder):  # type: ignore[no-untyped-def]
    e = static_embedder
    vectors = e.embed(["", "\ud800 lone surrogate", "x" * 50_000, "   "])
    assert vectors.shape == (4, 8) and np.isfinite(vectors).all()
    assert not vectors[0].any()  # no pieces: the zero vector (cosine 0 with everything)
    assert e.embed([]).shape == (0, 8)


def test_unknown_static_spec_is_refused():
    with pytest.raises(EmbedError, match="unknown embedder"):
        load_embedder("static:bge-small")

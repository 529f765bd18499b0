"""The bundled MiniLM's torch backend (scent.embed.minilm_torch): the same vectors as the numpy forward pass (bf16
and fp32), and the `auto` backend's choice (numpy for a query, torch for bulk calls). Skipped without torch or
the bundled weights."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("tokenizers")

TEXTS = ["What is the default value of max_connections?", "", "Herons wade in shallow water hunting fish. " * 40,
         "max_connections (integer) Determines the maximum number of concurrent connections to the database "
         "server. The default is typically 100 connections", "\ud800 odd", "Ünïcödé façade naïve", "x", "a b c d e"]


@pytest.fixture(scope="module")
def minilm():  # type: ignore[no-untyped-def]
    from scent.embed.minilm import MiniLM, model_dir

    try:
        model_dir()
    except ImportError:
        pytest.skip("the bundled MiniLM is not installed")
    return MiniLM(max_tokens=128)


@pytest.mark.parametrize(("precision", "floor"), [("fp32", 0.99999), ("bf16", 0.9995)])
def test_torch_vectors_match_numpy(minilm, precision: str, floor: float):  # type: ignore[no-untyped-def]
    from scent.embed.minilm_torch import TorchForward

    reference = minilm.embed(TEXTS)
    minilm.backend, minilm._torch = "torch", TorchForward(minilm, precision)
    try:
        vectors = minilm.embed(TEXTS)
    finally:
        minilm.backend, minilm._torch = "numpy", None
    assert vectors.shape == reference.shape and vectors.dtype == np.float32
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0] * len(TEXTS), abs=1e-5)
    assert (vectors * reference).sum(1).min() >= floor


def test_auto_uses_numpy_for_queries_and_torch_for_bulk(minilm):  # type: ignore[no-untyped-def]
    from scent.embed.minilm import TORCH_FROM

    minilm.backend = "auto"
    try:
        assert minilm._forward_for(1) == minilm._forward and minilm._torch is None  # no torch on the search path
        bulk = minilm._forward_for(TORCH_FROM)
        assert bulk is minilm._torch is not None
        assert minilm._forward_for(TORCH_FROM + 1) is bulk  # loaded once
    finally:
        minilm.backend, minilm._torch = "numpy", None


def test_default_config_embeds_in_bulk_on_torch_and_falls_back_to_numpy(monkeypatch: pytest.MonkeyPatch):
    """`embed.backend` defaults to auto: torch for `scent index`'s bulk calls when torch is importable, numpy
    without it (and for queries)."""
    from scent.config import EmbedConfig
    from scent.embed import bundled_available, load_embedder, minilm_torch
    from scent.embed.minilm import TORCH_FROM

    if not bundled_available():
        pytest.skip("the bundled MiniLM is not installed")
    assert EmbedConfig().backend == "auto"
    model = load_embedder("minilm")
    assert model.backend == "auto"  # type: ignore[attr-defined]
    assert model._forward_for(1) == model._forward  # type: ignore[attr-defined]
    monkeypatch.setattr(minilm_torch, "torch_available", lambda: False)
    assert model._forward_for(TORCH_FROM) == model._forward and model._torch is None  # type: ignore[attr-defined]
    monkeypatch.undo()
    assert model._forward_for(TORCH_FROM) is model._torch is not None  # type: ignore[attr-defined]


def test_unknown_backend_is_refused():
    from scent.embed.minilm import MiniLM

    with pytest.raises(ValueError, match="backend"):
        MiniLM(backend="onnx")

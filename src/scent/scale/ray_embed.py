"""`RayEmbedder`: an Embedder whose `embed` splits its texts into chunks embedded on Ray workers (each worker loads
the embedder once), concatenated in order: the same vectors as embedding them here, in parallel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from scent.config import EmbedConfig, RayConfig

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from scent.protocols import Embedder


def embed_chunk(spec: str, config: EmbedConfig, local_only: bool, texts: list[str]) -> NDArray[np.float32]:
    """A Ray task: one chunk of texts embedded with the worker's (cached) embedder."""
    from scent.embed import load_embedder
    from scent.scale.ray_pool import worker_cache

    embedder = worker_cache(("embedder", spec, config.model_dump_json(), local_only),
                            lambda: load_embedder(spec, config, local_only))
    return embedder.embed(texts)


class RayEmbedder:
    """`local` (loaded here, for its spec and size and for query vectors) with `embed` fanned out over Ray."""

    def __init__(self, local: Embedder, config: EmbedConfig, local_only: bool, ray: RayConfig) -> None:
        self.local, self.config, self.local_only, self.ray = local, config, local_only, ray
        self.spec = local.spec

    @property
    def dim(self) -> int:
        return self.local.dim

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        import numpy as np

        from scent.scale.ray_pool import ordered_map

        size = self.ray.embed_chunk
        if len(texts) <= size:
            return self.local.embed(texts)
        calls = [(self.spec, self.config, self.local_only, list(texts[i : i + size]))
                 for i in range(0, len(texts), size)]
        return np.concatenate(list(ordered_map(embed_chunk, calls, self.ray)))

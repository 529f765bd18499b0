"""The embedders' error, in a module of its own so that backends raise it without importing the package that
loads them."""

from __future__ import annotations


class EmbedError(RuntimeError):
    """An embedder that cannot be loaded or called; the message says what to do."""

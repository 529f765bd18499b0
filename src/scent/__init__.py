"""scent: an open deep-research search agent for private document collections.

Nothing heavy happens at import time; `scent.Index` is resolved lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Hit", "Index", "Passage"]

if TYPE_CHECKING:
    from scent.index import Index
    from scent.types import Hit, Passage


def __getattr__(name: str) -> Any:
    if name == "Index":
        from scent.index import Index

        return Index
    if name in ("Hit", "Passage"):
        from scent import types

        return getattr(types, name)
    raise AttributeError(f"module 'scent' has no attribute {name!r}")

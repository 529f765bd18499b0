"""Index backends by URI scheme, one registry — the way `scent.llm.load_llm` resolves a model spec.

    backend_for(".scent")                      → the embedded folder index (a path: no scheme)
    backend_for("milvus://HOST:PORT/COLLECTION") → a Milvus collection

`BACKENDS` maps a scheme to "module:Class"; the module is imported on first use (nothing heavy at import time),
and the class is an `scent.protocols.IndexBackend`. Adding a backend is one module with that class plus one line
here (docs/backends.md; tests/skeleton_backend.py is a worked example that the conformance suite runs against).
A location whose scheme is not registered is a folder path, as it always was.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

from scent.backends.errors import BackendError

if TYPE_CHECKING:
    from scent.config import RetrievalConfig, ScentConfig
    from scent.protocols import IndexBackend

FOLDER = ""  # the scheme of a plain path
BACKENDS: dict[str, str] = {
    FOLDER: "scent.backends.folder:FolderBackend",
    "milvus": "scent.backends.milvus:MilvusBackend",
}
# A typer Path option collapses "//" into "/": milvus://h:1/c arrives as milvus:/h:1/c, read the same way
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):/")
_loaded: dict[str, IndexBackend] = {}


def scheme_of(location: str | Path) -> str:
    """The registered scheme of a location, or "" (a folder)."""
    match = _SCHEME.match(str(location))
    return match["scheme"].lower() if match and match["scheme"].lower() in BACKENDS else FOLDER


def backend_for(location: str | Path) -> IndexBackend:
    """The backend of a location (imported once); BackendError when its registry entry cannot be loaded."""
    scheme = scheme_of(location)
    target = BACKENDS[scheme]
    backend = _loaded.get(target)
    if backend is None:
        module, _, name = target.partition(":")
        try:
            backend = getattr(importlib.import_module(module), name)()
        except (ImportError, AttributeError) as e:
            raise BackendError(f"the index backend for {scheme or 'folders'}:// ({target}) cannot load: {e}") from None
        _loaded[target] = backend
    return backend


def retrieval_settings(cfg: ScentConfig | None, retriever: str | None) -> RetrievalConfig | None:
    """The config's retrieval settings with `retriever` (already checked) over them; None: the defaults."""
    from scent.config import RetrievalConfig

    retrieval = cfg.retrieval if cfg is not None else None
    if retriever is None:
        return retrieval
    return (retrieval or RetrievalConfig()).model_copy(update={"retriever": retriever})


__all__ = ["BACKENDS", "BackendError", "backend_for", "scheme_of"]

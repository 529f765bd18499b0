"""The errors of every index backend, one set whatever the backend: each backend module translates its own
(a folder's `IndexNotFoundError`, a Milvus server's `MilvusUnavailable`, …) into these at its boundary, so the
wiring layer (`scent.app`) and the commands handle one family. The message always says what to fix."""

from __future__ import annotations


class BackendError(RuntimeError):
    """An index that cannot be used as asked (a RuntimeError, as the Milvus errors it replaces at the boundary)."""


class BadLocation(BackendError):
    """A location that does not parse for its scheme (e.g. `milvus://host/collection` without a port)."""


class IndexNotFound(BackendError):
    """No index at that location (or an empty one)."""


class IndexAccess(BackendError):
    """The index exists but this user or process cannot open it (permissions, a lock)."""


class IndexUnavailable(BackendError):
    """The server holding the index does not answer."""


class IndexIncompatible(BackendError):
    """The index was not made by scent, by another format of it, or with another embedder."""

"""The interfaces of scent. Everything else is concrete and duck-typed against these."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from scent.types import Hit, Passage


@runtime_checkable
class Index(Protocol):
    """A searchable collection of passages."""

    def search(self, query: str, k: int = 10) -> list[Hit]:
        """Return the `k` best passages for `query`, best first."""
        ...

    def get(self, passage_id: str) -> Passage | None:
        """Return one passage by id, or None."""
        ...

    def neighbours(self, passage_id: str, before: int = 1, after: int = 1) -> list[Passage]:
        """Return the passage and its neighbours in the same document, in document order."""
        ...

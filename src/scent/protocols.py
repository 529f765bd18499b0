"""The interfaces of scent. Everything else is concrete and duck-typed against these."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, Self, runtime_checkable

from scent.types import Action, Completion, Hit, Message, Passage, Request

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    from numpy.typing import NDArray

    from scent.config import IngestConfig, ScentConfig
    from scent.types import IngestSummary


@runtime_checkable
class Index(Protocol):
    """A searchable collection of passages: what the agent needs of an `OpenIndex` (the same `search` signature, so
    every backend's index is one)."""

    def search(self, query: str, k: int = 10, snippets: bool = False, retriever: str | None = None) -> list[Hit]:
        """Return the `k` best passages for `query`, best first; a "quoted phrase" matches exactly; `retriever`
        (bm25 | dense | hybrid | auto) overrides the index's default; `snippets` adds a query-focused excerpt."""
        ...

    def get(self, passage_id: str) -> Passage | None:
        """Return one passage by id, or None."""
        ...

    def neighbours(self, passage_id: str, before: int = 1, after: int = 1) -> list[Passage]:
        """Return the passage and its neighbours in the same document, in document order."""
        ...


@runtime_checkable
class OpenIndex(Protocol):
    """An index as the front ends use it (`IndexBackend.open`, `scent.app.open_index`): the embedded folder
    (`scent.index.Index`), a Milvus collection (`scent.milvus.index.MilvusIndex`), or any registered backend's. The
    agent needs only what `Index` names; the CLI, the servers and the evaluation also list documents, count, and
    choose or check the retriever."""

    def search(self, query: str, k: int = 10, snippets: bool = False, retriever: str | None = None) -> list[Hit]:
        """The `k` best passages, best first; `snippets` adds a query-focused excerpt to each."""
        ...

    def get(self, passage_id: str) -> Passage | None:
        ...

    def neighbours(self, passage_id: str, before: int = 1, after: int = 1) -> list[Passage]:
        ...

    def resolve(self, retriever: str | None = None) -> str:
        """bm25 | dense | hybrid for a requested retriever (None: the configured one; auto: hybrid when the index
        has vectors, else bm25); ValueError for an unknown one."""
        ...

    def embedder(self) -> Embedder:
        """The embedder the index's vectors were made with (loaded once); VectorsError when it has none or the
        embedder cannot run here."""
        ...

    def has_vectors(self) -> bool:
        """Whether the index holds dense vectors."""
        ...

    def get_many(self, ids: Sequence[str]) -> dict[str, Passage]:
        """The passages of those ids that the index holds."""
        ...

    def document_passages(self, docid: str) -> list[Passage]:
        """Every passage of a document (its path, or path#record for a corpus record), in document order."""
        ...

    def list_documents(self, limit: int = 100, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
        """(number of indexed documents, one page of them by path: dicts of path, title, kind, passages)."""
        ...

    def stats(self) -> dict[str, int]:
        """{"documents": n, "passages": n}."""
        ...

    def close(self) -> None:
        ...

    def __enter__(self) -> Self:
        ...

    def __exit__(self, *exc: object) -> None:
        ...


@runtime_checkable
class IndexBackend(Protocol):
    """One kind of index, named by the scheme of its location (`scent.backends.BACKENDS`): the embedded folder (a
    path, no scheme) or `milvus://HOST:PORT/COLLECTION`. Its methods raise `scent.backends.errors.BackendError`s
    (not found, access, unavailable, incompatible) with a message that says what to fix."""

    def open(self, location: str, cfg: ScentConfig | None = None, retriever: str | None = None,
             embedder: Embedder | None = None) -> OpenIndex:
        """Open the index for search, with the config's retrieval (and `retriever`, already checked, over it);
        `embedder` replaces the one its vectors name (tests)."""
        ...

    def build(self, location: str, paths: Sequence[Path], cfg: ScentConfig | None = None,
              ingest: IngestConfig | None = None, embedder: Embedder | None = None,
              progress: Callable[[str, int], None] | None = None) -> IngestSummary:
        """Bring the index up to date with the files under `paths` (created when missing): the one incremental
        diff (`scent.ingest.diff`), so only new or changed files are read; with `embedder`, their vectors too."""
        ...

    def sync_vectors(self, location: str, embedder: Embedder, cfg: ScentConfig | None = None,
                     progress: Callable[[str, int], None] | None = None,
                     rebuild: bool = False) -> dict[str, Any] | None:
        """Embed the passages that have no vector yet, drop those of passages gone; a summary (embedded, removed,
        total, embedder, dim, …), or None when the backend writes vectors with the passages (in `build`)."""
        ...

    def vectors_embedder(self, location: str, cfg: ScentConfig | None = None) -> str | None:
        """The embedder the index's vectors were made with: a spec, "" for an index without vectors, None when
        nothing is recorded yet (no index, or a folder never given vectors)."""
        ...

    def label(self, location: str) -> str:
        """How the index is recorded in settings and traces (a folder's absolute path, a normalised URI)."""
        ...

    def traces_folder(self, location: str) -> Path:
        """Where runs over the index keep their traces."""
        ...


@runtime_checkable
class LLM(Protocol):
    """A chat model. Backends: `scent.llm.load_llm("llamacpp:…" | "openai:URL#MODEL" | "scripted:FILE")`;
    tracing, metering, recording and replay wrap one with hooks (`scent.llm.wrap`)."""

    spec: str
    json_repairs: int

    def call(self, request: Request) -> Completion:
        """One raw call: no schema check, no repair turn (what hooks see)."""
        ...

    def complete(self, messages: list[Message], *, schema: dict[str, Any] | None = None,
                 tools: list[dict[str, Any]] | None = None, max_tokens: int = 512, temperature: float = 0.0,
                 stop: list[str] | None = None, on_token: Callable[[str], None] | None = None) -> Completion:
        """One chat completion; with `schema`, `Completion.json_value` is valid against it (or it raises)."""
        ...

    async def acomplete(self, messages: list[Message], **kwargs: Any) -> Completion:
        """The same call without blocking the event loop."""
        ...


@runtime_checkable
class Embedder(Protocol):
    """Text → vectors. Backends: `scent.embed.load_embedder("minilm" | "openai:URL#MODEL")`."""

    spec: str

    @property
    def dim(self) -> int:
        """The vector size."""
        ...

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One L2-normalised float32 row per text, in order (shape `(len(texts), dim)`); never raises on empty or
        over-long text (the backend truncates by its documented policy)."""
        ...


@runtime_checkable
class Policy(Protocol):
    """What acts in an RL episode (`scent.rl.run_episode`): the next action from the latest observation (the task
    prompt first, then each tool's output). A policy that needs the whole conversation keeps it itself."""

    def act(self, observation: str) -> Action:
        """The next action: a tool call, `answer` or `abstain`."""
        ...

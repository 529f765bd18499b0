"""Typed configuration, one object per component."""

from __future__ import annotations

from pydantic import BaseModel, Field

SUPPORTED_EXTENSIONS = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".jsonl")


class ChunkConfig(BaseModel):
    """How extracted text is cut into passages."""

    target_words: int = Field(150, ge=10, description="Stop growing a passage once it holds this many words.")
    max_words: int = Field(300, ge=20, description="Never exceed this; longer sentences are cut at spaces.")


class IngestConfig(BaseModel):
    """Which files `scent index` reads and how."""

    include: list[str] = Field(
        default_factory=list,
        description="Glob patterns (matched against the path relative to the root and against the file name); "
        "empty means every supported extension.",
    )
    exclude: list[str] = Field(default_factory=list, description="Glob patterns of files or folders to skip.")
    max_file_mb: float = Field(50.0, gt=0, description="Files larger than this are skipped and reported.")
    chunk: ChunkConfig = Field(default_factory=ChunkConfig)
    commit_every_passages: int = Field(
        20_000, ge=1, description="Commit to disk after roughly this many passages (bounds work lost on a kill)."
    )


class SearchConfig(BaseModel):
    """BM25 index settings."""

    writer_heap_mb: int = Field(256, ge=16, description="Tantivy indexing memory budget.")

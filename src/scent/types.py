"""Data shared across components. Every type is JSON-serialisable (pydantic)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Passage(BaseModel):
    """A paragraph-sized span of one document, with its provenance."""

    id: str = Field(description="Content hash (or the id given by a corpus file); stable across re-index.")
    path: str = Field(description="Document path relative to the indexed root (a corpus file for JSONL).")
    source_id: str | None = Field(default=None, description="Record id inside a corpus file.")
    title: str = Field(description="Document title (corpus files: the record's title).")
    headings: list[str] = Field(default_factory=list, description="Section heading path, outermost first.")
    page: int | None = Field(default=None, description="1-based page number (PDF only).")
    start: int = Field(description="Start offset (characters) in the document's extracted text.")
    end: int = Field(description="End offset (exclusive); text == extracted_text[start:end].")
    seq: int = Field(description="Position of the passage within its document, from 0.")
    text: str


class Hit(Passage):
    """A passage returned by a search, with its score and a query-focused snippet."""

    score: float
    snippet: str = ""


IssueStatus = Literal["skipped", "partial"]


class IngestIssue(BaseModel):
    """One problem met while ingesting: the file was skipped, or only partly read."""

    path: str
    status: IssueStatus
    reason: str = Field(description="Short machine-readable cause, e.g. 'encrypted-pdf', 'invalid-json'.")
    detail: str = ""
    line: int | None = Field(default=None, description="1-based line number, for corpus JSONL files.")


class IngestSummary(BaseModel):
    """What one `scent index` run changed."""

    index: str
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: int = 0
    partial: int = 0
    passages_added: int = 0
    passages_removed: int = 0
    passages_total: int = 0
    documents_total: int = 0
    seconds: float = 0.0
    interrupted: bool = False

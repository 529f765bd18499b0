"""Data shared across components. Every type is JSON-serialisable.

Passages and hits are plain slotted dataclasses, not pydantic models: they are built by the hundred thousand
when indexing and ten at a time per query, where pydantic's construction cost was most of scent's search time
(BENCHMARKS.md). `dataclasses.asdict` serialises them; pydantic models may hold them as fields.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field


@dataclass(slots=True, kw_only=True)
class Passage:
    """A paragraph-sized span of one document, with its provenance.

    id: content hash (or the id given by a corpus file), stable across re-index. path: document path relative to
    the indexed root (the corpus file for JSONL). source_id: record id inside a corpus file. title: document
    title (corpus files: the record's). headings: section heading path, outermost first. page: 1-based (PDF).
    start/end: character offsets, so that text == extracted_text[start:end]. seq: position in the document.
    """

    id: str
    path: str
    title: str
    text: str
    start: int
    end: int
    seq: int
    source_id: str | None = None
    headings: list[str] = field(default_factory=list)
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def document(self) -> str:
        """What counts as one document: the file, or one record of a corpus file."""
        return document_key(self.path, self.source_id)


def document_key(path: str, source_id: str | None) -> str:
    return f"{path}#{source_id}" if source_id is not None else path


@dataclass(slots=True, kw_only=True)
class Hit(Passage):
    """A passage returned by a search, with its score and (on request) a query-focused snippet. `also_in`: the
    other documents of its duplicate group (scent.index.groups), as paths are shown; left out of `to_dict` when
    empty, so results without duplicates serialise as before."""

    score: float
    snippet: str = ""
    also_in: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        if not self.also_in:
            del out["also_in"]
        return out


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


class Evidence(BaseModel):
    """One item of the evidence ledger: a verbatim quote from a passage."""

    id: str = Field(description="Content hash of (passage id, quote): the id the writer cites.")
    passage_id: str
    path: str
    title: str
    headings: list[str] = Field(default_factory=list)
    page: int | None = None
    source_id: str | None = Field(default=None, description="Record id, for a passage of a corpus file.")
    quote: str = Field(description="A span that occurs verbatim in the passage text.")
    question: str = Field(default="", description="The (sub-)question it was found for.")


class Citation(BaseModel):
    n: int
    id: str = Field(description="The cited passage id.")
    evidence_id: str
    path: str
    title: str
    quote: str
    supported: bool = True
    source_id: str | None = None


class Usage(BaseModel):
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    searches: int = 0
    opens: int = 0
    seconds: float = 0.0


class Answer(BaseModel):
    """The result of `scent ask` / `scent research`."""

    question: str
    answer: str
    explanation: str = ""
    abstained: bool = False
    confidence: float = 0.0
    citations: list[Citation] = Field(default_factory=list)
    closest: list[Citation] = Field(default_factory=list, description="When abstaining: the nearest evidence.")
    status: Literal["complete", "partial", "budget_exhausted"] = "complete"
    usage: Usage = Field(default_factory=Usage)
    trace: str | None = None
    report: str | None = Field(default=None, description="The markdown report (`scent research`).")
    report_data: dict[str, Any] | None = Field(default=None, description="The research report as JSON: sections, "
                                               "claims, references, gaps, counts (`scent.research`).")
    abstain_reason: str | None = Field(default=None, description="Why it abstained: absent (a key term of the "
                                       "question occurs nowhere in the corpus), no_evidence, ungrounded (no "
                                       "answer found in the passages), disagree (more views say unknown than back "
                                       "the best answer), "
                                       "low_confidence, writer_failed.")
    draft: str = Field(default="", description="The answer before abstention: what the confidence is about.")
    signals: dict[str, float] = Field(default_factory=dict, description="The calibrator's inputs.")
    decided_by: str = Field(default="", description="writer (views voting) | program (a computed comparison).")
    evidence_ids: list[str] = Field(default_factory=list, description="The passages the writer read, in order.")
    retrieved_ids: list[str] = Field(default_factory=list, description="Every passage a tool returned, in order.")
    views: list[dict[str, Any]] = Field(default_factory=list, description="Each writer view's reply and grounding.")


# The chat models' data: what a backend receives (`Request`) and returns (`Completion`); see `scent.llm`.
Message = dict[str, Any]  # OpenAI chat format: {"role": "system"|"user"|"assistant"|"tool", "content": str, ...}


class TokenUsage(BaseModel):
    """The tokens of one model call (retries and JSON repairs summed); `scent.types.Usage` is a whole run's."""

    prompt_tokens: int = 0
    completion_tokens: int = 0


class ToolCall(BaseModel):
    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class Completion(BaseModel):
    """One chat completion: the text, its parsed JSON (when a schema was given), tool calls, usage, timing."""

    model: str
    text: str
    json_value: Any = Field(default=None, alias="json", description="Parsed and schema-validated JSON.")
    tool_calls: list[ToolCall] = Field(default_factory=list)
    usage: TokenUsage = Field(default_factory=TokenUsage)
    latency_ms: float = 0.0
    reasoning: str = Field(default="", description="<think> text stripped from the answer (kept for the trace).")
    finish_reason: str = ""
    attempts: int = Field(default=1, description="Calls made, counting retries and JSON repairs.")
    replayed: bool = Field(default=False, description="Served from a trace by `scent resume`, not the model.")

    model_config = {"populate_by_name": True}


@dataclass
class Request:
    """One raw model call, as a backend receives it (a schema-checked `complete` may make several: repairs)."""

    messages: list[Message]
    schema: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    max_tokens: int = 512
    temperature: float = 0.0
    stop: list[str] | None = None
    on_token: Callable[[str], None] | None = None


@dataclass(slots=True)
class Action:
    """What an RL policy does (`scent.rl`): a tool name and its arguments; `text` is what the model wrote with it
    (exported)."""

    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)
    text: str = ""

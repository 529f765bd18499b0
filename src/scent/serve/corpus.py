"""The read-only tools over one index, shared by the HTTP API and the MCP server.

Each public method is a typed function whose docstring (a summary and an `Args:` section, the convention of
`scent.tools`) is its schema: FastAPI and the MCP SDK both read the signature, and `scent.tools.tool_schema`
reads it for the agent's function-calling format. A parameter the agent's tools also take (query, passage_id,
window) is described, and limited, by `scent.tools` (`described_by`): one declaration of the tool surface.
Identifiers are only ever looked up in the index (its SQLite store or Milvus collection), never joined to a
file-system path, so `../` or `/etc/passwd` as an id is simply "not found".
Shapes follow BrowseComp-Plus's `search` / `get_document` (`docid`, `score`, `snippet`; `docid`, `text`).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from typing import Any

from pydantic import BaseModel, Field

from scent.tools import MAX_WINDOW, Tools, described_by
from scent.types import Hit, Passage, document_key

MAX_K = 50
MAX_ID = 512
DEEPEST = 10_000  # how deep a path-filtered search goes on a backend that cannot rank ids alone


def public_error(message: str, name: str) -> str:
    """An index's error message without the server's disk paths in it: absolute paths become the index's name."""
    return re.sub(r"(?<![\w.])(?:/[^\s'\"`:,;()]+)+", f"<index {name}>", message)


class NotFound(LookupError):
    """An id or name that the served index does not hold (HTTP 404)."""


class BadRequest(ValueError):
    """A parameter out of range or malformed (HTTP 422)."""


class SearchHit(BaseModel):
    id: str = Field(description="The passage id (a content hash): pass it to `read` or cite it.")
    docid: str = Field(description="The document: its path, or path#record for a record of a corpus file.")
    score: float
    title: str
    path: str
    headings: list[str] = Field(default_factory=list, description="Section headings, outermost first.")
    page: int | None = Field(default=None, description="1-based page (PDF).")
    snippet: str = Field(description="A query-focused excerpt of the passage.")


class PassageView(BaseModel):
    id: str
    docid: str
    path: str
    title: str
    headings: list[str] = Field(default_factory=list)
    page: int | None = None
    seq: int = Field(description="Position of the passage in its document (0-based).")
    start: int = Field(description="Character offset of the passage in the document's extracted text.")
    end: int
    source_id: str | None = None
    text: str


class ReadResult(BaseModel):
    passage: PassageView
    before: list[PassageView] = Field(default_factory=list, description="Neighbouring passages before it.")
    after: list[PassageView] = Field(default_factory=list, description="Neighbouring passages after it.")


class DocumentView(BaseModel):
    docid: str
    path: str
    title: str
    text: str = Field(description="The passages of the document joined by blank lines.")
    passages: list[PassageView]


class Source(BaseModel):
    docid: str
    path: str
    title: str
    kind: str
    passages: int


class SourceList(BaseModel):
    total: int
    sources: list[Source]


class Verification(BaseModel):
    passage_id: str
    verbatim: bool = Field(description="The quote occurs in the passage (whitespace- and case-insensitive).")
    matched: str | None = Field(default=None, description="The quote as it occurs in the passage.")
    claim_terms_in_quote: float | None = Field(
        default=None, description="Share of the claim's content words found in the quote (a lexical support "
        "signal; no model is asked). None without a claim.")


def stem(word: str) -> str:
    """A crude English stem, enough to match plurals and verb forms ("connections" ~ "connection", "defaults" ~
    "default", "limited" ~ "limit")."""
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: len(word) - len(suffix)] + keep
    return word


def claim_terms_in_quote(claim: str, quote: str) -> float:
    """The share of the claim's content words (`scent.text.content_words`) found in the quote, matched by stem;
    an identifier (max_connections, shared_buffers) counts by the share of its parts found. 0.0 when the claim
    has no content word."""
    from scent.text import content_words

    found = {stem(w) for w in content_words(quote.replace("_", " "))}
    words = content_words(claim)
    if not words:
        return 0.0
    score = 0.0
    for word in words:
        parts = [p for p in re.split(r"[_.]+", word) if p]
        if len(parts) > 1 and stem(word) not in found:
            score += sum(stem(p) in found for p in parts) / len(parts)
        else:
            score += stem(word) in found
    return round(score / len(words), 4)


def as_hit(p: Passage, score: float) -> Hit:
    return Hit(**{f.name: getattr(p, f.name) for f in dataclasses.fields(Passage)}, score=score)


def view(p: Passage) -> PassageView:
    return PassageView(id=p.id, docid=document_key(p.path, p.source_id), path=p.path, title=p.title,
                       headings=list(p.headings), page=p.page, seq=p.seq, start=p.start, end=p.end,
                       source_id=p.source_id, text=p.text)


def check_id(value: str, what: str = "passage id") -> str:
    if not value or len(value) > MAX_ID or any(ord(c) < 32 for c in value):
        raise BadRequest(f"a {what} is 1-{MAX_ID} printable characters")
    return value


class Corpus:
    """The tools over one open index (`scent.index.Index`)."""

    def __init__(self, index: Any, name: str) -> None:
        self.index = index
        self.name = name

    def stats(self) -> dict[str, Any]:
        stats = dict(self.index.stats())
        return {"name": self.name, **stats, "vectors": self.index.has_vectors(),
                "retriever": self.index.resolve()}

    @described_by(Tools.search)
    def search(self, query: str, k: int = 10, retriever: str = "auto", path: str = "") -> list[SearchHit]:
        """Search the documents for passages matching a query: keywords (BM25), by meaning when the index has
        vectors, or both fused; "quoted phrases" match exactly.

        Args:
            k: how many passages to return (1-50)
            retriever: bm25 | dense | hybrid | auto (auto: hybrid when the index has vectors, else bm25)
            path: only passages of documents whose path matches this glob, e.g. "admin/*.html" (empty: all)
        """
        if not query.strip():
            raise BadRequest("the query is empty")
        if not 1 <= k <= MAX_K:
            raise BadRequest(f"k must be between 1 and {MAX_K}")
        try:
            self.index.resolve(retriever)
        except ValueError as e:
            raise BadRequest(str(e)) from None
        from scent.index.dense import VectorsError

        try:
            hits = self._filtered(query, k, retriever, path) if path else self.index.search(
                query, k, snippets=True, retriever=retriever)
        except VectorsError as e:  # dense/hybrid asked of an index without vectors, or no embedder here
            raise BadRequest(public_error(str(e), self.name)) from None
        return [SearchHit(id=h.id, docid=document_key(h.path, h.source_id), score=round(h.score, 6), title=h.title,
                          path=h.path, headings=list(h.headings), page=h.page, snippet=h.snippet) for h in hits[:k]]

    def _filtered(self, query: str, k: int, retriever: str, path: str) -> list[Hit]:
        """The `k` best passages of the documents whose path matches the glob `path`. The filter is part of the
        query: first the top k x 8 of the whole index (enough when the glob matches much of it), else the
        ranking goes as deep as the index (ids only where the backend ranks without fetching, `ranked`) and
        keeps the passages of the matching documents, however far down they rank."""
        from scent.index.snippet import snippet

        def matching(found: list[Hit]) -> list[Hit]:
            return [h for h in found if fnmatch.fnmatchcase(h.path, path)]

        hits = matching(self.index.search(query, k * 8, retriever=retriever))
        passages = int(self.index.stats().get("passages", 0)) if hasattr(self.index, "stats") else 0
        if len(hits) < k and passages > k * 8:
            ranked = getattr(self.index, "ranked", None)
            if ranked is None:  # a backend that ranks only with the passages: one deeper search
                hits = matching(self.index.search(query, min(passages, DEEPEST), retriever=retriever))
            else:
                allowed = self._passage_ids(path)
                order = [(pid, score) for pid, score in ranked(query, passages, retriever) if pid in allowed][:k]
                found = self.index.get_many([pid for pid, _ in order])
                hits = [as_hit(found[pid], score) for pid, score in order if pid in found]
        hits = hits[:k]
        for hit in hits:
            hit.snippet = snippet(hit.text, query)
        return hits

    def _passage_ids(self, glob: str) -> set[str]:
        """The ids of every passage of the documents whose path matches `glob`."""
        ids: set[str] = set()
        offset = 0
        while True:
            total, rows = self.index.list_documents(1000, offset)
            for row in rows:
                if fnmatch.fnmatchcase(row["path"], glob):
                    ids.update(p.id for p in self.index.document_passages(row["path"]))
            offset += len(rows)
            if not rows or offset >= total:
                return ids

    @described_by(Tools.open_document)
    def read(self, passage_id: str, window: int = 1) -> ReadResult:
        """Read a passage in full, with its neighbouring passages from the same document and its provenance."""
        check_id(passage_id)
        if not 0 <= window <= MAX_WINDOW:
            raise BadRequest(f"window must be between 0 and {MAX_WINDOW}")
        around = self.index.neighbours(passage_id, window, window)
        target = next((p for p in around if p.id == passage_id), None)
        if target is None:
            raise NotFound(f"no passage {passage_id!r} in the index {self.name!r}")
        return ReadResult(passage=view(target), before=[view(p) for p in around if p.seq < target.seq],
                          after=[view(p) for p in around if p.seq > target.seq])

    def get_document(self, docid: str) -> DocumentView:
        """A whole document: every passage in order, and their text joined.

        Args:
            docid: the document's docid from search (its path, or path#record), or the id of any of its passages
        """
        check_id(docid, "docid")
        passages = self._document(docid)
        if not passages:
            raise NotFound(f"no document {docid!r} in the index {self.name!r}")
        first = passages[0]
        return DocumentView(docid=document_key(first.path, first.source_id), path=first.path, title=first.title,
                            text="\n\n".join(p.text for p in passages), passages=[view(p) for p in passages])

    def _document(self, docid: str) -> list[Passage]:
        if self.index.get(docid) is not None:  # a passage id: its whole document (or corpus record)
            return list(self.index.neighbours(docid, 10**9, 10**9))
        return list(self.index.document_passages(docid))

    def list_sources(self, limit: int = 100, offset: int = 0) -> SourceList:
        """The documents of the index, by path.

        Args:
            limit: how many documents to list (1-1000)
            offset: how many to skip (for paging)
        """
        if not 1 <= limit <= 1000 or offset < 0:
            raise BadRequest("limit must be between 1 and 1000 and offset at least 0")
        total, rows = self.index.list_documents(limit, offset)
        return SourceList(total=total, sources=[Source(docid=r["path"], path=r["path"], title=r["title"],
                                                       kind=r["kind"], passages=r["passages"]) for r in rows])

    def verify_citation(self, passage_id: str, quote: str, claim: str = "") -> Verification:
        """Check a citation: does this quote occur verbatim in this passage, and how much of the claim does it
        cover (the share of the claim's content words found in the quote).

        Args:
            passage_id: the cited passage's id
            quote: the text quoted from it
            claim: the statement the quote is meant to support (optional)
        """
        from scent.agent.ledger import find_verbatim

        check_id(passage_id)
        passage = self.index.get(passage_id)
        if passage is None:
            raise NotFound(f"no passage {passage_id!r} in the index {self.name!r}")
        matched = find_verbatim(passage.text, quote)
        share = claim_terms_in_quote(claim, quote) if claim.strip() else None
        return Verification(passage_id=passage_id, verbatim=matched is not None, matched=matched,
                            claim_terms_in_quote=share)

"""What a research report is made of: typed, JSON-serialisable results (no behaviour beyond counting)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

GapReason = Literal["no_passages", "unverified", "budget", "absent"]


@dataclass(slots=True)
class Reference:
    """One cited quote: numbered as in the report, with where it is and the paragraph it is quoted from."""

    n: int
    evidence_id: str
    passage_id: str
    path: str
    title: str
    headings: list[str]
    page: int | None
    quote: str
    passage: str  # the whole passage text, so a reader (and the HTML output) sees the quote in its paragraph
    source_id: str | None = None

    @property
    def document(self) -> str:
        return f"{self.path}#{self.source_id}" if self.source_id is not None else self.path

    @property
    def where(self) -> str:
        """Heading path and page, for the references list."""
        return " › ".join(self.headings) + (f", page {self.page}" if self.page else "")


@dataclass(slots=True)
class Claim:
    """One sentence (or bullet) of the report and the references it cites. `text` is the passage's own words
    (`rewritten` false) or a model's shorter wording that the program found grounded in the quote."""

    text: str
    refs: list[int]
    rewritten: bool = False
    topic: str = ""  # in the summary: the section the claim restates
    facet: str = ""  # in a section: the facet of the question the claim answers ("when to use"), when one


@dataclass(slots=True)
class Section:
    title: str
    query: str
    origin: str  # how the outline found it: enumeration | structure | cluster
    heading: list[str] = field(default_factory=list)  # the heading path of its best source, once researched
    claims: list[Claim] = field(default_factory=list)
    cut: int = 0  # claims dropped because their citation did not verify
    searches: int = 0
    read: list[str] = field(default_factory=list)  # passage ids whose sentences were considered
    gap: GapReason | None = None  # set when the section has no verified claim (it is then not in the report body)
    unanswered: list[str] = field(default_factory=list)  # facets of the question no verified claim answers


@dataclass(slots=True)
class ResearchReport:
    question: str
    title: str
    sections: list[Section]
    references: list[Reference]
    summary: list[Claim]
    status: Literal["complete", "partial"] = "complete"
    stopped: str | None = None  # which budget ended the research early (steps | tokens | seconds)
    counts: dict[str, int] = field(default_factory=dict)  # searches, documents_read, passages_cited, …
    facets: list[str] = field(default_factory=list)  # what the question asks of each section ("what it is", …)
    subject: list[str] = field(default_factory=list)  # what every section is about ("index")
    off_topic: list[str] = field(default_factory=list)  # sections researched but found not about the subject

    @property
    def claims(self) -> list[Claim]:
        """Every claim of the report body (the summary only restates some of them)."""
        return [c for s in self.sections for c in s.claims]

    @property
    def written(self) -> list[Section]:
        return [s for s in self.sections if s.gap is None]

    @property
    def gaps(self) -> list[Section]:
        return [s for s in self.sections if s.gap is not None]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["gaps"] = [{"title": s.title, "reason": s.gap} for s in self.gaps]
        return out

"""What the extractors read off passages: facts (a subject, one attribute, its value as a span of the passage) and
blocks (the stretch of a document about one subject, with the other subjects it mentions, for bridge tasks).

Each fact carries its own question wording, so a candidate task is a fact plus a way of naming its subject:
    ask   "What is the default value of {s}?"        (single: s = named; bridge: s = "that <noun>")
    named "the configuration parameter max_connections"
A comparable fact also carries a number and the comparison question ("Which …, {a} or {b}?").
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Fact:
    """One attribute of one subject, held by one passage (the gold passage) that names both."""

    passage_id: str
    family: str        # subjects of one family can be compared and bridged: pg-setting, py-callable, person …
    subject: str       # the subject as the passage writes it, e.g. max_connections, os.set_blocking
    noun: str          # what the subject is: "configuration parameter", "function", "person"
    attribute: str     # default | type | returns | example | column-type | references | added | param:NAME | born …
    value: str         # the answer: a span of the passage's text
    ask: str           # the question, with {s} where the subject is named
    named: str         # the subject as a question names it: "the configuration parameter max_connections"
    number: float | None = None   # the value as a number, when facts of this kind compare
    compare: str = ""             # "Which …, {a} or {b}?"; empty when the fact does not compare
    compare_key: str = ""         # facts compare only with facts of the same key (attribute and unit)
    larger_wins: bool = True      # the comparison's answer is the subject with the larger number (else smaller)
    short: str = ""               # the subject as a comparison names it (default: subject)
    group: str = ""               # compared facts are paired within a group (a document) first
    also: tuple[str, ...] = ()    # other ways to write the value, also golden answers ("100" for "100 connections")
    extractor: str = ""           # the generic extractor that read it (sentence, definition, table, label); "" for
                                  # the template extractors, named by family (extractor_of)
    refer: str = ""               # the value named through the subject ({s}): "the owner of {s}" (bridges)
    cue: tuple[str, ...] = ()     # words that state this relation in a passage (an unanswerable "not stated" check)

    @property
    def label(self) -> str:
        return self.short or self.subject

    def question(self, name: str | None = None) -> str:
        return self.ask.format(s=name if name is not None else self.named)


TEMPLATE_MODULES = {"pg-setting": "techdocs", "sql-function": "techdocs", "sql-call": "techdocs",
                    "pg-column": "techdocs", "py-callable": "techdocs", "person": "wiki", "thing": "wiki",
                    "work": "wiki", "place": "wiki", "relation": "wiki"}


def extractor_of(fact: Fact) -> str:
    """Which extractor made a fact: techdocs or wiki (templates), or generic:<kind>."""
    return f"generic:{fact.extractor}" if fact.extractor else TEMPLATE_MODULES.get(fact.family, fact.family)


@dataclass(slots=True)
class FactBlock:
    """The text about one subject (from its header to the next), possibly over several passages; `mentions` are
    the other known subjects of its family that it names."""

    family: str
    subject: str
    noun: str
    named: str
    passage_id: str    # the passage that holds the subject's header
    text: str
    closed: bool = True              # the block ends inside the document's text read (not cut off)
    mentions: set[str] = field(default_factory=set)


@dataclass(slots=True)
class Facts:
    """Everything the extractors found in a corpus."""

    facts: list[Fact] = field(default_factory=list)
    blocks: list[FactBlock] = field(default_factory=list)

    def extend(self, other: Facts) -> None:
        self.facts.extend(other.facts)
        self.blocks.extend(other.blocks)

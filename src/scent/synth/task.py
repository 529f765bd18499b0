"""A synthesized task before verification (`TaskCandidate`), its stable id, and the template name it records:
shared by the template and generic extractors (`synth.candidates`, `synth.linking`)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from scent.synth.facts import Fact

UNANSWERABLE = "unanswerable"


@dataclass(frozen=True)
class TaskCandidate:
    """A task before verification."""

    id: str
    kind: str
    question: str
    answer: str
    gold_ids: tuple[str, ...]      # the supporting passages, in hop order (empty for unanswerable)
    answer_passage: str            # the gold passage whose text holds the answer ("" for unanswerable)
    template: str                  # family:attribute of the fact asked about
    subjects: tuple[str, ...]      # the subjects the question is about (a bridge: A then B)
    hidden: tuple[str, ...] = ()   # what the question must not name: the bridge entity
    values: tuple[str, ...] = ()   # a comparison's compared values (must not be in the question either)
    alternatives: tuple[str, ...] = ()  # a comparison's losing option
    perturbed: str = ""            # unanswerable: the made-up subject
    source_id: str = ""            # unanswerable: the passage of the fact it perturbs
    also: tuple[str, ...] = ()     # other golden answers (another way to write the value)
    extractor: str = ""            # the extractor of the fact asked about: techdocs, wiki, generic:<kind>
    cue: tuple[str, ...] = ()      # unanswerable of a held subject: words that would state the relation asked
    rule_question: str = ""        # the rule's question when the writer's rephrasing replaced it (--rephrase)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskCandidate:
        fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**fields)


def make_id(kind: str, question: str, gold_ids: Iterable[str]) -> str:
    return hashlib.sha1("\x1f".join([kind, question, *gold_ids]).encode()).hexdigest()[:12]




def template_of(fact: Fact) -> str:
    """The template a fact's task records: its family and relation, or its generic extractor and relation."""
    if fact.extractor:  # a generic fact: its extractor and relation ("generic-table:owner")
        return f"generic-{fact.extractor}:{fact.attribute.split('@')[0].split(':')[-1]}"
    return f"{fact.family}:{fact.attribute.split(':')[0]}"

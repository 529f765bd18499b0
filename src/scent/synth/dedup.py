"""Duplicates across tasks: the one check that looks at more than one candidate, so the driver applies it against
the tasks already accepted (a candidate is never verified when an accepted task already covers it).

    duplicate       the same question after normalisation
    near_duplicate  the same kind, answer and gold passages (a comparison asked the other way round), or the same
                    answer with nearly the same question words (Jaccard >= 0.9: a rewording, not the same
                    template over two subjects, which differ in one word of ten)
"""

from __future__ import annotations

from scent.synth.candidates import TaskCandidate
from scent.text import normalize_answer

NEAR = 0.9


class Deduper:
    def __init__(self) -> None:
        self.questions: set[str] = set()
        self.keys: set[tuple[str, str, frozenset[str]]] = set()
        self.words_by_answer: dict[str, list[frozenset[str]]] = {}

    def check(self, c: TaskCandidate) -> str | None:
        """duplicate | near_duplicate | None against the tasks added so far."""
        question = normalize_answer(c.question)
        if question in self.questions:
            return "duplicate"
        answer = normalize_answer(c.answer)
        if c.kind != "unanswerable" and (c.kind, answer, frozenset(c.gold_ids)) in self.keys:
            return "near_duplicate"
        words = frozenset(question.split())
        for other in self.words_by_answer.get(answer, []):
            if len(words & other) / len(words | other) >= NEAR:
                return "near_duplicate"
        return None

    def add(self, c: TaskCandidate) -> None:
        question = normalize_answer(c.question)
        answer = normalize_answer(c.answer)
        self.questions.add(question)
        self.keys.add((c.kind, answer, frozenset(c.gold_ids)))
        self.words_by_answer.setdefault(answer, []).append(frozenset(question.split()))

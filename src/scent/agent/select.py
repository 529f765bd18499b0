"""Which whole passages the writer reads: a set that covers the question together, best set first.

Pure functions. A passage scores by the IDF-weighted share of the question's terms it holds (title included) plus
how well the searches ranked it. A set is grown greedily: each next passage is the one that adds the most
question terms not yet covered, with a bonus when it is linked to a chosen passage (one names the other's title:
the two sides of a bridge question) — so "the film" and "the actress it names" come together, and both sides of
a comparison, even when the second shares few words with the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scent.agent.relevance import idf, terms
from scent.agent.tuning import LINK_BONUS, PRIOR_WEIGHT, TITLE_BONUS
from scent.text import bare_title, mentions
from scent.types import Passage


@dataclass(frozen=True, slots=True)
class Scored:
    passage: Passage
    coverage: float  # IDF-weighted share of the question's terms in the title and text
    prior: float  # the searches' fused rank score, scaled to [0, 1]
    titled: bool = False  # the question names this passage's title ("Who is older, Annie Morton or …")

    @property
    def score(self) -> float:
        return self.coverage + PRIOR_WEIGHT * self.prior + TITLE_BONUS * self.titled


def _dedupe(passages: list[Passage]) -> list[Passage]:
    """The same paragraph stored twice (two corpora, two copies of a page) is read once."""
    seen: set[str] = set()
    out = []
    for p in passages:
        key = re.sub(r"\W+", " ", p.text.lower())[:300]
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def question_weights(question: str, passages: list[Passage]) -> dict[str, float]:
    """IDF over the pool of each of the question's terms: a term every passage holds says little."""
    weights = idf(terms(f"{p.title} {p.text}") for p in passages)
    return {t: weights.get(t, max(weights.values(), default=1.0)) for t in terms(question)}


def score(question: str, passages: list[Passage], prior: dict[str, float]) -> list[Scored]:
    """Every passage scored, best first (ties: the order found)."""
    passages = _dedupe(passages)
    weights = question_weights(question, passages)
    total = sum(weights.values()) or 1.0
    top = max(prior.values(), default=0.0) or 1.0
    scored = [Scored(p, sum(weights[t] for t in terms(f"{p.title} {p.text}") & weights.keys()) / total,
                     prior.get(p.id, 0.0) / top, mentions(question, bare_title(p.title))) for p in passages]
    order = {s.passage.id: i for i, s in enumerate(scored)}
    return sorted(scored, key=lambda s: (-s.score, order[s.passage.id]))


def linked(a: Passage, b: Passage, question: str) -> bool:
    """One passage names the other's title as written (a name, not a common phrase that a title happens to be),
    and that title is not simply named by the question."""
    return any(mentions(x.text, bare_title(y.title), exact_case=True) and not mentions(question, bare_title(y.title))
               for x, y in ((a, b), (b, a)))


def choose(question: str, scored: list[Scored], n: int, joint: bool = True) -> list[Scored]:
    """The `n` passages for the writer. `joint`: grown as a set (new question terms, links); else the best
    `n` by their own score."""
    if not joint or len(scored) <= 1:
        return scored[:n]
    weights = question_weights(question, [s.passage for s in scored])
    total = sum(weights.values()) or 1.0
    held = {s.passage.id: terms(f"{s.passage.title} {s.passage.text}") & weights.keys() for s in scored}
    chosen = [scored[0]]
    covered = set(held[scored[0].passage.id])
    rest = scored[1:]

    def gain(s: Scored, covered: set[str]) -> float:
        """New question terms, a link to a chosen passage, a subject of the question not yet represented (the
        other side of a comparison), and the passage's own score."""
        new = sum(weights[t] for t in held[s.passage.id] - covered) / total
        link = any(linked(s.passage, c.passage, question) for c in chosen)
        subject = s.titled and bare_title(s.passage.title).lower() not in {bare_title(c.passage.title).lower()
                                                                           for c in chosen}
        return new + LINK_BONUS * link + TITLE_BONUS * subject + 0.5 * s.score

    while rest and len(chosen) < n:
        best = max(rest, key=lambda s: gain(s, covered))  # max keeps the first of equals: the better-ranked one
        chosen.append(best)
        covered |= held[best.passage.id]
        rest.remove(best)
    return chosen


def coverage(question: str, passages: list[Passage], pool: list[Passage]) -> float:
    """IDF-weighted share of the question's terms that the passages hold together (weights over `pool`)."""
    weights = question_weights(question, pool or passages)
    total = sum(weights.values())
    if not total:
        return 0.0
    held = set().union(*(terms(f"{p.title} {p.text}") for p in passages)) if passages else set()
    return sum(w for t, w in weights.items() if t in held) / total

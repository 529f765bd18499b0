"""Which whole passages the writer reads: a set that covers the question together, best set first.

Pure functions. A passage scores by the IDF-weighted share of the question's terms it holds (title included) plus
how well the searches ranked it. A set is grown greedily: each next passage is the one that adds the most
question terms not yet covered, with a bonus when it is linked to a chosen passage (one names the other's title:
the two sides of a bridge question) — so "the film" and "the actress it names" come together, and both sides of
a comparison, even when the second shares few words with the question.

What retrieval found is kept on any corpus, manuals as well as encyclopaedias (issue 22, bench/passage_choice.py):
- dedup-aware: the same text stored twice (a page and its source twin, two copies of a file) is one passage,
  told by shared word shingles, not only by an identical opening, so a copy does not take a second seat;
- rank-aware: the first search's best passage is always read — where the search put first is where the answer
  most often is, whatever the term coverage of the others says;
- section-aware: a passage's section headings are words it holds ("8.6. The match statement"), a passage of the
  best passage's section is preferred (the rest of the entry), and a passage whose line opens with a name the
  question asks about ("work_mem (integer)") is about it, as an article is about its title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from scent.agent.relevance import idf, terms
from scent.agent.tuning import (
    DUPLICATE_SHARE,
    KEEP_RANKED,
    LINK_BONUS,
    PRIOR_WEIGHT,
    SECTION_BONUS,
    SECTION_LEVELS,
    SHINGLE_WORDS,
    TITLE_BONUS,
)
from scent.text import bare_title, code_names, mentions, title_name
from scent.types import Passage


@dataclass(frozen=True, slots=True)
class Scored:
    passage: Passage
    coverage: float  # IDF-weighted share of the question's terms in the title and text
    prior: float  # the searches' fused rank score, scaled to [0, 1]
    titled: bool = False  # the question names this passage's title ("Who is older, Annie Morton or …")
    document: str = ""  # its document; one key for a document and its copies (a page and its source twin)
    found: int = 0  # its place in the order found: 0 is the first search's best (or a copy of it)
    defines: bool = False  # a line of it opens with a name the question asks about ("work_mem (integer)")

    @property
    def about(self) -> bool:
        """The passage is about one of the question's subjects: its title or an entry it opens is named."""
        return self.titled or self.defines

    @property
    def score(self) -> float:
        return self.coverage + PRIOR_WEIGHT * self.prior + TITLE_BONUS * self.about


_ROLE = re.compile(r":[\w:-]+:(?=`)")  # reStructuredText roles (":class:`", ":func:`"): markup, not words


def shingles(text: str) -> frozenset[str]:
    """The passage's runs of SHINGLE_WORDS words, lower-cased, markup and punctuation dropped: what two copies of
    one text (HTML and its reStructuredText source, cut at other places) share."""
    words = re.findall(r"[^\W_]+", _ROLE.sub("", text).lower())
    if len(words) < SHINGLE_WORDS:
        return frozenset({" ".join(words)}) if words else frozenset()
    return frozenset(" ".join(words[i:i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1))


_ENTRY = re.compile(r"^\s*(?:\.\. [\w:]+:: )?(?:(?:class|exception|def|async|@) ?)*([\w.]+)", re.M)


def entry_names(question: str) -> set[str]:
    """What the question names as a manual would: identifiers (`max_connections`) and dotted names
    (`subprocess.run`), lower-cased."""
    return {n.lower() for n in code_names(question)}


def defines(passage: Passage, names: set[str]) -> bool:
    """A line of the passage opens with one of `names` — a manual's entry for it ("work_mem (integer)",
    "subprocess.run(args, …)", ".. function:: lru_cache(…)"): the passage is about it, as an article is about
    its title. A qualified name matches its last parts ("functools.lru_cache" — "lru_cache")."""
    if not names:
        return False
    for m in _ENTRY.finditer(passage.text):
        token = m.group(1).lower().strip(".")
        if any(token == n or token.endswith("." + n) or n.endswith("." + token) for n in names):
            return True
    return False


def collapse(passages: list[Passage], prior: dict[str, float]) -> tuple[list[Passage], dict[str, float],
                                                                      dict[str, str], dict[str, int]]:
    """Each text once (dedup-aware). Two passages that mostly (DUPLICATE_SHARE of the smaller one's shingles) say
    the same are one: the one that holds the other is kept (the better-ranked one when each holds the other), with
    the better rank and search order of the two, and the section headings of its copy when it has none (a source
    file's). Returns the kept passages in the order found, their priors, each document's key (one for a document
    and those it shares a passage with: its copies), and each passage's place in the order found."""
    order = sorted(range(len(passages)), key=lambda i: (-prior.get(passages[i].id, 0.0), i))
    kept: list[tuple[Passage, frozenset[str]]] = []
    merged = dict(prior)
    found = {p.id: i for i, p in enumerate(passages)}
    same: dict[str, str] = {}
    sectioned: dict[str, Passage] = {}

    def root(document: str) -> str:
        while same.get(document, document) != document:
            document = same[document]
        return document

    for i in order:
        p = passages[i]
        own = shingles(p.text)
        j = next((j for j, (_, ks) in enumerate(kept) if own and ks and len(own & ks) >= DUPLICATE_SHARE *
                  min(len(own), len(ks))), None)
        if j is None:
            kept.append((p, own))
            continue
        keep, theirs = kept[j]
        drop = p
        if len(own & theirs) < DUPLICATE_SHARE * len(own):  # the kept one is inside this one: read the whole
            keep, drop = p, keep
            kept[j] = (keep, own)
        same[root(drop.document)] = root(keep.document)
        merged[keep.id] = max(merged.get(keep.id, 0.0), merged.get(drop.id, 0.0))
        found[keep.id] = min(found[keep.id], found[drop.id])
        if not keep.headings and drop.headings:  # a source file's copy is under its page's sections
            sectioned[keep.id] = replace(keep, headings=list(drop.headings))
    ids = {p.id for p, _ in kept}
    return ([sectioned.get(p.id, p) for p in passages if p.id in ids], merged,
            {p.document: root(p.document) for p in passages}, found)


def question_weights(question: str, passages: list[Passage], sections: bool = False) -> dict[str, float]:
    """IDF over the pool of each of the question's terms: a term every passage holds says little. `sections`:
    a passage's section headings count as its words (`held`)."""
    weights = idf(held(p, sections) for p in passages)
    return {t: weights.get(t, max(weights.values(), default=1.0)) for t in terms(question)}


def held(passage: Passage, sections: bool = True) -> set[str]:
    """The terms a passage holds: its title's and text's, and (section-aware) its section headings' — in a manual,
    "8.6. The match statement" says what the passage under it is about, as a title does for an article."""
    headings = " ".join(passage.headings) if sections else ""
    return terms(f"{passage.title} {headings} {passage.text}")


def score(question: str, passages: list[Passage], prior: dict[str, float]) -> list[Scored]:
    """Every passage scored, best first (ties: the order found); a text stored twice is scored once."""
    passages, prior, documents, found = collapse(passages, prior)
    weights = question_weights(question, passages, sections=True)
    total = sum(weights.values()) or 1.0
    top = max(prior.values(), default=0.0) or 1.0
    names = entry_names(question)
    scored = [Scored(p, sum(weights[t] for t in held(p) & weights.keys()) / total,
                     prior.get(p.id, 0.0) / top, mentions(question, title_name(p.title)), documents[p.document],
                     found[p.id], defines(p, names))
              for p in passages]
    order = {s.passage.id: i for i, s in enumerate(scored)}
    return sorted(scored, key=lambda s: (-s.score, order[s.passage.id]))


def linked(a: Passage, b: Passage, question: str) -> bool:
    """One passage names the other's title as written (a name, not a common phrase that a title happens to be),
    and that title is not simply named by the question."""
    return any(mentions(x.text, bare_title(y.title), exact_case=True) and not mentions(question, bare_title(y.title))
               for x, y in ((a, b), (b, a)))


def same_section(a: Scored, b: Scored) -> bool:
    """Two passages of one document (or of its copies) under the same section: the first SECTION_LEVELS headings
    agree (a passage without headings is in no known section)."""
    x, y = a.passage.headings[:SECTION_LEVELS], b.passage.headings[:SECTION_LEVELS]
    return bool(a.document) and a.document == b.document and bool(x) and x == y


def choose(question: str, scored: list[Scored], n: int, joint: bool = True) -> list[Scored]:
    """The `n` passages for the writer. `joint`: grown as a set (new question terms, links, the best passage's
    section); else the best `n` by their own score. Either way the best-scored passage and the KEEP_RANKED first
    found (the first search's best: rank-aware) are read."""
    ranked = sorted(scored, key=lambda s: s.found)[:min(KEEP_RANKED, n - 1)] if n > 1 else []
    kept = [s for s in scored if s in ranked]  # in score order
    if not joint or len(scored) <= 1:
        return (kept + [s for s in scored if s not in kept])[:n]
    weights = question_weights(question, [s.passage for s in scored], sections=True)
    total = sum(weights.values()) or 1.0
    holds = {s.passage.id: held(s.passage) & weights.keys() for s in scored}
    chosen = [scored[0], *[s for s in kept if s is not scored[0]]]
    covered = set().union(*(holds[c.passage.id] for c in chosen))
    rest = [s for s in scored if s not in chosen]

    def gain(s: Scored, covered: set[str]) -> float:
        """New question terms, a link to a chosen passage, a subject of the question not yet represented (the
        other side of a comparison), the best passage's section, and the passage's own score."""
        new = sum(weights[t] for t in holds[s.passage.id] - covered) / total
        link = any(linked(s.passage, c.passage, question) for c in chosen)
        subject = s.about and title_name(s.passage.title).lower() not in {title_name(c.passage.title).lower()
                                                                          for c in chosen}
        home = same_section(s, chosen[0])
        return new + LINK_BONUS * link + TITLE_BONUS * subject + SECTION_BONUS * home + 0.5 * s.score

    while rest and len(chosen) < n:
        best = max(rest, key=lambda s: gain(s, covered))  # max keeps the first of equals: the better-ranked one
        chosen.append(best)
        covered |= holds[best.passage.id]
        rest.remove(best)
    return chosen


def coverage(question: str, passages: list[Passage], pool: list[Passage]) -> float:
    """IDF-weighted share of the question's terms that the passages hold together (weights over `pool`)."""
    weights = question_weights(question, pool or passages)
    total = sum(weights.values())
    if not total:
        return 0.0
    have = set().union(*(terms(f"{p.title} {p.text}") for p in passages)) if passages else set()
    return sum(w for t, w in weights.items() if t in have) / total

"""The outline of a report, built from what the first wide retrieval found — not from the model's memory.

Three sources of topics, all from the corpus:
1. enumeration: the best passages list the question's topic item by item ("Trust authentication, which …",
   "Password authentication, which …"): each item is a topic, in the documents' own order;
2. structure: the best documents are split by their own second-level headings (when they have three or more);
3. clusters: the hits grouped by their section (document heading path), each group ranked by its passages'
   scores.
Topics that name the same thing are merged. The model may then choose and order among them (`outline_choice`);
by default the program's ranking stands (a 0.5B model picks by position, not by meaning).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from scent.agent.relevance import terms
from scent.agent.select import Scored
from scent.research.tuning import (
    ANCHOR_HITS,
    ANCHOR_SCORE,
    ANCHOR_TITLE_WORDS,
    ENUMERATION_PASSAGES,
    ITEM_PARAGRAPH_CHARS,
    LONG_DOCUMENT,
    MAX_ITEM_WORDS,
    MIN_CLUSTER,
    STRUCTURE_DOCUMENTS,
)
from scent.types import Passage

JUNK_HEADINGS = frozenset({
    "note", "notes", "tip", "tips", "warning", "caution", "important", "example", "examples", "see also", "synopsis",
    "description", "parameters", "footnotes", "table of contents", "contents", "index", "outputs", "options",
    "compatibility"})
QUESTION_WORDS = frozenset({"prov", "supp", "work", "use", "offe", "kind", "diff", "main", "way", "happ", "hand",
                            "expl", "desc", "avai"})  # words any broad question uses, cut as `stems` cuts
_NUMBER = re.compile(r"^\s*(?:chapter|appendix|part)?\s*(?:[\dIVXLA-Z]+(?:\.\d+)*\.)\s+", re.I)
_VERSION_NOTE = re.compile(r"^(changed|new|added|deprecated|removed) (in|since) version", re.I)
_LEAD = re.compile(r"^(.{2,80}?)(?:,|:|\s+[—–-]\s+|\s+which\s|\s+is\s|\s+are\s|\s+\()")


class Documents(Protocol):
    def neighbours(self, passage_id: str, before: int = 1, after: int = 1) -> list[Passage]: ...


@dataclass(slots=True)
class Topic:
    title: str  # the section heading shown: "Trust Authentication"
    query: str  # what the section's retrieval searches for
    origin: str  # enumeration | structure | cluster
    score: float
    heading: tuple[str, ...] = ()  # the heading path it came from (clusters, structure)
    texts: tuple[str, ...] = ()  # the passages it was found in (to tell whether it is about the question's subject)
    home: str = ""  # a passage of the document whose subsection (`heading`, two levels) the topic is


def clean_heading(heading: str) -> str:
    """ "21.4. Trust Authentication" → "Trust Authentication"; "Chapter 21. Client Authentication" → "Client
    Authentication"."""
    return _NUMBER.sub("", heading).strip() or heading.strip()


def section_number(heading: str) -> tuple[int, ...] | None:
    """(21, 4) for "21.4. Trust Authentication"; None when the heading carries no number."""
    m = re.match(r"^\s*(?:chapter|appendix)?\s*(\d+(?:\.\d+)*)\.\s", heading, re.I)
    return tuple(int(x) for x in m.group(1).split(".")) if m else None


def junk(heading: str) -> bool:
    return clean_heading(heading).lower().strip(" :") in JUNK_HEADINGS


def same_topic(a: str, b: str) -> bool:
    """Two titles name the same thing when they have the same content words, or the words of one (two or more)
    are all in the other ("SSPI authentication" and "SSPI Authentication"; not "Exceptions" and "Handling
    Exceptions")."""
    ta, tb = terms(a), terms(b)
    small, large = sorted((ta, tb), key=len)
    return bool(small) and small <= large and (small == large or len(small) >= 2)


def enumerated_items(passages: list[Passage]) -> list[str]:
    """Items of a list written as short paragraphs that each start with a short name followed by a comma, a
    colon, a dash, "which", "is" or "(" — three or more in a row (a passage and the next one of its document)."""
    paragraphs = [p.strip() for passage in passages for p in passage.text.split("\n\n") if p.strip()]
    items: list[str] = []
    run: list[str] = []
    for paragraph in [*paragraphs, ""]:
        listed = len(paragraph) <= ITEM_PARAGRAPH_CHARS and not paragraph.endswith(":")  # not the list's intro
        m = _LEAD.match(paragraph) if listed else None
        lead = m.group(1).strip() if m else ""
        if lead and len(lead.split()) <= MAX_ITEM_WORDS and (lead[0].isupper() or lead[0].isdigit()) \
                and not _VERSION_NOTE.match(lead):
            run.append(lead)
            continue
        if len(run) >= 3:
            items += [r for r in run if not any(same_topic(r, i) for i in items)]
        run = []
    return items


def section_key(passage: Passage, long_document: bool) -> tuple[str, ...]:
    """The heading path a hit is grouped by: the document's first heading, and in a long document its
    second-level heading too (a junk heading such as "Note" stands for its parent)."""
    headings = [h for h in passage.headings if not junk(h)] or [passage.title]
    return tuple(headings[: 2 if long_document and len(headings) > 1 else 1])


def distinctive_terms(question: str) -> set[str]:
    """The question's content words (as `stems`), less the words any broad question uses ("provide", "work")."""
    return stems(question) - QUESTION_WORDS


def stems(text: str) -> set[str]:
    """Content words cut to their first four letters: "restored", "restore" and "restoring" meet; so do
    "authenticate" and "authentication". Crude, and only used to tell whether a heading names what is asked."""
    return {t[:4] for t in terms(text)}


def candidates(question: str, scored: list[Scored], documents: Documents, top: int = 40) -> list[Topic]:
    """Every topic the corpus suggests for the question, merged, best first."""
    if not scored:
        return []
    best = scored[0].score or 1.0
    lengths: dict[str, int] = {}

    def long_document(p: Passage) -> bool:
        if p.document not in lengths:
            lengths[p.document] = len(documents.neighbours(p.id, LONG_DOCUMENT, LONG_DOCUMENT))
        return lengths[p.document] > LONG_DOCUMENT

    wanted = distinctive_terms(question)
    topics: list[Topic] = []
    # 1. enumerations in the best passages (each with the passage after it: a list may go on there)
    for s in scored[:ENUMERATION_PASSAGES]:
        after = [p for p in documents.neighbours(s.passage.id, 0, 1) if p.id != s.passage.id]
        items = enumerated_items([s.passage, *after[:1]])
        if not wanted & stems(" ".join([s.passage.title, *s.passage.headings, *items])):
            continue  # a list of something the question does not ask about
        for item in items:
            topics.append(Topic(item, item, "enumeration", 0.8 + 0.5 * s.score / best,
                                texts=(s.passage.text, *(p.text for p in after[:1]))))
    # 2. the documents' own sections: the second-level headings (three or more) of the documents whose titles
    #    name the most of the question's distinctive terms (a title naming none is not about the question)
    titled: dict[str, tuple[int, float, int, Scored]] = {}
    for rank, s in enumerate(scored[:top]):
        own = stems(clean_heading(s.passage.title))
        if s.passage.document not in titled and own:
            titled[s.passage.document] = (len(wanted & own), len(wanted & own) / len(own), -rank, s)
    matched = sorted((v for v in titled.values() if v[0]), key=lambda v: v[:3], reverse=True)
    for match, _, _, s in [v for v in matched if v[0] == matched[0][0]][:STRUCTURE_DOCUMENTS]:
        whole = documents.neighbours(s.passage.id, 10**6, 10**6)
        sub = [h for h in dict.fromkeys(tuple(p.headings[:2]) for p in whole if len(p.headings) > 1)
               if not junk(h[-1])]
        if len(sub) >= 3:
            topics += [Topic(clean_heading(h[-1]), f"{clean_heading(h[-1])} {clean_heading(h[0])}", "structure",
                             0.6 + 0.4 * match / len(wanted), h, under(whole, h), s.passage.id) for h in sub]
    # 3. clusters of hits by section
    clusters: dict[tuple[str, ...], list[float]] = {}
    texts: dict[tuple[str, ...], list[str]] = {}
    homes: dict[tuple[str, ...], str] = {}
    for s in scored[:top]:
        key = section_key(s.passage, long_document(s.passage))
        deeper = tuple(h for h in s.passage.headings if not junk(h))[:2]
        if len(deeper) > len(key) and not wanted & stems(" ".join(key)) and wanted & stems(deeper[-1]):
            key = deeper  # the subsection names what is asked where its document does not ("4.3. Exceptions")
        clusters.setdefault(key, []).append(s.score / best)
        texts.setdefault(key, []).append(s.passage.text)
        homes.setdefault(key, s.passage.id)
    for key, scores in clusters.items():
        top3 = sorted(scores, reverse=True)[:3]
        title = clean_heading(key[-1])
        if top3[0] < MIN_CLUSTER or (top3[0] < 1.0 and not wanted & stems(" ".join(key))):
            continue  # far below the best hit, or (unless it holds the best hit) under a heading naming nothing asked
        query = title if len(key) == 1 else f"{title} {clean_heading(key[0])}"
        topics.append(Topic(title, query, "cluster", top3[0] + 0.25 * sum(top3[1:]), key, tuple(texts[key]),
                            homes[key] if len(key) > 1 else ""))
    return merge(topics)


def under(whole: list[Passage], heading: tuple[str, ...]) -> tuple[str, ...]:
    """The texts of a document's passages under a heading path."""
    return tuple(p.text for p in whole if tuple(p.headings[: len(heading)]) == heading)


def anchor(subject: list[str], kind: list[str], hits: list[Passage], documents: Documents,
           top: int = ANCHOR_HITS) -> list[Topic]:
    """The sections of the best page that enumerates the subject — its title names the subject (and the kind of
    thing asked: "Index Types"), in a few words, and it has three or more second-level headings: the docs' own
    list of what the question asks about. Empty when no such page is among the `top` hits."""
    from scent.research.facets import mentions_subject, root

    kinds = {root(k) for k in kind}
    for hit in hits[:top]:
        title = clean_heading(hit.headings[0] if hit.headings else hit.title)
        words = re.findall(r"[A-Za-z][\w-]*", title)
        if not mentions_subject(title, subject) or len(words) > ANCHOR_TITLE_WORDS:
            continue
        if kinds and not kinds & {root(w) for w in words}:
            continue  # "Indexes" is the chapter; "Index Types" the page listing them
        if not kinds and not all(mentions_subject(title, [r]) for r in subject):
            continue  # no kind named: the title names the whole subject ("Data Structures")
        whole = documents.neighbours(hit.id, 10**6, 10**6)
        sub = [h for h in dict.fromkeys(tuple(p.headings[:2]) for p in whole if len(p.headings) > 1)
               if not junk(h[-1])]
        if len(sub) >= 3:
            return [Topic(clean_heading(h[-1]), f"{clean_heading(h[-1])} {clean_heading(h[0])}", "anchor",
                          ANCHOR_SCORE - 0.001 * i, h, under(whole, h), hit.id) for i, h in enumerate(sub)]
    return []


def merge(topics: list[Topic]) -> list[Topic]:
    """Topics naming the same thing become one: the first found keeps its place and title, takes the best score
    and the heading path of a cluster or structure topic. Two sections of different documents that share a title
    ("Exceptions" in the tutorial and in the execution model) stay apart, the later one titled with its document."""
    out: list[Topic] = []
    for t in topics:
        twin = next((o for o in out if same_topic(o.title, t.title)
                     and not (o.origin == t.origin == "anchor")), None)  # the page's own sections stay apart
        if twin is not None and twin.heading and t.heading and twin.heading[0] != t.heading[0]:
            if len(t.heading) > 1:
                t.title = f"{t.title} ({clean_heading(t.heading[0])})"
            twin = None
        if twin is None:
            out.append(t)
            continue
        twin.score = max(twin.score, t.score)
        if not twin.heading:
            twin.heading, twin.home = t.heading, t.home
        twin.texts = (*twin.texts, *t.texts)
    return sorted(out, key=lambda t: -t.score)


def outline(question: str, topics: list[Topic], n: int, chosen: list[int] | None = None) -> list[Topic]:
    """The `n` sections: the model's choice (1-based numbers into `topics`, in its order) when it made a usable
    one, else the best `n`; enumerated items keep the documents' order among themselves."""
    if chosen:
        picked = [topics[i - 1] for i in dict.fromkeys(chosen) if 1 <= i <= len(topics)]
        if len(picked) >= min(3, len(topics)):
            return picked[:n]
    picked = topics[:n]
    items = iter([t for t in topics if t in picked and t.origin == "enumeration"])
    return [next(items) if t.origin == "enumeration" else t for t in picked]

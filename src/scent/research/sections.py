"""One section of a report: its own retrieval (the machinery `ask` uses), then claims chosen from whole passages,
each cited and verified against its passage; a claim whose citation does not verify is cut.

The program ranks candidate sentences of the section's passages; the model makes the narrow choice among them
(`choose_claims`) and, when `rewrite` is on, may shorten a chosen sentence — the shorter wording is kept only if
its words are the quote's own (else the quote stands).

Sources are followed across documents: when a section's best passages all come from documents the report already
cites heavily, a passage of a document not yet cited that covers the section about as well (and names what the
question asks) wins the tie — found in the section's own pool, else by searching the section again wider — and
one claim of the section comes from it.
"""

from __future__ import annotations

import dataclasses
import re

from scent.agent import select
from scent.agent.context import RunContext
from scent.agent.prompts import data_line
from scent.agent.relevance import rank_spans, terms
from scent.agent.retrieve import Pool, gather
from scent.agent.verify import verify_evidence
from scent.research.facets import Asked, Facet
from scent.research.model import Claim, Section
from scent.research.outline import Topic, distinctive_terms, stems
from scent.research.tuning import (
    CONTENTS_CAPS,
    FACET_CUES,
    FACET_NAMED,
    FACET_OWN,
    FRESH_K,
    FRESH_TIE,
    HEADING_BONUS,
    HEAVY_CITES,
    MAX_CLAIM_CHARS,
    MIN_CLAIM_CHARS,
    REWRITE_MIN_SHARE,
)
from scent.text import mentions, sentence_spans
from scent.types import Evidence, Passage

GENERIC_TERMS = frozenset({"index", "type", "method", "level", "authentication", "object", "data"})


@dataclasses.dataclass(slots=True)
class Found:
    """A section's passages: what its retrieval found, and the passage of another document taken for breadth."""

    passages: list[Passage]
    searches: int
    absent: bool = False  # a key term of the section is absent from the corpus
    fresh: Passage | None = None  # a passage of a document the report does not cite yet, one of `passages`
    opening: Passage | None = None  # the first passage of the section's own text, when one of `passages`


@dataclasses.dataclass(slots=True)
class Drafted:
    """A researched section before numbering: its claims with the evidence each cites."""

    section: Section
    claims: list[tuple[Claim, Evidence]]


def section_passages(ctx: RunContext, topic: Topic, question: str, used: set[str], n: int, k: int,
                     cited: dict[str, int] | None = None) -> Found:
    """The section's own retrieval: the `ask` hops (wide search, phrase lookups, neighbours) for the section's
    query at `k`, without entity hops; passages under a heading naming the section first, passages already read
    for another section last. `cited` counts the passages the report cites per document: when every chosen
    passage is of a document cited `HEAVY_CITES` times or more, a passage of another document may win a tie
    (`follow_other_documents`)."""
    config = ctx.config.model_copy(update={"wide_k": k, "k": min(ctx.config.k, k), "entity_hops": 0,
                                           "model_rounds": 0})
    sub = dataclasses.replace(ctx, config=config)
    sub.budget = ctx.budget  # one budget for the whole report
    before = ctx.counts["searches"]
    pool = gather(sub, topic.query)
    if pool.absent:
        return Found([], ctx.counts["searches"] - before, absent=True)
    scored = pool.scored(topic.query)

    def rank(s: select.Scored) -> float:
        return (s.score + HEADING_BONUS * (named(topic, s.passage) + 2 * at_home(topic, s.passage))
                - (1.0 if s.passage.id in used else 0.0))

    first: Passage | None = None
    if topic.home and len(topic.heading) > 1:  # the subsection the topic is (of the enumerating page, of a
        # document's own structure, of a cluster of hits) is the section's own text
        mine = [p for p in ctx.tools.index.neighbours(topic.home, 10**6, 10**6) if at_home(topic, p)]
        pool.add(mine, "plan")
        scored = pool.scored(topic.query)
        first = mine[0] if mine else None
    # a table of contents or a book index has no prose to cite: left out unless nothing else was found
    ranked = sorted([s for s in scored if not contents(s.passage)] or scored, key=rank, reverse=True)
    own = sorted([s for s in ranked if named(topic, s.passage) and s.passage.id not in used],
                 key=lambda s: not at_home(topic, s.passage))  # stable: the home subsection's passages first
    home = [s for s in own if at_home(topic, s.passage)]
    chosen = home[:n] or own[:n] or select.choose(topic.query, ranked, n, ctx.config.pair_rerank)
    found = Found([s.passage for s in chosen], 0)
    cited = cited or {}
    if chosen and not home and all(cited.get(s.passage.document, 0) >= HEAVY_CITES for s in chosen):
        found = follow_other_documents(ctx, topic, question, pool, chosen, used, cited, n, k)
    found.searches = ctx.counts["searches"] - before
    # a section opens by saying what it is: the first passage of its subsection, or of its document
    found.opening = next((p for p in found.passages if (first is not None and p.id == first.id)
                          or (p.seq == 0 and named(topic, p))), None)
    return found


def follow_other_documents(ctx: RunContext, topic: Topic, question: str, pool: Pool, chosen: list[select.Scored],
                           used: set[str], cited: dict[str, int], n: int, k: int) -> Found:
    """The chosen passages with the best passage of a not-yet-cited document that ties with them: its score for
    the section is at least `FRESH_TIE` of the weakest chosen passage's, it holds every word of the question that
    all the chosen passages hold (a page on regex "optimization" does not tie with logging's), and it is prose,
    not a table of contents or an index (which rank high on a query made of headings).
    Looked for in the section's pool, else in a search of the section's query at `FRESH_K` times `k`. It takes the
    place of the weakest chosen passage (never of the best one; it joins them when fewer than `n` were found)."""
    def words(p: Passage) -> set[str]:
        return stems(f"{p.title} {' '.join(p.headings)} {p.text}")

    # the question's words that every chosen passage holds ("logging", not only "Python")
    need = distinctive_terms(question).intersection(*(words(s.passage) for s in chosen))
    ids = {s.passage.id for s in chosen}
    docs = {s.passage.document for s in chosen}

    def fresh(scored: list[select.Scored]) -> tuple[select.Scored | None, float]:
        floor = FRESH_TIE * min(s.score for s in scored if s.passage.id in ids)  # scores of one scoring compared
        return next((s for s in scored if s.score >= floor and s.passage.document not in cited
                     and s.passage.document not in docs and s.passage.id not in used
                     and need <= words(s.passage) and not contents(s.passage)), None), floor

    found, floor = fresh(pool.scored(topic.query))
    if found is None:
        observation = ctx.tool("search", query=topic.query, k=FRESH_K * k)
        if observation is not None and observation.ids:
            pool.add([p for p in (ctx.tools.index.get(i) for i in observation.ids) if p is not None], "plan")
            found, floor = fresh(pool.scored(topic.query))
    passages = [s.passage for s in chosen]
    ctx.trace.emit("diversify", section=topic.title, heavy=sorted(docs), floor=round(floor, 3),
                   fresh=found.passage.document if found else None, passage=found.passage.id if found else None,
                   score=round(found.score, 3) if found else None)
    if found is None:
        return Found(passages, 0)
    return Found([*passages[: max(n - 1, 1)], found.passage] if len(passages) >= n else [*passages, found.passage],
                 0, fresh=found.passage)


def at_home(topic: Topic, passage: Passage) -> bool:
    """The passage stands under the topic's own heading path (the anchor page's subsection)."""
    return bool(topic.heading) and tuple(passage.headings[: len(topic.heading)]) == topic.heading


def contents(passage: Passage) -> bool:
    """A table of contents or a book index: mostly capitalised words (headings, index entries), no prose to cite.
    Prose passages of the PostgreSQL and Python docs hold at most 0.36 capitalised words; their contents and
    index pages at least 0.5."""
    words = re.findall(r"[A-Za-z]+", passage.text)
    return bool(words) and sum(w[0].isupper() for w in words) / len(words) > CONTENTS_CAPS


def named(topic: Topic, passage: Passage) -> bool:
    """The passage is under a heading (or in a document titled) by the section's name."""
    return any(mentions(h, topic.title) or terms(topic.title) <= terms(h) for h in [passage.title, *passage.headings])


def candidate_sentences(topic: Topic, question: str, passages: list[Passage], limit: int, taken: set[str],
                        fresh: Passage | None = None, opening: Passage | None = None) -> list[tuple[str, Passage]]:
    """The passages' sentences that bear on the section (and the question), best first; each a verbatim span of
    its passage; sentences already used in another section are left out. A `fresh` passage (of a document the
    report does not cite yet) has its best sentence among them, in the last place if it ranked lower; the first
    sentence of an `opening` passage (`Found.opening`) is the first."""
    out = _candidates(topic, question, passages, limit, taken, opening)
    if fresh is not None and not any(p.id == fresh.id for _, p in out):
        out = [*out[: limit - 1], *_candidates(topic, question, [fresh], 1, taken)]
    return out


def _candidates(topic: Topic, question: str, passages: list[Passage], limit: int, taken: set[str],
                opening: Passage | None = None) -> list[tuple[str, Passage]]:
    out: list[tuple[str, Passage]] = []
    spans = [(span.text, span.passage) for span in rank_spans(f"{topic.title} {topic.title} {question}", passages,
                                                             limit * 2)]
    first = opening_sentence(opening)
    if first is not None:  # a section opens by saying what it is
        spans.insert(0, first)
    for text, passage in spans:
        text = text.strip()
        key = sentence_key(text)
        if MIN_CLAIM_CHARS <= len(text) <= MAX_CLAIM_CHARS and not repeats(key, taken) \
                and text[-1:] not in (":", ","):
            out.append((text, passage))
            taken.add(key)
        if len(out) >= limit:
            break
    return out


def opening_sentence(opening: Passage | None) -> tuple[str, Passage] | None:
    """The first sentence of the passage that opens the section's own text, which says what the thing is ("GiST
    indexes are not a single kind of index, but rather an infrastructure …")."""
    first = next(iter(sentence_spans(opening.text, 0, len(opening.text))), None) if opening else None
    return (" ".join(opening.text[first[0]:first[1]].split()), opening) if opening and first else None


def sentence_key(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def repeats(key: str, taken: set[str]) -> bool:
    """The sentence was taken already, alone or within a longer span (or the other way round): a span of two
    sentences that holds a sentence another claim quotes says it twice."""
    return key in taken or any(key in t or t in key for t in taken if min(len(t), len(key)) >= MIN_CLAIM_CHARS)


def choose_claims(ctx: RunContext, topic: Topic, question: str, sentences: list[tuple[str, Passage]], n: int,
                  fresh: Passage | None = None) -> list[int]:
    """0-based indices of the sentences the report keeps: the model's choice when it gives one, filled up from the
    program's ranking to at least two, at most `n`; the best sentence of a `fresh` passage is one of them (in the
    last place when neither the model nor the ranking chose it)."""
    picked = _choose(ctx, topic, question, sentences, n)
    own = next((i for i, (_, p) in enumerate(sentences) if fresh is not None and p.id == fresh.id), None)
    if own is not None and own not in picked:
        picked = [*picked[: n - 1], own]
    return picked


def _choose(ctx: RunContext, topic: Topic, question: str, sentences: list[tuple[str, Passage]],
            n: int) -> list[int]:
    picked: list[int] = []
    if ctx.config.research.choose_claims and len(sentences) > n:  # a choice to make
        listing = "\n".join(f"[{i}] <passage>{data_line(text, 500)}</passage>"
                            for i, (text, _) in enumerate(sentences, 1))
        reply = ctx.say("writer", "research_claims", max_tokens=24, question=data_line(question, 300),
                        section=data_line(topic.title, 120), sentences=listing, n=n)
        picked = [int(x) - 1 for x in re.findall(r"\d+", reply or "") if 1 <= int(x) <= len(sentences)]
        picked = list(dict.fromkeys(picked))[:n]
        ctx.trace.emit("choose", section=topic.title, reply=reply, picked=picked)
    want = max(2, len(picked)) if picked else n  # the model's choice stands, made up to two claims
    for i in range(len(sentences)):
        if len(picked) >= want:
            break
        if i not in picked:
            picked.append(i)
    return picked[:n]


def rewrite(ctx: RunContext, quote: str) -> str | None:
    """A shorter wording of a quote by the writer, kept only when its content words are the quote's own."""
    reply = ctx.say("writer", "research_rewrite", max_tokens=60, sentence=data_line(quote, 500))
    text = " ".join((reply or "").split()).strip(' "')
    own, new = terms(quote), terms(text)
    if not new or len(text) >= len(quote) or len(new & own) / len(new) < REWRITE_MIN_SHARE:
        return None
    return text if text.endswith((".", "!", "?")) else text + "."


def facet_sentence(ctx: RunContext, topic: Topic, facet: Facet, passages: list[Passage], k: int,
                   taken: set[str]) -> tuple[str, Passage] | None:
    """The sentence that best answers `facet` for the section ("GIN" × "when to use"): among the section's
    passages and those of a search for the section with the facet's words, a sentence holding the facet's cue
    words ("appropriate", "useful", "can only", …) that names the section (or stands in a passage under its
    heading); more cues, and the section's own passages, first."""
    pool = list(passages)
    observation = ctx.tool("search", query=f"{topic.title} {facet.query}", k=k)
    if observation is not None:
        seen = {p.id for p in pool}
        pool += [p for p in (ctx.tools.index.get(i) for i in observation.ids if i not in seen) if p is not None
                 and not contents(p)]
    own = {p.id for p in passages}
    best: tuple[float, str, Passage] | None = None
    for passage in pool:
        under = named(topic, passage)
        for start, end in sentence_spans(passage.text, 0, len(passage.text)):
            text = " ".join(passage.text[start:end].split())
            if not MIN_CLAIM_CHARS <= len(text) <= MAX_CLAIM_CHARS or repeats(sentence_key(text), taken) \
                    or text[-1:] in (":", ","):
                continue
            names_it = mentions(text, topic.title) or bool(terms(topic.title) & terms(text) - GENERIC_TERMS)
            cues = facet.answers(text)
            if not cues or not (names_it or under):
                continue
            score = min(cues, FACET_CUES) + FACET_NAMED * names_it + FACET_OWN * (passage.id in own) + under
            if best is None or score > best[0]:
                best = (score, text, passage)
    return (best[1], best[2]) if best else None


def research_section(ctx: RunContext, topic: Topic, question: str, used: set[str], taken: set[str],
                     cited: dict[str, int] | None = None, asked: Asked | None = None) -> Drafted:
    """Retrieve, choose, cite and verify one section. `used` (passage ids read for earlier sections) and `taken`
    (their sentences) are updated, so sections do not repeat each other; `cited` (passages cited so far per
    document) lets a section follow its topic into documents the report does not cite yet. Each facet the
    question asks beyond what the section is (`asked`: "when to use") gets a sentence of its own that answers
    it, or is listed in `unanswered`."""
    rc = ctx.config.research
    section = Section(topic.title, topic.query, topic.origin, list(topic.heading))
    found = section_passages(ctx, topic, question, used, rc.passages, rc.section_k, cited)
    passages, section.searches = found.passages, found.searches
    if not passages:
        section.gap = "absent" if found.absent else "no_passages"
        return Drafted(section, [])
    section.read = [p.id for p in passages]
    used.update(section.read)
    section.heading = list(passages[0].headings) or [passages[0].title]
    sentences = candidate_sentences(topic, question, passages, rc.candidates, taken, found.fresh, found.opening)
    picked = choose_claims(ctx, topic, question, sentences, rc.claims, found.fresh)
    chosen: list[tuple[str, Passage, str]] = [(*sentences[i], "") for i in picked]
    taken.difference_update(sentence_key(text) for i, (text, _) in enumerate(sentences) if i not in picked)
    for facet in (asked.facets[1:] if asked else []):
        answered = next((i for i, (text, _, _) in enumerate(chosen) if facet.answers(text) >= FACET_CUES), None)
        if answered is not None:
            chosen[answered] = (chosen[answered][0], chosen[answered][1], facet.name)
            continue
        before = ctx.counts["searches"]
        extra = facet_sentence(ctx, topic, facet, passages, rc.section_k, taken)
        section.searches += ctx.counts["searches"] - before
        if extra is not None:
            taken.add(sentence_key(extra[0]))
            chosen.append((*extra, facet.name))
    claims: list[tuple[Claim, Evidence]] = []
    for quote, passage, facet_name in chosen:
        evidence = ctx.ledger.get_or_add(passage, quote, topic.query)
        if evidence is None:
            section.cut += 1
            continue
        text = (rewrite(ctx, evidence.quote) if rc.rewrite else None) or evidence.quote
        citation = verify_evidence(ctx, f"{topic.title}: {text}", [(1, evidence)])[0]
        if not citation.supported:
            section.cut += 1
            ctx.trace.emit("cut", section=topic.title, quote=evidence.quote)
            continue
        claims.append((Claim(text, [], text != evidence.quote, facet=facet_name), evidence))
    # a paragraph says what the thing is (the section's opening sentence first), then what is asked of it
    opening = opening_sentence(found.opening)
    first = sentence_key(opening[0]) if opening else None
    claims.sort(key=lambda ce: (sentence_key(ce[1].quote) != first, bool(ce[0].facet)))
    if asked:
        have = {c.facet for c, _ in claims}
        section.unanswered = [f.name for f in asked.facets[1:] if f.name not in have]
    if not claims:
        section.gap = "unverified" if sentences else "no_passages"
    return Drafted(section, claims)

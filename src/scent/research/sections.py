"""One section of a report: its own retrieval (the machinery `ask` uses), then claims chosen from whole passages,
each cited and verified against its passage; a claim whose citation does not verify is cut.

The program ranks candidate sentences of the section's passages; the model makes the narrow choice among them
(`choose_claims`) and, when `rewrite` is on, may shorten a chosen sentence — the shorter wording is kept only if
its words are the quote's own (else the quote stands).
"""

from __future__ import annotations

import dataclasses
import re

from scent.agent import select
from scent.agent.context import RunContext
from scent.agent.entities import mentions
from scent.agent.prompts import data_line
from scent.agent.relevance import rank_spans, terms
from scent.agent.retrieve import gather
from scent.agent.write import verify_evidence
from scent.ingest.chunk import sentence_spans
from scent.research.model import Claim, Section
from scent.research.outline import Topic
from scent.types import Evidence, Passage

HEADING_BONUS = 0.5  # a passage under a heading that names the section is the section's own text
MIN_CLAIM_CHARS = 30
MAX_CLAIM_CHARS = 450
REWRITE_MIN_SHARE = 0.9  # share of a rewrite's content words that must be the quote's own


@dataclasses.dataclass(slots=True)
class Drafted:
    """A researched section before numbering: its claims with the evidence each cites."""

    section: Section
    claims: list[tuple[Claim, Evidence]]


def section_passages(ctx: RunContext, topic: Topic, question: str, used: set[str], n: int,
                     k: int) -> tuple[list[Passage], int, bool]:
    """The section's own retrieval: the `ask` hops (wide search, phrase lookups, neighbours) for the section's
    query at `k`, without entity hops; passages under a heading naming the section first, passages already read
    for another section last. Returns (passages, searches made, whether a key term is absent from the corpus)."""
    config = ctx.config.model_copy(update={"wide_k": k, "k": min(ctx.config.k, k), "entity_hops": 0,
                                           "model_rounds": 0})
    sub = dataclasses.replace(ctx, config=config)
    sub.budget = ctx.budget  # one budget for the whole report
    before = ctx.counts["searches"]
    pool = gather(sub, topic.query)
    searches = ctx.counts["searches"] - before
    if pool.absent:
        return [], searches, True
    scored = pool.scored(topic.query)

    def rank(s: select.Scored) -> float:
        return s.score + HEADING_BONUS * named(topic, s.passage) - (1.0 if s.passage.id in used else 0.0)

    ranked = sorted(scored, key=rank, reverse=True)
    own = [s for s in ranked if named(topic, s.passage) and s.passage.id not in used]
    chosen = own[:n] if own else select.choose(topic.query, ranked, n, ctx.config.pair_rerank)
    return [s.passage for s in chosen], searches, False


def named(topic: Topic, passage: Passage) -> bool:
    """The passage is under a heading (or in a document titled) by the section's name."""
    return any(mentions(h, topic.title) or terms(topic.title) <= terms(h) for h in [passage.title, *passage.headings])


def candidate_sentences(topic: Topic, question: str, passages: list[Passage], limit: int,
                        taken: set[str]) -> list[tuple[str, Passage]]:
    """The passages' sentences that bear on the section (and the question), best first; each a verbatim span of
    its passage; sentences already used in another section are left out."""
    out: list[tuple[str, Passage]] = []
    spans = [(span.text, span.passage) for span in rank_spans(f"{topic.title} {topic.title} {question}", passages,
                                                             limit * 2)]
    if passages and passages[0].seq == 0 and named(topic, passages[0]):  # a section opens by saying what it is
        first = next(iter(sentence_spans(passages[0].text, 0, len(passages[0].text))), None)
        if first is not None:
            spans.insert(0, (" ".join(passages[0].text[first[0]:first[1]].split()), passages[0]))
    for text, passage in spans:
        text = text.strip()
        key = re.sub(r"\W+", " ", text.lower()).strip()
        if MIN_CLAIM_CHARS <= len(text) <= MAX_CLAIM_CHARS and key not in taken and text[-1:] not in (":", ","):
            out.append((text, passage))
            taken.add(key)
        if len(out) >= limit:
            break
    return out


def choose_claims(ctx: RunContext, topic: Topic, question: str, sentences: list[tuple[str, Passage]],
                  n: int) -> list[int]:
    """0-based indices of the sentences the report keeps: the model's choice when it gives one, filled up from the
    program's ranking to at least two, at most `n`."""
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


def research_section(ctx: RunContext, topic: Topic, question: str, used: set[str],
                     taken: set[str]) -> Drafted:
    """Retrieve, choose, cite and verify one section. `used` (passage ids read for earlier sections) and `taken`
    (their sentences) are updated, so sections do not repeat each other."""
    rc = ctx.config.research
    section = Section(topic.title, topic.query, topic.origin, list(topic.heading))
    passages, section.searches, absent = section_passages(ctx, topic, question, used, rc.passages, rc.section_k)
    if not passages:
        section.gap = "absent" if absent else "no_passages"
        return Drafted(section, [])
    section.read = [p.id for p in passages]
    used.update(section.read)
    section.heading = list(passages[0].headings) or [passages[0].title]
    sentences = candidate_sentences(topic, question, passages, rc.candidates, taken)
    claims: list[tuple[Claim, Evidence]] = []
    for i in choose_claims(ctx, topic, question, sentences, rc.claims):
        quote, passage = sentences[i]
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
        claims.append((Claim(text, [], text != evidence.quote), evidence))
    if not claims:
        section.gap = "unverified" if sentences else "no_passages"
    return Drafted(section, claims)

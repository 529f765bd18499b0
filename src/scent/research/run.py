"""`scent research`: a report built from the agent's parts. The agent's search phase (the question's wide first
hop, names followed, the best passages noted), then outline ▸ sections (each researched and verified) ▸ summary,
references and counts. A section that fails becomes a listed gap; a budget that runs out leaves the rest of the
outline as gaps and the report marked partial — what was verified is always kept."""

from __future__ import annotations

import re
import time

from scent.agent import Abstained, Agent, Answered, Written
from scent.agent.context import RunContext
from scent.agent.retrieve import Pool
from scent.research.facets import Asked, about, asks, mentions_subject, root
from scent.research.model import Claim, Reference, ResearchReport, Section
from scent.research.outline import Topic, anchor, candidates, merge, outline, section_number
from scent.research.render import markdown
from scent.research.sections import Drafted, research_section
from scent.research.tuning import COMMON_SHARE, MIN_ABOUT
from scent.trace import TraceWriter
from scent.types import Answer, Citation, Evidence, Passage, document_key


class Researcher:
    """Research runs with an agent's index, models, settings and calibrator; `run` returns the agent's `Answer`
    with the report in `report` (markdown) and `report_data` (JSON)."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    def run(self, question: str, trace: TraceWriter) -> Answer:
        started = time.monotonic()
        agent = self.agent
        ctx = agent.start(question, trace, "report")
        pool, chosen, evidence = agent.search(ctx, 2 * ctx.config.passages)
        # the question's first hop ran under the answer's budget; the report's sections get the report's own
        # budget (more searches than one answer), counted from the start of the run
        ctx.budget.config = ctx.config.research.budget
        report = research(ctx, pool)
        if not report.references:
            written = Written(Abstained("ungrounded"))
        else:  # confidence: the share of the report's claims whose citation verified
            confidence = len(report.claims) / (len(report.claims) + report.counts["claims_cut"])
            ctx.trace.emit("calibrate", signals={"support": confidence}, confidence=confidence, calibrator="report")
            written = Written(Answered(report.title, "writer", [], confidence), citations(report), confidence)
        answer = agent.finish(ctx, written, evidence, chosen)
        answer = answer.model_copy(update={"report": None if answer.abstained else markdown(report),
                                           "report_data": report.to_dict() if report.references else None})
        return agent.end(ctx, answer, started)


def choose_outline(ctx: RunContext, topics: list[Topic], n: int) -> list[int] | None:
    """The planner's choice and order among the candidate topics (1-based), when `outline_choice` is on and
    there is a choice to make."""
    if not ctx.config.research.outline_choice or len(topics) <= n:
        return None
    from scent.agent.prompts import data_line

    shown = topics[: 2 * n]
    listing = "\n".join(f"[{i}] {data_line(t.title, 100)}" for i, t in enumerate(shown, 1))
    reply = ctx.say("planner", "research_outline", max_tokens=40, question=data_line(ctx.question, 300),
                    topics=listing)
    picked = [int(x) for x in re.findall(r"\d+", reply or "") if 1 <= int(x) <= len(shown)]
    ctx.trace.emit("choose", section="(outline)", reply=reply, picked=picked)
    return picked or None


def research(ctx: RunContext, pool: Pool) -> ResearchReport:
    rc = ctx.config.research
    question = ctx.question
    asked = asks(question, corpus_names(question, list(pool.passages.values())))
    topics = relevant(ctx, asked, anchored(ctx, asked, pool) + candidates(question, pool.scored(question),
                                                                          ctx.tools.index))
    planned = outline(question, topics, rc.sections, choose_outline(ctx, topics, rc.sections))
    ctx.trace.emit("outline", sections=[t.title for t in planned], origins=[t.origin for t in planned],
                   candidates=len(topics))
    used: set[str] = set()
    taken: set[str] = set()
    cited: dict[str, set[str]] = {}  # document -> passage ids the report cites from it so far
    drafted: list[Drafted] = []
    off_topic: list[str] = []
    stopped = None
    for n, topic in enumerate(planned, 1):
        stopped = stopped or ctx.budget.exhausted()
        if stopped:
            drafted.append(Drafted(Section(topic.title, topic.query, topic.origin, list(topic.heading),
                                           gap="budget"), []))
            continue
        ctx.trace.emit("section", n=n, of=len(planned), title=topic.title, query=topic.query)
        done = research_section(ctx, topic, question, used, taken, {d: len(ids) for d, ids in cited.items()},
                                asked)
        if done.claims and about(list(done.section.heading), [e.quote for _, e in done.claims],
                                 asked.subject) < MIN_ABOUT and about([topic.title], [], asked.subject) < MIN_ABOUT:
            off_topic.append(topic.title)  # what it found is not about the question's subject after all
            ctx.trace.emit("section_done", title=topic.title, claims=0, cut=len(done.claims), sources=[],
                           gap="off_topic")
            continue
        for _, evidence in done.claims:
            cited.setdefault(document_key(evidence.path, evidence.source_id), set()).add(evidence.passage_id)
        ctx.trace.emit("section_done", title=topic.title, claims=len(done.claims), cut=done.section.cut,
                       sources=list(dict.fromkeys(e.path for _, e in done.claims)), gap=done.section.gap)
        drafted.append(done)
    report = assemble(ctx, drafted, stopped)
    report.facets = asked.facet_names
    report.subject = asked.words
    report.off_topic = off_topic
    return report


def corpus_names(question: str, passages: list[Passage]) -> set[str]:
    """Roots of the question's capitalised words (not its first) that most of the first hop's passages hold:
    the corpus's own name ("PostgreSQL" in the PostgreSQL docs), which marks nothing as on topic."""
    words = re.findall(r"[A-Za-z][\w+-]*", question)[1:]
    out = set()
    for w in words:
        if w[0].isupper() and passages:
            share = sum(bool(mentions_subject(f"{p.title} {p.text}", [root(w)])) for p in passages) / len(passages)
            if share >= COMMON_SHARE:
                out.add(root(w))
    return out


def anchored(ctx: RunContext, asked: Asked, pool: Pool) -> list[Topic]:
    """The sections of the page enumerating the subject ("Index Types", "Data Structures"), found by searching the
    subject and the kind of thing asked; empty when no such page exists."""
    if not asked.subject:
        return []
    query = " ".join([*asked.words, *asked.kind])
    observation = ctx.tool("search", query=query, k=ctx.config.research.section_k)
    if observation is None or not observation.ids:
        return []
    hits = [p for p in (ctx.tools.index.get(i) for i in observation.ids) if p is not None]
    pool.add(hits, "plan")
    return anchor(asked.subject, asked.kind, hits, ctx.tools.index)


def relevant(ctx: RunContext, asked: Asked, topics: list[Topic]) -> list[Topic]:
    """The candidate topics about the question's subject (`about` at least `MIN_ABOUT`), merged, best first;
    the anchor page's sections always stay."""
    merged = merge(topics)
    # beside a page that enumerates the subject, another section must be about every word of it ("data
    # structures": not a C-API page on "object structures")
    each = [[r] for r in asked.subject] if any(t.origin == "anchor" for t in merged) else [asked.subject]
    return [t for t in merged if t.origin == "anchor" or all(
        about([t.title, *t.heading], list(t.texts), roots) >= MIN_ABOUT for roots in each)]


def assemble(ctx: RunContext, drafted: list[Drafted], stopped: str | None) -> ResearchReport:
    """Sections of the page enumerating the subject first, in its order; then the others in the documents' order
    where their headings are numbered (else the outline's); references numbered by first citation, the summary
    restating each section's first claim."""
    position = {id(d): i for i, d in enumerate(drafted)}

    def order(d: Drafted) -> tuple[int, tuple[int, ...], int]:
        if d.section.origin == "anchor":  # "jsonb Indexing" (8.14.4) does not come before "B-Tree" (11.2.1)
            return (0, (), position[id(d)])
        number = section_number(d.section.heading[0]) if d.section.heading else None
        return (1, number, position[id(d)]) if number else (2, (), position[id(d)])

    written = sorted([d for d in drafted if d.claims], key=order)
    refs: dict[str, Reference] = {}
    for d in written:
        for claim, evidence in d.claims:
            if evidence.id not in refs:
                refs[evidence.id] = reference(ctx, len(refs) + 1, evidence)
            claim.refs = [refs[evidence.id].n]
            d.section.claims.append(claim)
    summary = [Claim(d.section.claims[0].text, d.section.claims[0].refs, d.section.claims[0].rewritten,
                     d.section.title) for d in written]
    sections = [d.section for d in written] + [d.section for d in drafted if not d.claims]
    read = {p for s in sections for p in s.read}
    documents_read = {p.document for p in (ctx.tools.index.get(i) for i in read) if p is not None}
    counts = {"searches": ctx.counts["searches"], "documents_read": len(documents_read), "passages_read": len(read),
              "sources_cited": len({r.document for r in refs.values()}), "passages_cited": len(
                  {r.passage_id for r in refs.values()}), "quotes_cited": len(refs),
              "claims": sum(len(s.claims) for s in sections), "claims_cut": sum(s.cut for s in sections),
              "sections": len(written), "gaps": len(sections) - len(written)}
    partial = bool(stopped) or ctx.counts["llm_failures"] > 0
    report = ResearchReport(ctx.question, ctx.question, sections, list(refs.values()), summary,
                            "partial" if partial else "complete", stopped, counts)
    ctx.trace.emit("report", status=report.status, stopped=stopped, counts=counts)
    return report


def reference(ctx: RunContext, n: int, e: Evidence) -> Reference:
    passage = ctx.tools.index.get(e.passage_id)
    return Reference(n, e.id, e.passage_id, e.path, e.title, list(e.headings), e.page, e.quote,
                     passage.text if passage is not None else e.quote, e.source_id)


def citations(report: ResearchReport) -> list[Citation]:
    """The report's references as the answer's citations (all verified; numbered as in the report)."""
    return [Citation(n=r.n, id=r.passage_id, evidence_id=r.evidence_id, path=r.path, title=r.title, quote=r.quote,
                     supported=True, source_id=r.source_id) for r in report.references]

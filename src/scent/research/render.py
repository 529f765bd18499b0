"""A research report as markdown (default), self-contained HTML, or JSON.

Document text is data: in HTML it is escaped (never rendered as markup), in markdown it is flattened to one line
per claim or quote. Each citation [n] points at reference n, which quotes the passage (HTML: the whole paragraph,
the quote marked, and [n] links there).
"""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path
from typing import Any

from scent.research.model import Claim, ResearchReport

GAP_REASONS = {"no_passages": "no passage found", "unverified": "no claim could be verified against its passage",
               "budget": "not researched: the report's budget ran out", "absent": "a key term occurs nowhere"}


def _line(text: str) -> str:
    return " ".join(text.split())


def _marks(claim: Claim) -> str:
    return "".join(f" [{n}]" for n in claim.refs)


def counts_line(report: ResearchReport) -> str:
    c = report.counts
    return (f"{c.get('sections', 0)} sections from {c.get('passages_cited', 0)} passages of "
            f"{c.get('sources_cited', 0)} documents cited; {c.get('searches', 0)} searches, "
            f"{c.get('documents_read', 0)} documents read; {c.get('claims_cut', 0)} unverifiable claims cut")


def partial_note(report: ResearchReport) -> str:
    if report.status != "partial":
        return ""
    why = f"the {report.stopped} budget ran out" if report.stopped else "a model call failed"
    return f"Partial report: {why}; the sections below are verified, the rest are listed as gaps."


def markdown(report: ResearchReport) -> str:
    lines = [f"# {_line(report.title)}", "", f"*{counts_line(report)}.*", ""]
    if note := partial_note(report):
        lines += [f"> **{note}**", ""]
    if report.summary:
        lines += ["## Summary", ""]
        lines += [f"- **{_line(c.topic)}**: {_line(c.text)}{_marks(c)}" for c in report.summary]
        lines.append("")
    for section in report.written:
        lines += [f"## {_line(section.title)}", ""]
        lines += [f"- {_line(c.text)}{_marks(c)}" for c in paragraph(section.claims)]
        lines.append("")
    unanswered = [s for s in report.written if s.unanswered]
    if report.gaps or unanswered:
        lines += ["## Not covered by the corpus", ""]
        lines += [f"- {_line(s.title)} ({GAP_REASONS.get(s.gap or '', s.gap)})" for s in report.gaps]
        lines += [f"- {_line(s.title)}: {', '.join(s.unanswered)} (no sentence found that says it)"
                  for s in unanswered]
        lines.append("")
    if report.references:
        lines += ["## References", ""]
        for r in report.references:
            where = f" ({_line(r.where)})" if r.where else ""
            lines.append(f"{r.n}. {_line(r.title)} — `{r.path}`{where}: “{_line(r.quote)}”")
    return "\n".join(lines).strip() + "\n"


def to_json(report: ResearchReport) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2)


_STYLE = ("body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem;line-height:1.5}"
          "sup a{text-decoration:none}blockquote{margin:.3rem 0 1rem;padding:.3rem .8rem;border-left:3px solid #ccc;"
          "color:#333;white-space:pre-wrap}mark{background:#fff3a0}.meta{color:#666}.partial{color:#a40}"
          "li:target{background:#eef6ff}.lead{font-size:1.05rem}")


def _cites(claim: Claim) -> str:
    return "".join(f'<sup><a href="#ref-{n}">[{n}]</a></sup>' for n in claim.refs)


def _marked(passage: str, quote: str) -> str:
    """The passage, escaped, with the quote marked (whitespace-insensitive; the quote alone if not found)."""
    text = " ".join(passage.split())
    wanted = " ".join(quote.split())
    at = text.lower().find(wanted.lower())
    if at < 0:
        return f"<mark>{html.escape(wanted)}</mark>"
    end = at + len(wanted)
    return f"{html.escape(text[:at])}<mark>{html.escape(text[at:end])}</mark>{html.escape(text[end:])}"


def paragraph(claims: list[Claim]) -> list[Claim]:
    """A section's claims in the order a paragraph reads, as the research put them (`research_section`): the
    section's opening sentence, what the thing is, then what the question asks of it. Not re-sorted here: the
    opening sentence may itself answer a facet ("B-trees can handle equality and range queries …")."""
    return list(claims)


def _prose(claims: list[Claim], labels: bool = True) -> str:
    """Claims joined into one paragraph, each followed by its citation; a claim answering a facet is introduced
    by the facet's name ("When to use:"), the only words the program adds."""
    out = []
    for c in paragraph(claims):
        lead = f"<em>{html.escape(c.facet[:1].upper() + c.facet[1:])}:</em> " if labels and c.facet else ""
        out.append(f"{lead}{html.escape(_sentence(c.text))}{_cites(c)}")
    return " ".join(out)


def _sentence(text: str) -> str:
    """A claim as a sentence of a paragraph: the quote ends where the document's sentence did, its full stop
    dropped when it was quoted; put back, so that claims joined in a paragraph read as sentences."""
    text = _line(text)
    end = text.rstrip(")\"”’'")
    return text if not end or end[-1] in ".!?…:;" else text + "."


def to_html(report: ResearchReport) -> str:
    """The report as a document: an opening paragraph (each section's first claim), a paragraph per section,
    the facets a section could not answer, the references with each quote marked in its paragraph."""
    e = html.escape
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{e(_line(report.title))}</title><style>{_STYLE}</style></head><body>",
           f"<h1>{e(_line(report.title))}</h1>", f'<p class="meta">{e(counts_line(report))}.</p>']
    if note := partial_note(report):
        out.append(f'<p class="partial"><strong>{e(note)}</strong></p>')
    if report.summary:
        out.append(f'<p class="lead">{_prose(report.summary, labels=False)}</p>')
    for i, section in enumerate(report.written, 1):
        out.append(f'<h2 id="section-{i}">{e(_line(section.title))}</h2>')
        out.append(f"<p>{_prose(section.claims)}</p>")
        if section.unanswered:
            out.append(f'<p class="meta">Not found in the corpus: {e(", ".join(section.unanswered))}.</p>')
    if report.gaps:
        out.append("<h2>Not covered by the corpus</h2><ul>")
        out += [f"<li>{e(_line(s.title))} ({e(GAP_REASONS.get(s.gap or '', s.gap or ''))})</li>" for s in report.gaps]
        out.append("</ul>")
    if report.references:
        out.append("<h2>References</h2><ol>")
        for r in report.references:
            where = f" ({e(_line(r.where))})" if r.where else ""
            out.append(f'<li id="ref-{r.n}"><strong>{e(_line(r.title))}</strong> — <code>{e(r.path)}</code>{where}'
                       f"<blockquote>{_marked(r.passage, r.quote)}</blockquote></li>")
        out.append("</ol>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def render(report: ResearchReport, fmt: str) -> str:
    if fmt == "html":
        return to_html(report)
    if fmt == "json":
        return to_json(report)
    if fmt in ("md", "markdown"):
        return markdown(report)
    raise ValueError(f"unknown report format {fmt!r} (md | html | json)")


def from_dict(data: dict[str, Any]) -> ResearchReport:
    """A report back from its JSON form (an answer's `report_data`, a trace's run_end)."""
    from scent.research.model import Reference, Section

    raw = dict(data)
    raw.pop("gaps", None)
    sections = [Section(**{**s, "claims": [Claim(**c) for c in s["claims"]]}) for s in raw.pop("sections")]
    references = [Reference(**r) for r in raw.pop("references")]
    summary = [Claim(**c) for c in raw.pop("summary")]
    return ResearchReport(sections=sections, references=references, summary=summary, **raw)


def write(data: dict[str, Any], fmt: str, out: Path | None) -> str:
    """Render an answer's `report_data` and write it to `out` (stdout when None); returns where it went."""
    text = render(from_dict(data), fmt)
    if out is None:
        sys.stdout.write(text)
        return "stdout"
    out.write_text(text, encoding="utf-8")
    return str(out)

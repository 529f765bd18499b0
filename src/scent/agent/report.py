"""`scent research`: a markdown report — outline → sections → references — citing only verified evidence."""

from __future__ import annotations

from dataclasses import dataclass

from scent.agent.context import RunContext
from scent.agent.write import numbered, renumber, select_evidence, verify_evidence
from scent.types import Citation


def report_schema(n: int) -> dict[str, object]:
    return {"type": "object", "additionalProperties": False, "required": ["title", "sections"],
            "properties": {"title": {"type": "string", "maxLength": 120},
                           "sections": {"type": "array", "minItems": 1, "maxItems": 4, "items": {
                               "type": "object", "additionalProperties": False, "required": ["heading", "text"],
                               "properties": {"heading": {"type": "string", "maxLength": 80},
                                              "text": {"type": "string", "maxLength": 800}}}}}}


@dataclass
class Report:
    title: str
    markdown: str
    citations: list[Citation]  # numbered as in the markdown; unsupported ones are not in it


def write_report(ctx: RunContext) -> Report | None:
    import re

    evidence = select_evidence(ctx)
    if not evidence:
        return None
    value = ctx.ask("writer", "report", report_schema(len(evidence)), max_tokens=900, question=ctx.question,
                    evidence=numbered(evidence))
    if value is None:
        return None
    body = "\n".join(s["text"] for s in value["sections"])
    numbers = [n for n in dict.fromkeys(int(m) for m in re.findall(r"\[(\d+)\]", body)) if 1 <= n <= len(evidence)]
    citations = verify_evidence(ctx, ctx.question, [(n, evidence[n - 1]) for n in numbers])
    supported = [c for c in citations if c.supported]
    mapping = {c.n: n for n, c in enumerate(supported, 1)}
    lines = [f"# {value['title'].strip() or ctx.question}", ""]
    for section in value["sections"]:
        lines += [f"## {section['heading'].strip()}", "", renumber(section["text"].strip(), mapping), ""]
    lines += ["## References", ""]
    for c in supported:
        e = next(e for e in evidence if e.id == c.evidence_id)
        where = " › ".join(e.headings) + (f", page {e.page}" if e.page else "")
        lines.append(f"{mapping[c.n]}. {e.title} — `{e.path}`{f' ({where})' if where else ''}: “{e.quote}”")
    markdown = "\n".join(lines).strip() + "\n"
    ctx.trace.emit("answer", report=markdown, cited=[c.evidence_id for c in supported])
    return Report(value["title"].strip() or ctx.question, markdown,
                  [c.model_copy(update={"n": mapping.get(c.n, 0)}) for c in citations])

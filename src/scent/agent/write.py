"""Write from the ledger only, then verify every citation (verbatim quote + the judge's support check)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scent.agent.context import RunContext
from scent.agent.ledger import find_verbatim
from scent.agent.prompts import data, int_choice
from scent.agent.relevance import relevance
from scent.types import Citation, Evidence

_TOKEN = re.compile(r"\w+")
_STOP = {"the", "a", "an", "of", "in", "on", "and", "or", "is", "was", "to", "for", "by", "with", "at", "it"}
MAX_EVIDENCE = 6

JUDGE_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["supported"],
                "properties": {"supported": {"type": "boolean"}}}


def write_schema(n: int) -> dict[str, object]:
    return {"type": "object", "additionalProperties": False,
            "required": ["answer", "explanation", "citations", "confidence"],
            "properties": {"answer": {"type": "string", "maxLength": 120},
                           "explanation": {"type": "string", "maxLength": 300},
                           "citations": {"type": "array", "maxItems": 4, "items": int_choice(1, max(n, 1))},
                           "confidence": int_choice(0, 100)}}


@dataclass
class Draft:
    answer: str
    explanation: str
    numbers: list[int]  # the writer's evidence numbers, as cited in `explanation`
    cited: list[Evidence]
    self_confidence: float


def select_evidence(ctx: RunContext) -> list[Evidence]:
    """The evidence the writer sees: the items most relevant to the question (or to the sub-question they were
    found for, whichever is higher), ties in the order found. The order is deterministic even when sub-agents
    ran concurrently (resume relies on it)."""
    order = {id(e): i for i, e in enumerate(ctx.ledger.items)}

    def rank(e: Evidence) -> tuple[float, int]:
        text = f"{e.title} {e.quote}"
        return -max(relevance(ctx.question, text), relevance(e.question, text) if e.question else 0.0), order[id(e)]

    return sorted(ctx.ledger.items, key=rank)[:MAX_EVIDENCE]


def numbered(evidence: list[Evidence]) -> str:
    return "\n".join(f"[{n}] ({data(e.title)}) <passage>{data(e.quote)}</passage>" for n, e in enumerate(evidence, 1))


def write_answer(ctx: RunContext) -> Draft | None:
    evidence = select_evidence(ctx)
    if not evidence:
        return None
    value = ctx.ask("writer", "write", write_schema(len(evidence)), max_tokens=220, question=ctx.question,
                    evidence=numbered(evidence))
    if value is None:
        return None
    numbers = [n for n in dict.fromkeys(value["citations"] + _inline(value["explanation"])) if 1 <= n <= len(evidence)]
    numbers = numbers or containing(value["answer"], evidence)
    cited = [evidence[n - 1] for n in numbers]
    explanation = clean_explanation(value["explanation"], list(zip(numbers, cited, strict=True)))
    draft = Draft(value["answer"].strip(), explanation, numbers, cited, value["confidence"] / 100)
    ctx.trace.emit("answer", answer=draft.answer, explanation=draft.explanation,
                   cited=[e.id for e in draft.cited], self_confidence=draft.self_confidence)
    return draft


_ECHO = re.compile(r"(\[\d+\]\s*)?(\([^()]*\)\s*)?<passage>.*?(</passage>|$)", re.S)


def containing(answer: str, evidence: list[Evidence], limit: int = 2) -> list[int]:
    """Numbers of the evidence whose title or quote holds every word of the answer: the citations, when the
    writer named none. They still go through verification like the writer's own."""
    words = {w for w in _TOKEN.findall(answer.lower()) if w not in _STOP}
    if not words or words in ({"yes"}, {"no"}, {"unknown"}):
        return []
    return [n for n, e in enumerate(evidence, 1)
            if words <= set(_TOKEN.findall(f"{e.title} {e.quote}".lower()))][:limit]


def _consistency(answer_words: set[str], quote_words: set[str], supported: list[Citation]) -> float:
    """Share of the answer's words found in its supported quotes. A yes/no answer (a comparison) cannot occur
    in a quote: it counts as consistent when its support spans two documents (both sides compared), half
    otherwise."""
    if answer_words in ({"yes"}, {"no"}):
        return 1.0 if len({c.path for c in supported}) >= 2 else 0.5
    return len(answer_words & quote_words) / len(answer_words) if answer_words else 0.0


def clean_explanation(text: str, cited: list[tuple[int, Evidence]]) -> str:
    """A small model often copies the evidence listing into its explanation. Copied blocks are cut; when
    nothing of the model's own is left, the explanation becomes the cited quotes themselves, marked as such."""
    own = " ".join(_ECHO.sub(" ", text).split())
    if len(_TOKEN.findall(re.sub(r"\[\d+\]", "", own))) >= 3:
        return own
    return " ".join(f'[{n}] "{e.quote}"' for n, e in cited)


def _inline(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\[(\d+)\]", text)]


def renumber(text: str, mapping: dict[int, int]) -> str:
    """Rewrite [n] markers by `mapping`; markers of citations that were dropped disappear."""
    return re.sub(r"\s?\[(\d+)\]", lambda m: f" [{mapping[int(m.group(1))]}]" if int(m.group(1)) in mapping
                  else "", text).strip()


def verify(ctx: RunContext, draft: Draft) -> list[Citation]:
    """Each cited item: its quote must still occur verbatim in its passage, and the judge must agree that it
    supports the answer. Unsupported citations are kept but marked, and do not count as support."""
    return verify_evidence(ctx, f"{ctx.question} — {draft.answer}", list(zip(draft.numbers, draft.cited, strict=True)))


def verify_evidence(ctx: RunContext, claim: str, cited: list[tuple[int, Evidence]]) -> list[Citation]:
    citations = []
    for n, e in cited:
        passage = ctx.tools.index.get(e.passage_id)
        verbatim = passage is not None and find_verbatim(passage.text, e.quote) is not None
        judged = True
        if verbatim and ctx.config.judge:
            value = ctx.ask("judge", "judge", JUDGE_SCHEMA, max_tokens=20, claim=claim, quote=data(e.quote))
            judged = bool(value and value.get("supported"))
        citations.append(Citation(n=n, id=e.passage_id, evidence_id=e.id, path=e.path, title=e.title,
                                  quote=e.quote, supported=verbatim and judged))
        ctx.trace.emit("verify", evidence=e.id, verbatim=verbatim, judged=judged)
    return citations


def signals(question: str, draft: Draft, citations: list[Citation]) -> dict[str, float]:
    """The calibrator's inputs (see `scent.agent.calibrate`). `coverage` is what tells an off-corpus question
    from an answered one: quotes about something else share few of the question's words."""
    supported = [c for c in citations if c.supported]
    answer_words = {w for w in _TOKEN.findall(draft.answer.lower()) if w not in _STOP}
    quote_words = {w for c in supported for w in _TOKEN.findall(c.quote.lower())}
    return {"support": len(supported) / len(citations) if citations else 0.0,
            "sources": min(len({c.path for c in supported}), 3) / 3,
            "consistency": _consistency(answer_words, quote_words, supported),
            "coverage": relevance(question, " ".join(f"{c.title} {c.quote}" for c in supported)),
            "self": draft.self_confidence}

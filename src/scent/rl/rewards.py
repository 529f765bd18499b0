"""Reward components: metric functions of scent.eval applied to how an episode ended.

A reward is a metric: the answer component is `scent.eval.metrics.answer_scores`, citation support is built
from `citation_precision` / `citation_recall`, so a policy is trained on what `scent eval` reports. Every
component is in [-1, 1]; `combine` weights them by `[rl.weights]` (docs/rl.md gives the formulas).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from scent.config import RLConfig
from scent.eval.datasets import Question
from scent.eval.metrics import answer_scores, citation_precision, citation_recall

COMPONENTS = ("answer", "citation", "abstention", "format")


@dataclass(slots=True)
class Cited:
    """One citation of an answer: a passage id and, optionally, the quote from it that supports the answer."""

    id: str
    quote: str = ""


@dataclass(slots=True)
class Outcome:
    """How an episode ended. `finished`: by a well-formed answer or abstain action (not by a budget, nor by text
    the adapter had to read as the answer). `seen`: every passage id a tool showed. `passages`: id → text of the
    cited passages (for the quote check)."""

    answer: str = ""
    abstained: bool = False
    citations: list[Cited] = field(default_factory=list)
    confidence: float | None = None
    finished: bool = False
    actions: int = 0
    malformed: int = 0
    searches: int = 0  # search and lookup calls the tools ran without error: the evidence an abstention rests on
    seen: set[str] = field(default_factory=set)
    passages: dict[str, str] = field(default_factory=dict)

    @property
    def answered(self) -> bool:
        return bool(self.answer.strip()) and not self.abstained


def answer_reward(task: Question, outcome: Outcome, config: RLConfig) -> float:
    """`answer_scores` of eval: the metric against the gold answers; abstaining scores 1 on an unanswerable task
    and 0 on an answerable one; no answer at all scores 0."""
    if not outcome.answered and not outcome.abstained:
        return 0.0
    return answer_scores(outcome.answer, task.golden_answers, outcome.abstained)[config.answer_metric]


def correct(task: Question, outcome: Outcome, config: RLConfig) -> float:
    """1 when the answer is right by `rl.correct_metric` (an abstention is right only on an unanswerable task)."""
    if not outcome.answered and not outcome.abstained:
        return 0.0
    return answer_scores(outcome.answer, task.golden_answers, outcome.abstained)[config.correct_metric]


def citation_supported(task: Question, outcome: Outcome, cited: Cited, config: RLConfig) -> bool:
    """A citation supports the answer when its passage is gold, was shown in this episode (ids are not guessed),
    and its quote, when given (required with `rl.require_quotes`), occurs verbatim in the passage."""
    if cited.id not in task.supporting_ids or cited.id not in outcome.seen:
        return False
    if not cited.quote.strip():
        return not config.require_quotes
    return _squeeze(cited.quote) in _squeeze(outcome.passages.get(cited.id, ""))


def citation_reward(task: Question, outcome: Outcome, config: RLConfig) -> float:
    """F1 of supported citations: precision = `citation_precision` (share of citations supported), recall =
    `citation_recall` (share of gold passages cited with support). 0 without gold passages, citations or an
    answer."""
    if not outcome.answered or not outcome.citations or not task.supporting_ids:
        return 0.0
    unique = list({c.id: c for c in outcome.citations}.values())
    supported = [citation_supported(task, outcome, c, config) for c in unique]
    precision = citation_precision(supported) or 0.0
    recall = citation_recall(task.supporting_ids, [c.id for c, ok in zip(unique, supported, strict=True) if ok]) or 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def abstention_reward(task: Question, outcome: Outcome, config: RLConfig) -> float:
    """Calibrated abstention: +1 for abstaining on an unanswerable task, 0 for abstaining on an answerable one; an
    answer scores the negative Brier term -(confidence - correct)², so a confident wrong answer (on an
    unanswerable task every answer is wrong) costs up to 1 and a right answer stated with confidence 1 costs 0.

    With `rl.abstain_needs_search`, an abstention before any search or lookup ran is a guess, not a finding: it is
    scored like an answer stated at `rl.default_confidence` — the same Brier term, right on an unanswerable task
    (0 at confidence 1, instead of +1), wrong on an answerable one (-1, instead of 0). Searching first is then
    worth up to 1 whichever kind the task is, so a policy cannot raise its reward by abstaining at once."""
    if outcome.abstained and not (config.abstain_needs_search and outcome.searches == 0):
        return 1.0 if task.unanswerable else 0.0
    if not outcome.answered and not outcome.abstained:
        return 0.0
    confidence = config.default_confidence if outcome.confidence is None else outcome.confidence
    return -((confidence - correct(task, outcome, config)) ** 2)


def format_reward(task: Question, outcome: Outcome, config: RLConfig) -> float:
    """1 when the episode ends with a well-formed answer or abstain action, times the share of its actions that
    were well-formed (a malformed tool call or answer lowers it); 0 when it ended any other way."""
    if not outcome.finished:
        return 0.0
    return (outcome.actions - outcome.malformed) / outcome.actions if outcome.actions else 1.0


REWARD_FUNCTIONS = {"answer": answer_reward, "citation": citation_reward, "abstention": abstention_reward,
                    "format": format_reward}


def components(task: Question, outcome: Outcome, config: RLConfig) -> dict[str, float]:
    """Every component's value, in COMPONENTS order."""
    return {name: REWARD_FUNCTIONS[name](task, outcome, config) for name in COMPONENTS}


def combine(values: Mapping[str, float], config: RLConfig) -> float:
    """The episode reward: Σ weight × component."""
    weights: dict[str, float] = config.weights.model_dump()
    return float(sum(weights[name] * values[name] for name in COMPONENTS))


def rewards(task: Question, outcome: Outcome, config: RLConfig) -> dict[str, float]:
    """The components and their weighted `total`."""
    values = components(task, outcome, config)
    return {**values, "total": combine(values, config)}


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def parse_citations(raw: object) -> list[Cited] | None:
    """Citations as a policy may write them: ["id", …], [{"id", "quote"}, …], or "id1, id2"; None when the value
    is none of these (a malformed answer)."""
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        return [Cited(part.strip().strip("[]")) for part in raw.replace(";", ",").split(",") if part.strip()]
    if not isinstance(raw, Sequence):
        return None
    out: list[Cited] = []
    for item in raw:
        if isinstance(item, str) and item.strip():
            out.append(Cited(item.strip().strip("[]")))
        elif isinstance(item, Mapping) and isinstance(item.get("id"), str):
            out.append(Cited(item["id"].strip(), str(item.get("quote") or "")))
        else:
            return None
    return out

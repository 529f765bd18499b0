"""Confidence from explicit signals, through a logistic map whose weights are fitted on evaluation data.

Signals (each in [0, 1]):
- `agreement` — share of the writer's views that agree with the answer (1 for a decision the program computed);
- `grounded` — the answer occurs in a chosen passage, or is yes/no to a yes/no question (0: confidence is 0);
- `coverage` — IDF-weighted share of the question's terms that the chosen passages hold together;
- `names` — share of the question's key terms (names, identifiers) that the chosen passages hold;
- `support` — share of the cited passages whose quote verified (and that the judge approved, when it is asked);
- `sources` — distinct documents among the supported citations (1, 2, 3+ → 1/3, 2/3, 1);
- `yes_no` — 1 for a yes/no answer (right half the time by chance: its agreement means less);
- `program` — 1 when the program decided (compared two dates or two attributes) rather than the writer's vote;
- `subject` — share of the question's subject terms (rare words, identifiers, in any case) that the passages the
  answer rests on name (`scent.agent.answerability`): an answer read from a passage about something else has 0;
- `relation` — share of the question's other content words that the answer's sentence (with its passage's title
  and headings) states: "port" and "default" for "the default port of X";
- `backing` — `coverage`, over the passages the answer rests on rather than all the chosen ones;
- `unknown` — share of the writer's views that said the passages do not hold the answer;
- `type_match` — the answer has the form asked for (a number for "how many", a date for "when", a name for
  "who"/"where"): 1 or 0, 0.5 when no form is asked;
- `likely` — the answer's share of the probability the writer model gives the candidates (the views' answers and
  their fuller forms; yes and no; both options), each scored as its whole reply (`scent.agent.likelihood`);
- `answer_prob` — the writer model's probability of the whole answer as its reply to the passages;
- `answerable` — the answer's probability against the reply "unknown" that the answer prompt allows (the writer's
  graded "not in these passages"); these three are present only when the writer can score replies (llama.cpp),
  and 0 otherwise;
- `settled` — 1 unless the views' answer is contested (fewer than `min_agreement` agree and, after the tie-break
  views, no strict plurality of two or more backs it): a contested answer is given, and is right less often.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from pydantic import BaseModel, Field

SIGNALS = ("agreement", "grounded", "coverage", "names", "support", "sources", "yes_no", "program", "settled",
           "subject", "relation", "backing", "unknown", "type_match", "likely", "answer_prob",
           "answerable")


class Calibrator(BaseModel):
    """confidence = sigmoid(bias + Σ weight·signal). The default weights are a Platt fit (monotone: no signal that
    can only add support gets a negative weight; pulled towards confidence 0.5) on the embedded model's 70 answers
    to the 50 HotpotQA dev questions and 42 PostgreSQL-docs questions of BENCHMARKS.md (runs of 2026-11-26, where a
    contested answer is given rather than abstained on). Fitted the same way on 4/5 of those questions, it scored
    the other fifth at ECE 0.098 pooled (0.12 on the HotpotQA rows, 0.14 on the PostgreSQL rows). The embedded
    model's answers are right about half the time on HotpotQA, four times in five on the PostgreSQL docs, more often
    when the views agree or the program decided, and rarely when the answer is contested: confidences for grounded
    answers lie in 0.34–0.83. Refit them for another model or corpus with `scent calibrate`."""

    bias: float = -1.054
    weights: dict[str, float] = Field(default_factory=lambda: {
        "agreement": 1.0815, "grounded": 0.0, "coverage": 0.205, "names": 0.0, "support": 0.0, "sources": 0.0,
        "yes_no": -0.4133, "program": 0.85, "settled": 0.4702})
    fitted_on: str = Field("default: monotone Platt on 70 answers of the embedded model (HotpotQA dev + PostgreSQL "
                           "docs)", description="What data the weights were fitted on.")
    threshold: float = Field(0.2, ge=0, le=1, description="Abstain below this confidence, unless `agent.abstain_below` "
                             "says otherwise: a threshold means something only for the weights it was chosen with.")
    model: str = Field("", description="The writer model (spec) the weights were fitted for; '' for any. A bundled "
                       "calibrator is the default for the writer it names (`for_writer`).")

    def confidence(self, signals: dict[str, float]) -> float:
        if signals.get("grounded", 0.0) <= 0.0:
            return 0.0
        z = self.bias + sum(self.weights.get(name, 0.0) * signals.get(name, 0.0) for name in SIGNALS)
        return round(1 / (1 + math.exp(-z)), 4)

    @classmethod
    def load(cls, path: str | Path) -> Calibrator:
        return cls.model_validate(json.loads(Path(path).read_text()))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.model_dump_json(indent=2))


class FittedCalibrator(Calibrator):
    """A Calibrator with the record of what it was fitted on. Loads as a plain Calibrator too (extra fields are
    ignored), so `scent ask --calibration` uses Platt files unchanged."""

    method: str = Field("platt", description="platt | isotonic")
    question_ids: list[str] = Field(default_factory=list, description="Questions it was fitted on.")
    source: str = Field("", description="The results folder it was fitted from.")


class IsotonicCalibrator(FittedCalibrator):
    """The prior logistic map followed by a monotone step function `points` [(confidence ≥ x, value)]."""

    points: list[tuple[float, float]] = Field(default_factory=list)

    def confidence(self, signals: dict[str, float]) -> float:
        raw = super().confidence(signals)
        if signals.get("grounded", 0.0) <= 0.0 or not self.points:
            return raw
        value = self.points[0][1]
        for x, y in self.points:
            if raw >= x:
                value = y
        return round(value, 4)


def for_writer(spec: str) -> Calibrator:
    """The default calibrator for a writer model: the bundled one fitted for it (`scent/agent/calibration/*.json`,
    read only when an agent is built), else the classic weights, which read no model's probabilities."""
    from importlib import resources

    for entry in resources.files("scent.agent").joinpath("calibration").iterdir():
        if entry.name.endswith(".json"):
            calibrator = load_calibrator_text(entry.read_text(encoding="utf-8"))
            if calibrator.model == spec:
                return calibrator
    return Calibrator()


def load_calibrator_text(text: str) -> Calibrator:
    data = json.loads(text)
    if data.get("method") == "isotonic":
        return IsotonicCalibrator.model_validate(data)
    return FittedCalibrator.model_validate(data) if "question_ids" in data else Calibrator.model_validate(data)


def load_calibrator(path: str | Path) -> Calibrator:
    """A calibrator file of any kind (`scent calibrate` writes them): fitted (platt | isotonic) or a plain
    Calibrator."""
    return load_calibrator_text(Path(path).read_text())

"""Confidence from explicit signals, through a logistic map whose weights are fitted on evaluation data.

Signals (each in [0, 1]):
- `agreement` — share of the writer's views that agree with the answer (1 for a decision the program computed);
- `grounded` — the answer occurs in a chosen passage, or is yes/no to a yes/no question (0: confidence is 0);
- `coverage` — IDF-weighted share of the question's terms that the chosen passages hold together;
- `names` — share of the question's key terms (names, identifiers) that the chosen passages hold;
- `support` — share of the cited passages whose quote verified (and that the judge approved, when it is asked);
- `sources` — distinct documents among the supported citations (1, 2, 3+ → 1/3, 2/3, 1);
- `yes_no` — 1 for a yes/no answer (right half the time by chance: its agreement means less);
- `program` — 1 when the program decided (compared two dates or two attributes) rather than the writer's vote.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from pydantic import BaseModel, Field

SIGNALS = ("agreement", "grounded", "coverage", "names", "support", "sources", "yes_no", "program")


class Calibrator(BaseModel):
    """confidence = sigmoid(bias + Σ weight·signal). The default weights are a Platt fit (pulled towards a prior)
    on the embedded model's 23 answers to a hash-split 30 of the 50 HotpotQA dev questions; on the other 20 they
    took ECE from 0.29 to 0.21 (BENCHMARKS.md). The embedded model's answers are right about 37% of the time when
    two of three views agree, about half when all agree: that is the range these confidences live in. Refit them
    for another model or corpus with `scent calibrate`."""

    bias: float = -3.8
    weights: dict[str, float] = Field(default_factory=lambda: {
        "agreement": 2.33, "grounded": 0.2, "coverage": 1.11, "names": 0.07, "support": 0.2, "sources": 0.1,
        "yes_no": -0.44})
    fitted_on: str = Field("default: Platt on 23 HotpotQA dev answers of the embedded model",
                           description="What data the weights were fitted on.")

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

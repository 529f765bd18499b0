"""Confidence from explicit signals, through a logistic map whose weights can be fitted on evaluation data.

Signals (each in [0, 1]): `support` — share of cited evidence that passed verification; `sources` — distinct
documents among the supported citations (1, 2, 3+ → 1/3, 2/3, 1); `consistency` — share of the answer's words
found in its supported quotes; `coverage` — share of the question's content words found in the supported quotes
and their titles; `self` — the writer's own confidence. No supported citation means confidence 0.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from pydantic import BaseModel, Field

SIGNALS = ("support", "sources", "consistency", "coverage", "self")


class Calibrator(BaseModel):
    """confidence = sigmoid(bias + Σ weight·signal). The default weights are a prior: an answer clears 0.5 only
    when its cited quotes are verified, contain most of its words *and* are about what the question asks — a
    small model's judge agrees too easily and its self-estimate is high regardless, so those move the score
    less. With the prior, a fully supported answer whose quotes hold 40% of the question's words scores 0.62,
    one at 20% scores 0.33 (abstain), and an answer absent from its quotes abstains."""

    bias: float = -9.0
    weights: dict[str, float] = Field(default_factory=lambda: {"support": 2.0, "sources": 0.5, "consistency": 4.0,
                                                               "coverage": 6.0, "self": 1.0})
    fitted_on: str = Field("default prior", description="What data the weights were fitted on.")

    def confidence(self, signals: dict[str, float]) -> float:
        if signals.get("support", 0.0) <= 0.0:
            return 0.0
        z = self.bias + sum(self.weights.get(name, 0.0) * signals.get(name, 0.0) for name in SIGNALS)
        return round(1 / (1 + math.exp(-z)), 4)

    @classmethod
    def load(cls, path: str | Path) -> Calibrator:
        return cls.model_validate(json.loads(Path(path).read_text()))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.model_dump_json(indent=2))

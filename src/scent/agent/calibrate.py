"""Confidence from explicit signals, through a logistic map whose weights can be fitted on evaluation data.

Signals (each in [0, 1]): `support` — share of cited evidence that passed verification; `sources` — distinct
documents among the supported citations (1, 2, 3+ → 1/3, 2/3, 1); `consistency` — share of the answer's words
found in its supported quotes; `self` — the writer's own confidence. No supported citation means confidence 0.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from pydantic import BaseModel, Field

SIGNALS = ("support", "sources", "consistency", "self")


class Calibrator(BaseModel):
    """confidence = sigmoid(bias + Σ weight·signal). The default weights are a prior: an answer needs verified
    support and words found in its quotes to clear 0.5; the model's own estimate moves it less."""

    bias: float = -3.0
    weights: dict[str, float] = Field(default_factory=lambda: {"support": 2.5, "sources": 0.8,
                                                               "consistency": 2.2, "self": 1.0})
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

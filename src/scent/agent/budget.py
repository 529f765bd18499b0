"""Run budgets: steps, tokens and seconds. Exceeding one stops the search; the writer still answers from what
was verified (or abstains)."""

from __future__ import annotations

import threading
import time

from pydantic import BaseModel, Field


class BudgetConfig(BaseModel):
    """Defaults suit the embedded 0.5B model on 2 cores; a strong server model can be given more room."""

    max_steps: int = Field(10, ge=1, description="Tool calls (searches, opens, finds) for the whole run.")
    max_rounds: int = Field(3, ge=1, description="Search → read → reflect rounds per (sub-)question.")
    max_tokens: int = Field(60_000, ge=1000, description="Prompt + completion tokens for the whole run.")
    max_seconds: float = Field(900.0, gt=0, description="Wall-clock limit for the search phase.")


class Budget:
    def __init__(self, config: BudgetConfig) -> None:
        self.config = config
        self.started = time.monotonic()
        self.steps = 0
        self.tokens = 0
        self._lock = threading.Lock()

    def spend(self, steps: int = 0, tokens: int = 0) -> None:
        with self._lock:
            self.steps += steps
            self.tokens += tokens

    def exhausted(self) -> str | None:
        """Which limit is reached, or None."""
        if self.steps >= self.config.max_steps:
            return "steps"
        if self.tokens >= self.config.max_tokens:
            return "tokens"
        if time.monotonic() - self.started >= self.config.max_seconds:
            return "seconds"
        return None

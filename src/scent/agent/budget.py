"""Run budgets: steps, tokens and seconds. Exceeding one stops the search; the writer still answers from what
was verified (or abstains)."""

from __future__ import annotations

import threading
import time

from scent.config import BudgetConfig

__all__ = ["Budget", "BudgetConfig"]


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

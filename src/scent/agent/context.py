"""What one run shares between the planner, the sub-agents and the writer."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from scent.agent import prompts
from scent.agent.budget import Budget, BudgetConfig
from scent.agent.ledger import Ledger
from scent.llm.base import ChatBackend, LLMError
from scent.tools import Observation, Tools
from scent.trace import TraceWriter


class AgentConfig(BaseModel):
    """How the agent searches, reads and decides."""

    k: int = Field(5, ge=1, le=20, description="Passages per search.")
    read_top: int = Field(3, ge=1, le=5, description="Unread passages shown to the reader per search.")
    queries_per_round: int = Field(2, ge=1, le=5, description="Queries run per search round.")
    judge: bool = Field(True, description="Ask the judge role whether each cited quote supports the answer.")
    abstain_below: float = Field(0.5, ge=0, le=1, description="Abstain when calibrated confidence is lower.")
    budget: BudgetConfig = Field(default_factory=BudgetConfig)


@dataclass
class RunContext:
    question: str
    tools: Tools
    llms: dict[str, ChatBackend]
    trace: TraceWriter
    config: AgentConfig
    ledger: Ledger = field(default_factory=Ledger)
    budget: Budget = field(init=False)
    searched: set[str] = field(default_factory=set)
    opened: set[str] = field(default_factory=set)
    queries: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"searches": 0, "opens": 0, "finds": 0,
                                                            "llm_calls": 0, "prompt_tokens": 0,
                                                            "completion_tokens": 0, "llm_failures": 0})
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.budget = Budget(self.config.budget)

    def ask(self, role: str, prompt: str, schema: dict[str, Any], max_tokens: int = 256,
            **fields: Any) -> dict[str, Any] | None:
        """One schema-constrained decision by a role's model; None when the model fails even after repairs (the
        caller then takes its deterministic default — a bad reply never ends the run)."""
        try:
            reply = self.llms[role].complete(prompts.messages(prompt, **fields), schema=schema,
                                             max_tokens=max_tokens)
        except LLMError as e:
            self.trace.emit("error", role=role, prompt=prompt, error=str(e))
            with self._lock:
                self.counts["llm_failures"] += 1
            return None
        with self._lock:
            self.counts["llm_calls"] += reply.attempts
            self.counts["prompt_tokens"] += reply.usage.prompt_tokens
            self.counts["completion_tokens"] += reply.usage.completion_tokens
        self.budget.spend(tokens=reply.usage.prompt_tokens + reply.usage.completion_tokens)
        value = reply.json_value
        return value if isinstance(value, dict) else None

    def tool(self, name: str, **arguments: Any) -> Observation | None:
        """Run a tool under the loop guards (no repeated query or open, step budget); None when refused."""
        key = f"{name}:{sorted(arguments.items())}".lower()
        seen = self.searched if name == "search" else self.opened
        with self._lock:
            if key in seen or self.budget.exhausted():
                return None
            seen.add(key)
            if name == "search":
                self.queries.append(str(arguments.get("query", "")))
            self.counts[{"search": "searches", "open_document": "opens"}.get(name, "finds")] += 1
        self.budget.spend(steps=1)
        self.trace.emit("tool_call", tool=name, args=arguments)
        observation = self.tools.call(name, arguments)
        self.trace.emit("tool_result", tool=name, ids=observation.ids, error=observation.error)
        return observation

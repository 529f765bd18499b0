"""What one run shares between its steps: the question, tools, models, trace, settings, ledger and budget."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from scent.agent import prompts
from scent.agent.budget import Budget
from scent.agent.ledger import Ledger
from scent.config import AgentConfig
from scent.llm.base import Completion, LLMError, ScoringUnsupportedError
from scent.protocols import LLM
from scent.tools import Observation, Tools
from scent.trace import TraceWriter

__all__ = ["AgentConfig", "RunContext"]


@dataclass
class RunContext:
    question: str
    tools: Tools
    llms: dict[str, LLM]
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
    retrieved: dict[str, None] = field(default_factory=dict)  # every passage id a tool returned, in first-seen order
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.budget = Budget(self.config.budget)

    def ask(self, role: str, prompt: str, schema: dict[str, Any], max_tokens: int = 256,
            **fields: Any) -> dict[str, Any] | None:
        """One schema-constrained decision by a role's model; None when the model fails even after repairs (the
        caller then takes its deterministic default — a bad reply never ends the run)."""
        reply = self._call(role, prompts.messages(prompt, **fields), schema, max_tokens, prompt)
        value = reply.json_value if reply is not None else None
        return value if isinstance(value, dict) else None

    def say(self, role: str, prompt: str, max_tokens: int = 32, **fields: Any) -> str | None:
        """One free-text reply (no JSON, no grammar: a 0.5B model answers better in plain words); None when the
        model fails."""
        reply = self._call(role, prompts.messages(prompt, system="system_text", **fields), None, max_tokens, prompt)
        return reply.text if reply is not None else None

    def score(self, role: str, messages: list[Any], replies: list[str]) -> list[float] | None:
        """The role's model's log-probability of each reply to `messages`; None when it cannot score (a server
        without log-probabilities, a replayed script) or fails — the caller then decides without scores."""
        score = getattr(self.llms[role], "score", None)
        try:
            return list(score(messages, replies)) if score is not None else None
        except ScoringUnsupportedError:
            return None
        except LLMError as e:
            self.trace.emit("error", role=role, prompt="score", error=str(e))
            return None

    def _call(self, role: str, messages: list[Any], schema: dict[str, Any] | None, max_tokens: int,
              prompt: str) -> Completion | None:
        try:
            reply = self.llms[role].complete(messages, schema=schema, max_tokens=max_tokens)
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
        return reply

    def tool(self, name: str, **arguments: Any) -> Observation | None:
        """Run a tool under the loop guards (no repeated query or open, step budget); None when refused."""
        key = f"{name}:{sorted(arguments.items())}".lower()
        seen = self.searched if name in ("search", "lookup") else self.opened
        with self._lock:
            if key in seen or self.budget.exhausted():
                return None
            seen.add(key)
            if name == "search":
                self.queries.append(str(arguments.get("query", "")))
            self.counts[{"search": "searches", "lookup": "searches", "open_document": "opens"}.get(name, "finds")] += 1
        self.budget.spend(steps=1)
        self.trace.emit("tool_call", tool=name, args=arguments)
        observation = self.tools.call(name, arguments)
        self.trace.emit("tool_result", tool=name, ids=observation.ids, error=observation.error)
        with self._lock:
            self.retrieved.update(dict.fromkeys(observation.ids))
        return observation

"""Resume a killed run from its trace.

The trace holds every model reply keyed by the hash of the prompt that produced it. Resuming re-runs the agent
from the start against the same index: searches and reads are deterministic and cheap, and every model call
whose prompt was already answered is served from the trace instead of the model (the expensive work is not
redone). The first prompt the trace has no reply for goes to the live model, and the run continues from there.
"""

from __future__ import annotations

from collections import defaultdict, deque
from typing import TYPE_CHECKING, Any, cast

from scent.llm.base import Completion, Request, TokenUsage, ToolCall
from scent.llm.wrap import HookedLLM
from scent.protocols import LLM
from scent.trace import prompt_hash

if TYPE_CHECKING:
    from scent.events import LLMCall, TraceEvent


def recorded_replies(events: list[dict[str, Any]]) -> dict[str, deque[LLMCall]]:
    """The `llm_call` events that hold a model's reply (not one served from an earlier trace), by prompt hash."""
    replies: dict[str, deque[LLMCall]] = defaultdict(deque)
    for event in cast("list[TraceEvent]", events):
        if event["type"] == "llm_call" and "reply" in event and not event.get("replayed"):
            replies[event["prompt_hash"]].append(event)
    return replies


class Replay:
    """A hook that serves recorded replies for prompts seen before (in order per prompt); other prompts go on to
    the live backend."""

    def __init__(self, replies: dict[str, deque[LLMCall]], spec: str) -> None:
        self.replies, self.spec = replies, spec
        self.replayed = 0

    def before(self, request: Request) -> Completion | None:
        queue = self.replies.get(prompt_hash(request.messages, request.schema))
        if not queue:
            return None
        event = queue.popleft()
        self.replayed += 1
        return Completion(model=event.get("model", self.spec), text=event["reply"],
                          reasoning=event.get("reasoning") or "",
                          tool_calls=[ToolCall(**c) for c in event.get("tool_calls") or []],
                          usage=TokenUsage(prompt_tokens=event.get("prompt_tokens", 0),
                                           completion_tokens=event.get("completion_tokens", 0)),
                          latency_ms=0.0, replayed=True)

    def after(self, request: Request, reply: Completion | None, error: BaseException | None) -> None:
        return None


class ReplayThenLive(HookedLLM):
    """`live` with a `Replay` hook; `replayed` counts the replies served from the trace."""

    def __init__(self, live: LLM, replies: dict[str, deque[LLMCall]]) -> None:
        self.replay = Replay(replies, live.spec)
        super().__init__(live, self.replay)

    @property
    def replayed(self) -> int:
        return self.replay.replayed

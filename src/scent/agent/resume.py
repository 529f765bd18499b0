"""Resume a killed run from its trace.

The trace holds every model reply keyed by the hash of the prompt that produced it. Resuming re-runs the agent
from the start against the same index: searches and reads are deterministic and cheap, and every model call
whose prompt was already answered is served from the trace instead of the model (the expensive work is not
redone). The first prompt the trace has no reply for goes to the live model, and the run continues from there.
"""

from __future__ import annotations

from collections import defaultdict, deque
from typing import Any

from scent.llm.base import ChatBackend, Completion, Message, ToolCall, Usage
from scent.trace import prompt_hash


def recorded_replies(events: list[dict[str, Any]]) -> dict[str, deque[dict[str, Any]]]:
    replies: dict[str, deque[dict[str, Any]]] = defaultdict(deque)
    for event in events:
        if event.get("type") == "llm_call" and "reply" in event and not event.get("replayed"):
            replies[event["prompt_hash"]].append(event)
    return replies


class ReplayThenLive(ChatBackend):
    """Serves recorded replies for prompts seen before (in order per prompt), else calls the live backend."""

    def __init__(self, live: ChatBackend, replies: dict[str, deque[dict[str, Any]]]) -> None:
        self.live = live
        self.replies = replies
        self.spec = live.spec
        self.json_repairs = live.json_repairs
        self.replayed = 0

    def _chat(self, messages: list[Message], *, schema: dict[str, Any] | None, tools: list[dict[str, Any]] | None,
              max_tokens: int, temperature: float, stop: list[str] | None, on_token: Any) -> Completion:
        queue = self.replies.get(prompt_hash(messages, schema))
        if not queue:
            return self.live._chat(messages, schema=schema, tools=tools, max_tokens=max_tokens,
                                   temperature=temperature, stop=stop, on_token=on_token)
        event = queue.popleft()
        self.replayed += 1
        return Completion(model=event.get("model", self.spec), text=event["reply"],
                          reasoning=event.get("reasoning") or "",
                          tool_calls=[ToolCall(**c) for c in event.get("tool_calls") or []],
                          usage=Usage(prompt_tokens=event.get("prompt_tokens", 0),
                                      completion_tokens=event.get("completion_tokens", 0)),
                          latency_ms=0.0, replayed=True)

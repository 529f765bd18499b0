"""Replay of recorded model calls (`scripted:FILE`), and the recorder that writes such files from real runs.

A script is JSON Lines, one call per line:
    {"key": "…", "role": "…", "request": {"messages": […], "schema": …, "tools": …},
     "response": {"model": "…", "text": "…", "tool_calls": […], "usage": {…}, "reasoning": "…"}}
Only `response.text` is required. Replay hands out responses in order; a response whose `key` (a hash of the
request) matches the current request is preferred, so concurrent callers replay deterministically.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

from scent.llm.base import ChatBackend, Completion, LLMError, Message, Request, TokenUsage, ToolCall
from scent.llm.wrap import HookedLLM
from scent.protocols import LLM


def request_key(messages: list[Message], schema: dict[str, Any] | None, tools: list[dict[str, Any]] | None) -> str:
    payload = json.dumps({"messages": messages, "schema": schema, "tools": tools}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


class ScriptedLLM(ChatBackend):
    """Replays a script; raises LLMError once it runs out (a test that makes more calls than recorded)."""

    def __init__(self, path: str | Path, json_repairs: int = 2) -> None:
        self.path = Path(path)
        self.spec = f"scripted:{path}"
        self.json_repairs = json_repairs
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError as e:
            raise LLMError(f"{self.spec}: cannot read the script: {e.strerror}") from e
        self.entries: list[dict[str, Any]] = []
        for number, line in enumerate(lines, 1):
            if line.strip():
                try:
                    entry = json.loads(line)
                    entry["response"]["text"]
                except (json.JSONDecodeError, KeyError, TypeError) as e:
                    raise LLMError(f"{self.spec}: line {number} is not a recorded call: {e}") from e
                self.entries.append(entry)
        self.used = [False] * len(self.entries)
        self.calls = 0
        self._lock = threading.Lock()

    def _next(self, key: str) -> dict[str, Any]:
        with self._lock:
            order = [i for i, used in enumerate(self.used) if not used]
            if not order:
                raise LLMError(f"{self.spec}: script exhausted after {len(self.entries)} calls")
            index = next((i for i in order if self.entries[i].get("key") == key), order[0])
            self.used[index] = True
            self.calls += 1
            return self.entries[index]

    def _chat(self, messages: list[Message], *, schema: dict[str, Any] | None, tools: list[dict[str, Any]] | None,
              max_tokens: int, temperature: float, stop: list[str] | None, on_token: Any) -> Completion:
        response = self._next(request_key(messages, schema, tools))["response"]
        if on_token is not None and response["text"]:
            on_token(response["text"])
        return Completion(model=response.get("model", self.spec), text=response["text"],
                          reasoning=response.get("reasoning", ""),
                          tool_calls=[ToolCall(**c) for c in response.get("tool_calls", [])],
                          usage=TokenUsage(**response.get("usage", {})),
                          finish_reason=response.get("finish_reason", ""))


class Recording:
    """A hook that appends every raw call (retries and repairs included) to a script file."""

    def __init__(self, path: str | Path, role: str = "") -> None:
        self.path, self.role = Path(path), role
        self._lock = threading.Lock()

    def before(self, request: Request) -> Completion | None:
        return None

    def after(self, request: Request, reply: Completion | None, error: BaseException | None) -> None:
        if reply is None:
            return
        messages, schema, tools = request.messages, request.schema, request.tools
        entry = {"key": request_key(messages, schema, tools), "role": self.role,
                 "request": {"messages": messages, "schema": schema, "tools": tools},
                 "response": {"model": reply.model, "text": reply.text, "reasoning": reply.reasoning,
                              "tool_calls": [c.model_dump() for c in reply.tool_calls],
                              "usage": reply.usage.model_dump(), "finish_reason": reply.finish_reason}}
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")


class RecordingLLM(HookedLLM):
    """`inner` with a `Recording` hook."""

    def __init__(self, inner: LLM, path: str | Path, role: str = "") -> None:
        super().__init__(inner, Recording(path, role))

"""The LLM backends' errors and the structured-output check shared by all of them. What a backend receives and
returns (`Request`, `Completion`, `Message`, …) are data types in `scent.types`, re-exported here."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from scent.types import Completion as Completion
from scent.types import Message as Message
from scent.types import Request as Request
from scent.types import TokenUsage as TokenUsage
from scent.types import ToolCall as ToolCall


class LLMError(RuntimeError):
    """A model call that failed for good (after the backend's retries)."""


class ContextOverflowError(LLMError):
    """The prompt plus the completion budget does not fit the model's context window."""

    def __init__(self, model: str, prompt_tokens: int, max_tokens: int, limit: int) -> None:
        super().__init__(
            f"{model}: prompt of {prompt_tokens} tokens + max_tokens {max_tokens} exceeds the context window of "
            f"{limit} tokens; shorten the prompt or lower max_tokens")
        self.prompt_tokens, self.max_tokens, self.limit = prompt_tokens, max_tokens, limit


class ScoringUnsupportedError(LLMError):
    """The backend cannot score given replies (no log-probabilities): the caller goes on without the scores."""


class StructuredOutputError(LLMError):
    """The model kept returning JSON that does not match the schema, even after repair attempts."""


_THINK = re.compile(r"<think>(.*?)(?:</think>|$)", re.DOTALL)
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


def split_reasoning(text: str) -> tuple[str, str]:
    """(answer, reasoning): `<think>…</think>` blocks moved out of the answer."""
    reasoning = "\n".join(m.strip() for m in _THINK.findall(text))
    return _THINK.sub("", text).strip(), reasoning


def extract_json(text: str) -> Any:
    """Parse JSON from a model's reply: bare, fenced, or the first balanced object/array in prose.
    Raises ValueError with the parser's message when nothing parses."""
    text = text.strip()
    fenced = _FENCE.match(text)
    candidates = [fenced.group(1)] if fenced else [text]
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    if start > 0:
        candidates.append(text[start:])
    error = "no JSON found"
    for candidate in candidates:
        try:
            value, _end = json.JSONDecoder().raw_decode(candidate)
            return value
        except json.JSONDecodeError as e:
            error = f"{e.msg} at line {e.lineno} column {e.colno}"
    raise ValueError(f"invalid JSON: {error}")


def validate(value: Any, schema: dict[str, Any]) -> None:
    """Raise ValueError naming the first schema violation."""
    import jsonschema

    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError as e:
        where = "/".join(str(p) for p in e.absolute_path) or "(root)"
        raise ValueError(f"schema violation at {where}: {e.message}") from None


def parse_structured(text: str, schema: dict[str, Any]) -> Any:
    value = extract_json(text)
    validate(value, schema)
    return value


def repair_messages(messages: list[Message], reply: str, error: str) -> list[Message]:
    """The conversation plus the bad reply and the validation error, asking for a corrected reply."""
    return [*messages, {"role": "assistant", "content": reply[:2000]},
            {"role": "user", "content": f"That reply was not valid ({error}). Reply again with only the JSON "
                                        "object, matching the schema exactly."}]


class ChatBackend:
    """Shared behaviour of the backends: schema validation with bounded repair, and async via a thread.

    Subclasses implement `_chat`, one raw call; `call` is its public face (what wrappers and benches use).
    A backend that constrains decoding by the schema (llama.cpp
    grammars, `response_format` json_schema) still has its reply validated here: a grammar-bound reply can be
    cut off by `max_tokens`, and servers differ in how strictly they honour schemas.
    """

    spec: str = ""
    json_repairs: int = 2

    def _chat(self, messages: list[Message], *, schema: dict[str, Any] | None, tools: list[dict[str, Any]] | None,
              max_tokens: int, temperature: float, stop: list[str] | None, on_token: Any) -> Completion:
        raise NotImplementedError

    def call(self, request: Request) -> Completion:
        """One raw call: no schema check, no repair turn."""
        return self._chat(request.messages, schema=request.schema, tools=request.tools,
                          max_tokens=request.max_tokens, temperature=request.temperature, stop=request.stop,
                          on_token=request.on_token)

    def complete(self, messages: list[Message], *, schema: dict[str, Any] | None = None,
                 tools: list[dict[str, Any]] | None = None, max_tokens: int = 512, temperature: float = 0.0,
                 stop: list[str] | None = None, on_token: Any = None) -> Completion:
        """One chat completion. With `schema`, `json` holds a value valid against it, or StructuredOutputError
        is raised after `json_repairs` corrective turns (each shown the validation error)."""
        attempt_messages = messages
        total = TokenUsage()
        errors: list[str] = []
        for attempt in range(1, (self.json_repairs if schema else 0) + 2):
            reply = self.call(Request(attempt_messages, schema, tools, max_tokens, temperature, stop, on_token))
            total.prompt_tokens += reply.usage.prompt_tokens
            total.completion_tokens += reply.usage.completion_tokens
            reply.usage, reply.attempts = total.model_copy(), attempt
            if schema is None:
                return reply
            try:
                reply.json_value = parse_structured(reply.text, schema)
                return reply
            except ValueError as e:
                errors.append(str(e))
                attempt_messages = repair_messages(messages, reply.text, str(e))
        raise StructuredOutputError(f"{self.spec}: no schema-valid JSON after {len(errors)} attempts: "
                                    + "; ".join(errors))

    def score(self, messages: list[Message], replies: Sequence[str]) -> list[float]:
        """The log-probability of each reply as the model's whole answer to `messages` (its end-of-turn token
        included, so a reply cut short scores lower than the complete one). Backends without log-probabilities
        raise ScoringUnsupportedError."""
        raise ScoringUnsupportedError(f"{self.spec}: this backend cannot score replies")

    async def acomplete(self, messages: list[Message], **kwargs: Any) -> Completion:
        """`complete` without blocking the event loop (the servers run several questions at once)."""
        import asyncio

        return await asyncio.to_thread(self.complete, messages, **kwargs)

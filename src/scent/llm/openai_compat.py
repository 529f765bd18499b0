"""Any OpenAI-compatible chat server (vLLM, Ollama, llama.cpp server, hosted APIs): `openai:BASE_URL#MODEL`.

Retries with exponential backoff and full jitter on 429, 5xx, timeouts and connection errors, honouring
`Retry-After`; `<think>` reasoning is split from the answer; usage is taken from the server's accounting.
"""

from __future__ import annotations

import email.utils
import json
import os
import random
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

from scent.config import LLMConfig
from scent.llm.base import (
    ChatBackend,
    Completion,
    ContextOverflowError,
    LLMError,
    Message,
    ToolCall,
    Usage,
    split_reasoning,
)

_RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
_CONTEXT_LIMIT = re.compile(r"(?:maximum context length|context window|context length)[^0-9]{0,40}(\d+)", re.I)


def retry_delay(attempt: int, retry_after: str | None, base: float, cap: float, rng: random.Random) -> float:
    """Seconds to wait before retry `attempt` (1-based): the server's Retry-After when given (seconds or an
    HTTP date), else full-jitter exponential backoff; never more than `cap`."""
    if retry_after:
        try:
            return min(cap, max(0.0, float(retry_after)))
        except ValueError:
            when = email.utils.parsedate_to_datetime(retry_after) if retry_after.strip() else None
            if when is not None:
                return min(cap, max(0.0, when.timestamp() - time.time()))
    return rng.uniform(0, min(cap, base * 2 ** (attempt - 1)))


class OpenAICompatLLM(ChatBackend):
    def __init__(self, base_url: str, model: str, config: LLMConfig | None = None, api_key: str | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        import httpx

        self.config = config or LLMConfig()
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.spec = f"openai:{self.base_url}#{model}"
        self.json_repairs = self.config.json_repairs
        key = api_key or os.environ.get("SCENT_API_KEY") or os.environ.get("OPENAI_API_KEY")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.client = httpx.Client(timeout=httpx.Timeout(self.config.timeout_s, connect=10.0), headers=headers)
        self._sleep = sleep
        self._rng = random.Random()
        # OpenAI's `json_schema` response format first; servers that only know `json_object` + `schema`
        # (llama.cpp's server, older vLLM) get that form after they reject the first
        self._schema_format = "json_schema"

    def _body(self, messages: list[Message], schema: dict[str, Any] | None, tools: list[dict[str, Any]] | None,
              max_tokens: int, temperature: float, stop: list[str] | None, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": messages, "max_tokens": max_tokens,
                                "temperature": temperature}
        if stop:
            body["stop"] = stop
        if schema is not None and self._schema_format == "json_schema":
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": "response", "schema": schema, "strict": True}}
        elif schema is not None:
            body["response_format"] = {"type": "json_object", "schema": schema}
        if tools:
            body["tools"] = tools
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    def _post(self, body: dict[str, Any]) -> Any:
        """POST with retries; returns the open (streaming) response. The caller closes it."""
        import httpx

        url = f"{self.base_url}/chat/completions"
        attempt = 0
        while True:
            attempt += 1
            retry_after = None
            try:
                response = self.client.send(self.client.build_request("POST", url, json=body), stream=True)
            except (httpx.TransportError, httpx.TimeoutException) as e:
                problem = f"{type(e).__name__}: {e}"
            else:
                if response.status_code < 400:
                    return response
                response.read()
                response.close()
                problem = f"HTTP {response.status_code}: {response.text[:300]}"
                if _rejects_json_schema(body, response.text) and self._schema_format == "json_schema":
                    self._schema_format = "json_object"
                    body = {**body, "response_format": {"type": "json_object",
                                                        "schema": body["response_format"]["json_schema"]["schema"]}}
                    attempt -= 1  # a format negotiation, not a failure
                    continue
                if response.status_code not in _RETRY_STATUS:
                    self._raise_for(response.status_code, response.text, body)
                retry_after = response.headers.get("retry-after")
            if attempt > self.config.max_retries:
                raise LLMError(f"{self.spec}: giving up after {attempt} attempts; last error: {problem}")
            self._sleep(retry_delay(attempt, retry_after, self.config.backoff_base_s, self.config.backoff_max_s,
                                    self._rng))

    def _raise_for(self, status: int, text: str, body: dict[str, Any]) -> None:
        limit = _CONTEXT_LIMIT.search(text)
        if status == 400 and limit:
            raise ContextOverflowError(self.spec, -1, body["max_tokens"], int(limit.group(1)))
        raise LLMError(f"{self.spec}: HTTP {status}: {text[:500]}")

    def _chat(self, messages: list[Message], *, schema: dict[str, Any] | None, tools: list[dict[str, Any]] | None,
              max_tokens: int, temperature: float, stop: list[str] | None, on_token: Any) -> Completion:
        started = time.perf_counter()
        stream = on_token is not None
        response = self._post(self._body(messages, schema, tools, max_tokens, temperature, stop, stream))
        try:
            if stream:
                data = _collect_stream(response.iter_lines(), on_token)
            else:
                response.read()
                data = response.json()
        except (ValueError, KeyError) as e:
            raise LLMError(f"{self.spec}: unreadable response: {e}") from e
        finally:
            response.close()
        return self._completion(data, (time.perf_counter() - started) * 1000)

    def _completion(self, data: dict[str, Any], latency_ms: float) -> Completion:
        try:
            choice = data["choices"][0]
            message = choice.get("message") or {}
        except (KeyError, IndexError, TypeError) as e:
            raise LLMError(f"{self.spec}: response without choices: {str(data)[:300]}") from e
        text, reasoning = split_reasoning(message.get("content") or "")
        reasoning = "\n".join(r for r in (message.get("reasoning_content") or "", reasoning) if r)
        usage = data.get("usage") or {}
        return Completion(
            model=str(data.get("model") or self.model), text=text, reasoning=reasoning,
            tool_calls=[_tool_call(c) for c in message.get("tool_calls") or []],
            usage=Usage(prompt_tokens=usage.get("prompt_tokens") or 0,
                        completion_tokens=usage.get("completion_tokens") or 0),
            latency_ms=latency_ms, finish_reason=choice.get("finish_reason") or "")


def _rejects_json_schema(body: dict[str, Any], error: str) -> bool:
    fmt = body.get("response_format") or {}
    return fmt.get("type") == "json_schema" and "response_format" in error and "json_object" in error


def _tool_call(raw: dict[str, Any]) -> ToolCall:
    function = raw.get("function") or {}
    arguments = function.get("arguments") or "{}"
    try:
        parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
    except json.JSONDecodeError:
        parsed = {"_unparsed": arguments}  # handed back to the model as an error by the tool layer
    return ToolCall(id=str(raw.get("id") or ""), name=str(function.get("name") or ""),
                    arguments=parsed if isinstance(parsed, dict) else {"_value": parsed})


def _collect_stream(lines: Iterator[str], on_token: Callable[[str], None]) -> dict[str, Any]:
    """Fold an SSE stream of chat.completion.chunk events into one non-streamed response."""
    content: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    finish, model, usage = "", "", None
    for line in lines:
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        if payload == "[DONE]":
            break
        chunk = json.loads(payload)
        model = chunk.get("model") or model
        usage = chunk.get("usage") or usage
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            if delta.get("content"):
                content.append(delta["content"])
                on_token(delta["content"])
            for call in delta.get("tool_calls") or []:
                slot = calls.setdefault(call.get("index", 0), {"id": "", "function": {"name": "", "arguments": ""}})
                slot["id"] = call.get("id") or slot["id"]
                fn = call.get("function") or {}
                slot["function"]["name"] += fn.get("name") or ""
                slot["function"]["arguments"] += fn.get("arguments") or ""
            finish = choice.get("finish_reason") or finish
    message = {"content": "".join(content), "tool_calls": [calls[i] for i in sorted(calls)]}
    return {"model": model, "choices": [{"message": message, "finish_reason": finish}], "usage": usage}

"""Any OpenAI-compatible chat server (vLLM, Ollama, llama.cpp server, hosted APIs): `openai:BASE_URL#MODEL`.

Retries with exponential backoff and full jitter on 429, 5xx, timeouts and connection errors, honouring
`Retry-After`; `<think>` reasoning is split from the answer; usage is taken from the server's accounting.
"""

from __future__ import annotations

import email.utils
import json
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from scent.config import LLMConfig
from scent.llm.base import (
    ChatBackend,
    Completion,
    ContextOverflowError,
    LLMError,
    Message,
    TokenUsage,
    ToolCall,
    split_reasoning,
)
from scent.llm.http import api_key_for, make_client, redirect_message
from scent.llm.stop import Stopped, stop_check

_RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
_ERROR_BYTES = 64 * 1024
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


class _Retry(Exception):
    """One attempt failed in a way worth retrying (429/5xx, timeout, connection error)."""

    def __init__(self, problem: str, retry_after: str | None = None) -> None:
        super().__init__(problem)
        self.problem, self.retry_after = problem, retry_after


class _Renegotiate(Exception):
    """The server rejected `json_schema`: send again with `json_object` + `schema`."""


class OpenAICompatLLM(ChatBackend):
    def __init__(self, base_url: str, model: str, config: LLMConfig | None = None, api_key: str | None = None,
                 sleep: Callable[[float], None] = time.sleep, local_only: bool = False) -> None:
        self.config = config or LLMConfig()
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.spec = f"openai:{self.base_url}#{model}"
        self.json_repairs = self.config.json_repairs
        key = api_key or api_key_for(self.base_url, self.config.api_key_origins)
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.client = make_client(self.base_url, self.config.timeout_s, local_only, headers)
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

    def _request(self, body: dict[str, Any], on_token: Callable[[str], None] | None) -> dict[str, Any]:
        """The reply of one call, with retries; each attempt must complete within `timeout_s`."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(body, on_token)
            except _Renegotiate:
                self._schema_format = "json_object"
                body = {**body, "response_format": {"type": "json_object",
                                                    "schema": body["response_format"]["json_schema"]["schema"]}}
                attempt -= 1  # a format negotiation, not a failure
                continue
            except _Retry as e:
                problem, retry_after = e.problem, e.retry_after
            if attempt > self.config.max_retries:
                raise LLMError(f"{self.spec}: giving up after {attempt} attempts; last error: {problem}")
            self._sleep(retry_delay(attempt, retry_after, self.config.backoff_base_s, self.config.backoff_max_s,
                                    self._rng))

    def _attempt(self, body: dict[str, Any], on_token: Callable[[str], None] | None) -> dict[str, Any]:
        """One request under a deadline for the whole exchange. httpx's timeout is per socket read, so a server
        that drips a byte at a time would otherwise hold the call forever: the exchange runs in a worker thread
        and is abandoned (told to stop at its next read) when `timeout_s` has passed."""
        cancel = threading.Event()
        opened: list[Any] = []
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scent-http")
        future = pool.submit(self._exchange, body, on_token, cancel, opened)
        pool.shutdown(wait=False)
        check = stop_check()
        if check is None:
            try:
                return future.result(timeout=self.config.timeout_s)
            except FutureTimeout:
                cancel.set()
                raise _Retry(f"no complete reply within timeout_s={self.config.timeout_s:g} s") from None
        deadline = time.monotonic() + self.config.timeout_s
        while True:  # a run that may be cancelled: look at its stop check every 0.1 s
            try:
                return future.result(timeout=max(0.0, min(0.1, deadline - time.monotonic())))
            except FutureTimeout:
                if check():
                    cancel.set()
                    for response in opened:  # the server sees the connection close and stops generating
                        response.close()
                    raise Stopped(f"{self.spec}: the run was cancelled") from None
                if time.monotonic() >= deadline:
                    cancel.set()
                    raise _Retry(f"no complete reply within timeout_s={self.config.timeout_s:g} s") from None

    def _exchange(self, body: dict[str, Any], on_token: Callable[[str], None] | None,
                  cancel: threading.Event, opened: list[Any] | None = None) -> dict[str, Any]:
        import httpx

        url = f"{self.base_url}/chat/completions"
        try:
            response = self.client.send(self.client.build_request("POST", url, json=body), stream=True)
        except (httpx.TransportError, httpx.TimeoutException) as e:
            raise _Retry(f"{type(e).__name__}: {e}") from None
        if opened is not None:
            opened.append(response)  # for a cancelled run to close
        try:
            status = response.status_code
            if 300 <= status < 400:
                raise LLMError(redirect_message(url, status, response.headers.get("location")))
            if status >= 400:
                text = _read_bounded(response, _ERROR_BYTES, cancel).decode("utf-8", "replace")
                if _rejects_json_schema(body, text) and self._schema_format == "json_schema":
                    raise _Renegotiate
                if status not in _RETRY_STATUS:
                    self._raise_for(status, text, body)
                raise _Retry(f"HTTP {status}: {text[:300]}", response.headers.get("retry-after"))
            max_tokens = int(body["max_tokens"])
            if body.get("stream"):
                return _collect_stream(response.iter_lines(), on_token or (lambda t: None), max_tokens, cancel)
            raw = _read_bounded(response, _reply_bytes(max_tokens), cancel, what="reply")
            return json.loads(raw)  # type: ignore[no-any-return]
        except (httpx.TransportError, httpx.TimeoutException) as e:
            raise _Retry(f"{type(e).__name__} while reading the reply: {e}") from None
        except (ValueError, KeyError) as e:
            raise LLMError(f"{self.spec}: unreadable response: {e}") from e
        finally:
            response.close()

    def _raise_for(self, status: int, text: str, body: dict[str, Any]) -> None:
        limit = _CONTEXT_LIMIT.search(text)
        if status == 400 and limit:
            raise ContextOverflowError(self.spec, -1, body["max_tokens"], int(limit.group(1)))
        hint = ""
        if status in (401, 403) and "authorization" not in {k.lower() for k in self.client.headers}:
            hint = (" (no API key was sent: a key from SCENT_API_KEY / OPENAI_API_KEY goes only to loopback "
                    "endpoints and to the origins in [llm] api_key_origins; see docs/security.md)")
        raise LLMError(f"{self.spec}: HTTP {status}: {text[:500]}{hint}")

    def _chat(self, messages: list[Message], *, schema: dict[str, Any] | None, tools: list[dict[str, Any]] | None,
              max_tokens: int, temperature: float, stop: list[str] | None, on_token: Any) -> Completion:
        started = time.perf_counter()
        stream = on_token is not None
        data = self._request(self._body(messages, schema, tools, max_tokens, temperature, stop, stream), on_token)
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
            usage=TokenUsage(prompt_tokens=usage.get("prompt_tokens") or 0,
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


def _reply_bytes(max_tokens: int) -> int:
    """The most bytes a non-streamed reply of `max_tokens` tokens can reasonably take: a token is a few
    characters, each at most 6 bytes JSON-escaped, plus the envelope. A server that ignores max_tokens is cut off
    here instead of filling memory."""
    return 64 * 1024 + 64 * max_tokens


def _read_bounded(response: Any, limit: int, cancel: threading.Event, what: str = "error body") -> bytes:
    parts: list[bytes] = []
    size = 0
    for part in response.iter_bytes():
        if cancel.is_set():
            raise _Retry("abandoned after the deadline")
        parts.append(part)
        size += len(part)
        if size > limit:
            if what == "reply":
                raise LLMError(f"{response.request.url}: reply over {limit} bytes, more than max_tokens allows "
                               "(the server ignored max_tokens)")
            break
    return b"".join(parts)[:limit]


def _collect_stream(lines: Iterator[str], on_token: Callable[[str], None], max_tokens: int = 1 << 30,
                    cancel: threading.Event | None = None) -> dict[str, Any]:
    """Fold an SSE stream of chat.completion.chunk events into one non-streamed response. At most `max_tokens`
    content pieces are taken (a server that ignores max_tokens is cut off: finish_reason "length"), and the
    fold stops when the caller abandoned the request."""
    content: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    finish, model, usage = "", "", None
    pieces = 0
    for line in lines:
        if cancel is not None and cancel.is_set():
            raise _Retry("abandoned after the deadline")
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
                pieces += 1
                content.append(delta["content"])
                on_token(delta["content"])
            for call in delta.get("tool_calls") or []:
                pieces += 1
                slot = calls.setdefault(call.get("index", 0), {"id": "", "function": {"name": "", "arguments": ""}})
                slot["id"] = call.get("id") or slot["id"]
                fn = call.get("function") or {}
                slot["function"]["name"] += fn.get("name") or ""
                slot["function"]["arguments"] += fn.get("arguments") or ""
            finish = choice.get("finish_reason") or finish
        if pieces > max_tokens + 8 and not finish:  # a little slack: some servers split a token's bytes
            finish = "length"
            break
    message = {"content": "".join(content), "tool_calls": [calls[i] for i in sorted(calls)]}
    return {"model": model, "choices": [{"message": message, "finish_reason": finish}], "usage": usage}

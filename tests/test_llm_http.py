"""The OpenAI-compatible backend against a real local server that misbehaves on purpose."""

from __future__ import annotations

import json
import socket

import pytest
from fault_server import FaultServer, drop_connection, ok, sleep_then_ok, sse

from scent.config import LLMConfig
from scent.llm import ContextOverflowError, LLMError, StructuredOutputError
from scent.llm.openai_compat import OpenAICompatLLM

SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"],
          "additionalProperties": False}
USER = [{"role": "user", "content": "hi"}]


def _client(server: FaultServer, **config: float) -> tuple[OpenAICompatLLM, list[float]]:
    waits: list[float] = []
    cfg = LLMConfig(**{"max_retries": 3, "timeout_s": 5.0, **config})
    return OpenAICompatLLM(server.url, "fake-model", cfg, api_key="k", sleep=waits.append), waits


def test_plain_call_sends_openai_request_and_counts_usage():
    with FaultServer([ok("Hello!", prompt_tokens=5, completion_tokens=2)]) as server:
        llm, _ = _client(server)
        reply = llm.complete(USER, max_tokens=20, stop=["\n"])
    assert (reply.text, reply.usage.prompt_tokens, reply.usage.completion_tokens) == ("Hello!", 5, 2)
    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer k"
    assert request["body"]["model"] == "fake-model" and request["body"]["stop"] == ["\n"]


def test_429_storm_and_5xx_are_retried_honouring_retry_after():
    replies = [(429, {"Retry-After": "2"}, b"slow down"), (429, {"Retry-After": "7"}, b"slow down"),
               (503, {}, b"overloaded"), ok("finally")]
    with FaultServer(replies) as server:
        llm, waits = _client(server, backoff_base_s=0.5, backoff_max_s=30)
        assert llm.complete(USER).text == "finally"
    assert waits[:2] == [2.0, 7.0] and 0 <= waits[2] <= 2.0  # third: jittered backoff 0.5 * 2**2
    assert len(server.requests) == 4


def test_gives_up_after_bounded_retries_with_the_last_error():
    with FaultServer([(500, {}, b"boom")] * 10) as server:
        llm, waits = _client(server, max_retries=2)
        with pytest.raises(LLMError, match=r"giving up after 3 attempts.*HTTP 500"):
            llm.complete(USER)
    assert len(server.requests) == 3 and len(waits) == 2


def test_client_errors_are_not_retried():
    with FaultServer([(401, {}, b'{"error": "bad key"}')]) as server:
        llm, _ = _client(server)
        with pytest.raises(LLMError, match="HTTP 401"):
            llm.complete(USER)
    assert len(server.requests) == 1


def test_context_overflow_names_the_limit():
    body = b'{"error": {"message": "This model\'s maximum context length is 4096 tokens. However you requested 5000"}}'
    with FaultServer([(400, {}, body)]) as server:
        llm, _ = _client(server)
        with pytest.raises(ContextOverflowError, match="context window of 4096 tokens"):
            llm.complete(USER)


def test_timeouts_and_dropped_connections_are_retried():
    with FaultServer([sleep_then_ok(1.5, "late"), drop_connection, ok("on time")]) as server:
        llm, waits = _client(server, timeout_s=0.5)
        assert llm.complete(USER).text == "on time"
    assert len(waits) == 2


def test_server_down_is_a_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: nothing listens there
    llm = OpenAICompatLLM(f"http://127.0.0.1:{port}/v1", "m", LLMConfig(max_retries=1), sleep=lambda _: None)
    with pytest.raises(LLMError, match=r"giving up after 2 attempts.*ConnectError"):
        llm.complete(USER)


def test_schema_sent_as_response_format_and_malformed_json_repaired():
    replies = [ok('Sure! {"answer": 42}'), ok('```json\n{"answer": "forty'), ok('{"answer": "forty-two"}')]
    with FaultServer(replies) as server:
        llm, _ = _client(server)
        reply = llm.complete(USER, schema=SCHEMA)
    assert reply.json_value == {"answer": "forty-two"} and reply.attempts == 3
    assert reply.usage.prompt_tokens == 33  # summed over the three calls
    first, second = server.requests[0]["body"], server.requests[1]["body"]
    assert first["response_format"]["json_schema"]["schema"] == SCHEMA
    assert "schema violation at answer" in second["messages"][-1]["content"]  # the error is fed back
    assert second["messages"][-2] == {"role": "assistant", "content": 'Sure! {"answer": 42}'}


def test_repairs_are_bounded():
    with FaultServer([ok("not json")] * 3) as server:
        llm, _ = _client(server)
        with pytest.raises(StructuredOutputError, match="after 3 attempts"):
            llm.complete(USER, schema=SCHEMA)


def test_think_blocks_are_stripped_and_kept_as_reasoning():
    with FaultServer([ok("<think>the user greets me</think>\nHello.")]) as server:
        llm, _ = _client(server)
        reply = llm.complete(USER)
    assert (reply.text, reply.reasoning) == ("Hello.", "the user greets me")


def test_tool_calls_are_parsed():
    call = {"id": "c1", "type": "function", "function": {"name": "search", "arguments": '{"query": "otters"}'}}
    tools = [{"type": "function", "function": {"name": "search", "parameters": {"type": "object"}}}]
    with FaultServer([ok("", tool_calls=[call])]) as server:
        llm, _ = _client(server)
        reply = llm.complete(USER, tools=tools)
    assert [(c.id, c.name, c.arguments) for c in reply.tool_calls] == [("c1", "search", {"query": "otters"})]
    assert server.requests[0]["body"]["tools"] == tools


def test_streaming_delivers_tokens_and_usage():
    chunks = [{"model": "fake-model", "choices": [{"delta": {"content": piece}}]} for piece in ["Hel", "lo", "!"]]
    chunks.append({"choices": [{"delta": {}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 3,
                                                                                  "completion_tokens": 3}})
    with FaultServer([sse(chunks)]) as server:
        llm, _ = _client(server)
        seen: list[str] = []
        reply = llm.complete(USER, on_token=seen.append)
    assert seen == ["Hel", "lo", "!"] and reply.text == "Hello!" and reply.finish_reason == "stop"
    assert reply.usage.completion_tokens == 3 and server.requests[0]["body"]["stream"] is True


def test_async_calls_run_concurrently():
    import asyncio

    with FaultServer([sleep_then_ok(0.3, "a"), sleep_then_ok(0.3, "b")]) as server:
        llm, _ = _client(server)

        async def both() -> list[str]:
            replies = await asyncio.gather(llm.acomplete(USER), llm.acomplete(USER))
            return sorted(r.text for r in replies)

        assert asyncio.run(both()) == ["a", "b"]
    assert json.dumps(server.requests[0]["body"]["messages"]) == json.dumps(USER)


def test_servers_without_json_schema_format_get_json_object_with_schema():
    rejection = (400, {}, b'{"error": "response_format.type: Input should be \'text\' or \'json_object\'"}')
    with FaultServer([rejection, ok('{"answer": "a"}'), ok('{"answer": "b"}')]) as server:
        llm, waits = _client(server, max_retries=0)
        assert llm.complete(USER, schema=SCHEMA).json_value == {"answer": "a"}
        assert llm.complete(USER, schema=SCHEMA).json_value == {"answer": "b"}  # remembered: no second rejection
    formats = [r["body"]["response_format"] for r in server.requests]
    assert formats[0]["type"] == "json_schema" and waits == []
    assert formats[1] == formats[2] == {"type": "json_object", "schema": SCHEMA}

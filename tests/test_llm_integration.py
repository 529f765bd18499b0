"""Integration: the real embedded model, and the real llama.cpp OpenAI-compatible server on loopback."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import scent

from scent.llm import load_llm
from scent.llm.base import validate

pytestmark = pytest.mark.integration

SCHEMA = {"type": "object", "properties": {"answer": {"type": "string", "maxLength": 200}},
          "required": ["answer"], "additionalProperties": False}


@pytest.fixture(scope="module")
def model_path() -> Path:
    from scent.llm.catalog import DEFAULT_MODEL, resolve_gguf

    return resolve_gguf(DEFAULT_MODEL)


def test_cli_llm_schema_json_with_the_embedded_model(tmp_path: Path):
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps(SCHEMA))
    proc = scent("llm", "Return a JSON object with a field answer", "--schema", schema, "--json")
    out = json.loads(proc.stdout)
    validate(out["json"], SCHEMA)
    assert out["usage"]["prompt_tokens"] > 0 and out["usage"]["completion_tokens"] > 0
    assert "model: writer=llamacpp:default" in proc.stderr  # the resolved model is printed


def test_embedded_model_answers_from_a_passage_and_calls_tools(model_path: Path):
    llm = load_llm("llamacpp:default")
    reply = llm.complete([{"role": "user", "content": "Passage: The default value of max_connections is 100.\n"
                           "Question: What is the default value of max_connections? Answer with the number."}],
                         max_tokens=16)
    assert "100" in reply.text
    tools = [{"type": "function", "function": {"name": "search", "description": "Search the documents.",
              "parameters": {"type": "object", "properties": {"query": {"type": "string", "maxLength": 80}},
                             "required": ["query"]}}}]
    reply = llm.complete([{"role": "user", "content": "Find documents about otters."}], tools=tools, max_tokens=60)
    assert reply.tool_calls and reply.tool_calls[0].name == "search"
    assert isinstance(reply.tool_calls[0].arguments["query"], str)


def test_embedded_model_scores_replies_and_then_answers_as_before(model_path: Path):
    """Teacher-forced scores: the model's own greedy reply is its likeliest candidate, a reply cut short scores
    lower than it with the end-of-turn token counted, and a chat call after scoring (the cache holding a scored
    reply) answers exactly as before — it once replied '' there."""
    llm = load_llm("llamacpp:default")
    messages = [{"role": "user", "content": "Passage: The default value of max_connections is 100 connections.\n"
                 "Question: What is the default value of max_connections? Answer with the number."}]
    first = llm.complete(messages, max_tokens=16).text.strip()
    replies = [first, "42", "max_connections", first + " and more"]
    scores = llm.score(messages, replies)  # type: ignore[attr-defined]
    assert len(scores) == 4 and all(s < 0 for s in scores)
    assert scores[0] == max(scores)
    assert llm.score(messages, [first]) == scores[:1]  # deterministic, from the cached prompt
    assert llm.complete(messages, max_tokens=16).text.strip() == first


def test_embedded_context_overflow_is_a_clear_error():
    from scent.config import LLMConfig
    from scent.llm import ContextOverflowError

    llm = load_llm("llamacpp:default", LLMConfig(n_ctx=512))
    with pytest.raises(ContextOverflowError, match="context window of 512"):
        llm.complete([{"role": "user", "content": "otter " * 2000}], max_tokens=8)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"  # a file, not a pipe: the server logs ~175 KB
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(model_path), "--host",
                             "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--model_alias", "qwen"],
                            stdout=subprocess.DEVNULL, stderr=log.open("w"))
    url = f"http://127.0.0.1:{port}/v1"
    try:
        import httpx

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()[-2000:]
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        else:
            pytest.fail("llama.cpp server did not start within 120 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_openai_client_against_real_llama_cpp_server(llama_server: str):
    llm = load_llm(f"openai:{llama_server}#qwen", local_only=True)
    reply = llm.complete([{"role": "user", "content": "Say hello in one word."}], max_tokens=8)
    assert reply.text and reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0
    structured = llm.complete([{"role": "user", "content": "Return a JSON object with a field answer."}],
                              schema=SCHEMA, max_tokens=80)
    validate(structured.json_value, SCHEMA)
    streamed: list[str] = []
    reply = llm.complete([{"role": "user", "content": "Count: one, two,"}], max_tokens=8, on_token=streamed.append)
    assert streamed and "".join(streamed) == reply.text


def test_cli_local_only_refuses_a_remote_endpoint():
    proc = scent("llm", "hi", "--model", "openai:https://api.example.com/v1#gpt", "--local-only", check=False)
    assert proc.returncode == 1 and "not a loopback address" in proc.stderr

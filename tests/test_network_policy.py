"""Local-only means no byte leaves loopback: no proxy, keys only where configured, no redirects followed; and
a model call ends within its timeout however the server behaves (issue 11, items 1, 8 and 9)."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest
from conftest import scent
from fault_server import FaultServer, chat_body, ok

from scent.config import EmbedConfig, LLMConfig
from scent.embed import EmbedError, load_embedder
from scent.llm import LLMError, load_llm
from scent.llm.openai_compat import OpenAICompatLLM

USER = [{"role": "user", "content": "hello SECRET"}]


class Recorder:
    """Anything that talks HTTP to it is recorded: it stands for a proxy (or a redirect target)."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                recorder.seen.append(f"{self.command} {self.path} {self.headers} {self.rfile.read(length)!r}")
                self.send_response(502)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_CONNECT = _any

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    recorder = Recorder()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, recorder.url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield recorder
    recorder.httpd.shutdown()


def test_loopback_llm_calls_never_go_through_a_proxy(proxy: Recorder, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-SECRET")
    with FaultServer([ok("hi"), ok("hi again")]) as server:
        for local_only in (False, True):
            assert load_llm(f"openai:{server.url}#m", LLMConfig(), local_only).complete(USER).text.startswith("hi")
    assert proxy.seen == [] and len(server.requests) == 2


def test_loopback_embedder_never_goes_through_a_proxy(proxy: Recorder):
    body = json.dumps({"data": [{"index": 0, "embedding": [1.0, 0.0]}]}).encode()
    with FaultServer([(200, {"Content-Type": "application/json"}, body)]) as server:
        vectors = load_embedder(f"openai:{server.url}#e", EmbedConfig(), local_only=True).embed(["SECRET"])
    assert np.allclose(vectors, [[1.0, 0.0]]) and proxy.seen == []


def test_cli_local_only_with_a_proxy_in_the_environment_sends_nothing_to_it(proxy: Recorder):
    """The reproduction from the issue: `scent llm … --local-only` with HTTP_PROXY set and nothing on port 9."""
    env = {**os.environ, "OPENAI_API_KEY": "sk-SECRET"}
    proc = scent("llm", "hello SECRET", "--model", "openai:http://127.0.0.1:9/v1#m", "--local-only", check=False,
                 env=env, timeout=60)
    assert proc.returncode == 1 and "ConnectError" in proc.stderr and "Traceback" not in proc.stderr
    assert proxy.seen == []


def test_api_keys_go_only_to_the_endpoints_they_were_configured_for(monkeypatch: pytest.MonkeyPatch):
    from scent.llm.http import api_key_for

    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    monkeypatch.setenv("SCENT_API_KEY", "sk-scent")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert api_key_for("http://127.0.0.1:8000/v1") == "sk-scent"  # loopback: never leaves the machine
    assert api_key_for("https://api.openai.com/v1") == "sk-openai"  # OPENAI_API_KEY's own endpoint
    assert api_key_for("https://evil.example/v1") is None  # e.g. named by a hand-edited trace
    assert api_key_for("https://llm.corp.example/v1", ["https://llm.corp.example"]) == "sk-scent"
    assert api_key_for("https://llm.corp.example:8443/v1", ["https://llm.corp.example"]) is None
    monkeypatch.setenv("OPENAI_BASE_URL", "https://llm.corp.example/v1")
    monkeypatch.delenv("SCENT_API_KEY")
    assert api_key_for("https://llm.corp.example:443/v1") == "sk-openai"
    remote = OpenAICompatLLM("https://evil.example/v1", "m")
    assert "authorization" not in {k.lower() for k in remote.client.headers}


def test_redirects_are_not_followed(monkeypatch: pytest.MonkeyPatch):
    target = Recorder()
    monkeypatch.setenv("SCENT_API_KEY", "sk-SECRET")
    redirect = (307, {"Location": f"{target.url}/v1/chat/completions"}, b"")
    with FaultServer([redirect]) as server, pytest.raises(LLMError, match=r"redirect to .* not followed"):
        load_llm(f"openai:{server.url}#m", LLMConfig(max_retries=0)).complete(USER)
    with FaultServer([redirect]) as server, pytest.raises(EmbedError, match="not followed"):
        load_embedder(f"openai:{server.url}#e").embed(["x"])
    target.httpd.shutdown()
    assert target.seen == []


@pytest.mark.parametrize("url", ["http://[127.0.0.1]/v1", "http://127.0.0.1:99999/v1", "http:///v1"])
def test_malformed_endpoints_are_sentences_not_tracebacks(url: str):
    with pytest.raises(LLMError, match="invalid endpoint URL"):
        load_llm(f"openai:{url}#m")
    with pytest.raises(LLMError, match="invalid endpoint URL"):
        load_llm(f"openai:{url}#m", local_only=True)
    with pytest.raises(EmbedError, match="invalid endpoint URL"):
        load_embedder(f"openai:{url}#e")
    proc = scent("llm", "hi", "--model", f"openai:{url}#m", check=False, timeout=60)
    assert proc.returncode != 0 and "invalid endpoint URL" in proc.stderr and "Traceback" not in proc.stderr


def _drip_body(handler: BaseHTTPRequestHandler) -> None:
    """Headers at once, then the body a byte every 0.2 s: each read is quick, the whole reply takes ~minutes."""
    body = chat_body("slow")
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    try:
        for i in range(len(body)):
            handler.wfile.write(body[i : i + 1])
            handler.wfile.flush()
            time.sleep(0.2)
    except (BrokenPipeError, ConnectionResetError):
        pass


def _drip_headers(handler: BaseHTTPRequestHandler) -> None:
    try:
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"z" * 100:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(0.2)
    except (BrokenPipeError, ConnectionResetError):
        pass


@pytest.mark.parametrize("drip", [_drip_body, _drip_headers])
def test_timeout_bounds_the_whole_request_not_each_read(drip: Any):
    with FaultServer([drip]) as server:
        llm = OpenAICompatLLM(server.url, "m", LLMConfig(timeout_s=1.0, max_retries=0))
        started = time.monotonic()
        with pytest.raises(LLMError, match="no complete reply within timeout_s=1"):
            llm.complete(USER)
        assert time.monotonic() - started < 3.0


def test_max_tokens_is_enforced_when_the_server_ignores_it():
    pieces = [{"choices": [{"delta": {"content": "word "}}]} for _ in range(2000)]
    stream = "".join(f"data: {json.dumps(p)}\n\n" for p in pieces) + "data: [DONE]\n\n"
    huge = chat_body("word " * 200_000)
    with FaultServer([(200, {"Content-Type": "text/event-stream"}, stream.encode()),
                      (200, {"Content-Type": "application/json"}, huge)]) as server:
        llm = OpenAICompatLLM(server.url, "m", LLMConfig(max_retries=0))
        streamed = llm.complete(USER, max_tokens=10, on_token=lambda t: None)
        assert streamed.finish_reason == "length" and streamed.text.count("word") <= 20
        with pytest.raises(LLMError, match="ignored max_tokens"):
            llm.complete(USER, max_tokens=10)

"""A real HTTP server on 127.0.0.1 that misbehaves on purpose, for the OpenAI-compatible client's tests.

Each request pops the next planned reply: (status, headers, body) or a callable for special behaviour
(sleeping past the client's timeout, dropping the connection)."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = tuple[int, dict[str, str], bytes] | Callable[[BaseHTTPRequestHandler], None]


def chat_body(content: str, prompt_tokens: int = 11, completion_tokens: int = 7, **message: Any) -> bytes:
    return json.dumps({"model": "fake-model", "choices": [{"index": 0, "finish_reason": "stop",
                       "message": {"role": "assistant", "content": content, **message}}],
                       "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}}).encode()


def ok(content: str, **kwargs: Any) -> Reply:
    return 200, {"Content-Type": "application/json"}, chat_body(content, **kwargs)


def sleep_then_ok(seconds: float, content: str) -> Reply:
    def reply(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up waiting
            _send(handler, *ok(content))  # type: ignore[misc]
    return reply


def drop_connection(handler: BaseHTTPRequestHandler) -> None:
    handler.close_connection = True
    handler.wfile.flush()
    handler.connection.shutdown(2)


def sse(chunks: list[dict[str, Any]]) -> Reply:
    body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    return 200, {"Content-Type": "text/event-stream"}, body.encode()


def _send(handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes) -> None:
    handler.send_response(status)
    for k, v in headers.items():
        handler.send_header(k, v)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class FaultServer:
    def __init__(self, replies: list[Reply]) -> None:
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                server.requests.append({"path": self.path, "body": json.loads(self.rfile.read(length)),
                                        "auth": self.headers.get("Authorization")})
                reply = server.replies.pop(0) if server.replies else (500, {}, b"no reply planned")
                if callable(reply):
                    reply(self)
                else:
                    _send(self, *reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

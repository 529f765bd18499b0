"""The OpenAI-compatible embeddings backend against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import scent

from scent.config import EmbedConfig
from scent.embed import EmbedError, load_embedder


class EmbeddingServer:
    """POST /v1/embeddings: 8-d hashed vectors (not normalised), returned in reverse order with their index."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail_next: list[int] = []  # statuses to answer before working again
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                if server.fail_next:
                    self.send_response(server.fail_next.pop(0))
                    self.end_headers()
                    return
                if any(not text for text in body["input"]):
                    return self._send(400, {"error": {"message": "empty input"}})
                data = [{"index": i, "embedding": [3.0 * (b - 128) for b in hashlib.sha256(t.encode()).digest()[:8]]}
                        for i, t in enumerate(body["input"])]
                self._send(200, {"object": "list", "data": data[::-1], "model": body["model"]})

            def _send(self, status: int, value: Any) -> None:
                payload = json.dumps(value).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server() -> Iterator[EmbeddingServer]:
    s = EmbeddingServer()
    yield s
    s.httpd.shutdown()


def test_batches_order_normalisation_and_empty_texts(server: EmbeddingServer):
    embedder = load_embedder(f"openai:{server.url}#emb-8", EmbedConfig(batch_size=2))
    vectors = embedder.embed(["alpha", "", "gamma", "x" * 10_000, "epsilon"])
    assert vectors.shape == (5, 8) and embedder.dim == 8
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert [len(r["input"]) for r in server.requests] == [2, 2, 1] and server.requests[0]["model"] == "emb-8"
    assert server.requests[0]["input"][1] == " " and len(server.requests[1]["input"][1]) == 256 * 8
    assert np.allclose(vectors[0], embedder.embed(["alpha"])[0])  # reversed reply put back in input order


def test_retries_then_clear_errors(server: EmbeddingServer):
    embedder = load_embedder(f"openai:{server.url}#emb-8")
    server.fail_next = [503, 429]
    assert embedder.embed(["a"]).shape == (1, 8)
    server.fail_next = [500] * 10
    with pytest.raises(EmbedError, match="HTTP 500 after 4 attempts"):
        embedder.embed(["a"])
    with pytest.raises(EmbedError, match="expected openai:http"):
        load_embedder("openai:nowhere")
    with pytest.raises(EmbedError, match="local-only"):
        load_embedder("openai:http://10.1.2.3:8080/v1#m", local_only=True)
    assert load_embedder("openai:http://127.0.0.1:1/v1#m", local_only=True).spec.endswith("#m")


def test_index_and_search_with_an_http_embedder(server: EmbeddingServer, tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Otters use rocks as tools.")
    (docs / "b.txt").write_text("Beavers build dams.")
    spec = f"openai:{server.url}#emb-8"
    out = json.loads(scent("index", docs, "--index", tmp_path / "idx", "--embedder", spec, "--json").stdout)
    assert (out["vectors"]["embedder"], out["vectors"]["dim"], out["vectors"]["total"]) == (spec, 8, 2)
    # the query is embedded by the index's own embedder (read from its manifest)
    hits = json.loads(scent("search", "Beavers build dams.", "--index", tmp_path / "idx", "-r", "dense",
                            "--json").stdout)
    assert sorted(h["path"] for h in hits) == ["a.txt", "b.txt"] and all(-1 <= h["score"] <= 1 for h in hits)
    assert server.requests[-1]["input"] == ["Beavers build dams."]

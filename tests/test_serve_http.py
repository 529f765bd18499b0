"""`scent serve`'s HTTP API against a real uvicorn on loopback: the guards, the corpus routes, agent runs streamed
over SSE with the scripted model, cancellation by the client, the bounded queue, past runs."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from serve_fixtures import QUESTION, running_server, sse_events


@pytest.fixture
def server(tmp_path: Path):
    with running_server(tmp_path) as s:
        yield s


def test_token_is_required_and_checked(server):
    with server.client(token=None) as anon:
        assert anon.get("/api/health").json()["status"] == "ok"  # liveness only, no data
        refused = anon.get("/api/search", params={"q": "widget"})
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert "token" in refused.json()["error"]
        assert anon.post("/mcp", json={}).status_code == 401
        assert anon.get("/api/openapi.json").status_code == 401
        assert anon.get("/").status_code == 200  # the page itself holds no data: it asks for the token
    with server.client(token="wrong-token-wrong-token") as wrong:
        assert wrong.get("/api/search", params={"q": "widget"}).status_code == 401
    with server.client() as ok:
        assert ok.get("/api/search", params={"q": "widget"}).status_code == 200
        spec = ok.get("/api/openapi.json").json()
        assert {"/api/search", "/api/passage", "/api/document", "/api/ask", "/api/runs"} <= spec["paths"].keys()


def test_host_origin_and_size_guards(server):
    with server.client() as c:
        assert c.get("/api/indexes", headers={"Host": "evil.example:80"}).status_code == 421  # DNS rebinding
        foreign = c.get("/api/indexes", headers={"Origin": "http://evil.example"})
        assert foreign.status_code == 403 and "cross-origin" in foreign.json()["error"]
        assert c.get("/api/indexes", headers={"Origin": server.url}).status_code == 200  # the UI itself
        big = c.post("/api/verify", content=b"x" * 2_000_000, headers={"Content-Type": "application/json"})
        assert big.status_code == 413


def test_corpus_routes(server):
    with server.client() as c:
        [stats] = c.get("/api/indexes").json()
        assert stats["documents"] == 3 and stats["passages"] > 0 and stats["retriever"] == "bm25"
        hits = c.get("/api/search", params={"q": "default widget limit", "k": 3}).json()
        assert hits[0]["path"] == "widgets.md" and "42 widgets" in hits[0]["snippet"]
        assert hits[0].keys() >= {"id", "docid", "score", "title", "headings", "page", "snippet"}
        only = c.get("/api/search", params={"q": "widget", "path": "history*"}).json()
        assert only and {h["path"] for h in only} == {"history.md"}
        read = c.get("/api/passage", params={"id": hits[0]["id"], "window": 1}).json()
        assert read["passage"]["id"] == hits[0]["id"] and read["passage"]["headings"] == ["Widget manual", "Limits"]
        assert read["after"] and read["after"][0]["seq"] == read["passage"]["seq"] + 1
        doc = c.get("/api/document", params={"docid": "widgets.md"}).json()
        assert doc["title"] == "Widget manual" and "42 widgets" in doc["text"]
        assert c.get("/api/document", params={"docid": hits[0]["id"]}).json()["path"] == "widgets.md"
        sources = c.get("/api/sources").json()
        assert sources["total"] == 3 and [s["path"] for s in sources["sources"]] == sorted(
            ["widgets.md", "gadgets.txt", "history.md"])
        ok = c.post("/api/verify", json={"passage_id": hits[0]["id"], "quote": "default limit is 42  widgets",
                                         "claim": "The limit is 42 widgets"}).json()
        assert ok["verbatim"] is True and ok["matched"] == "default limit is 42 widgets"
        assert c.post("/api/verify", json={"passage_id": hits[0]["id"], "quote": "limit is 7"}).json()[
            "verbatim"] is False


def test_errors_are_json_with_the_right_status(server):
    with server.client() as c:
        for path, params in [("/api/passage", {"id": "../../etc/passwd"}), ("/api/passage", {"id": "/etc/passwd"}),
                             ("/api/document", {"docid": "../../../etc/passwd"}),
                             ("/api/document", {"docid": "/etc/passwd"}), ("/api/runs/..%2F..%2Fetc%2Fpasswd", {}),
                             ("/api/runs/%2Fetc%2Fpasswd", {}), ("/api/runs/../../etc/passwd", {})]:
            r = c.get(path, params=params)
            assert r.status_code == 404, (path, params, r.status_code)
            assert "passwd" not in r.text or "no " in r.json()["error"]
            assert "root:" not in r.text
        bad_k = c.get("/api/search", params={"q": "widget", "k": 500})
        assert bad_k.status_code == 422 and "k" in bad_k.json()["error"]
        assert c.get("/api/search", params={"q": "widget", "retriever": "magic"}).status_code == 422
        assert c.get("/api/search", params={"q": "widget", "retriever": "dense"}).status_code == 422  # no vectors
        assert c.post("/api/ask", json={"question": ""}).status_code == 422
        assert c.post("/api/ask", json={"question": "x", "mode": "poem"}).status_code == 422
        assert c.get("/api/nothing").json() == {"error": "Not Found"}


def test_ask_streams_the_trace_and_is_kept_in_history(server):
    with server.client() as c, c.stream("POST", "/api/ask", json={"question": QUESTION}) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        events = list(sse_events(response))
    kinds = [k for k, _ in events]
    assert kinds[0] == "run" and kinds[1] == "run_start" and kinds[-1] == "run_end"
    for expected in ("tool_call", "tool_result", "note", "llm_call", "verify", "calibrate"):
        assert expected in kinds
    seqs = [data["seq"] for kind, data in events[1:]]
    assert seqs == list(range(len(seqs)))  # nothing lost, nothing out of order
    end = events[-1][1]
    assert end["answer"]["answer"] == "42 widgets" and end["answer"]["citations"][0]["path"] == "widgets.md"
    run_id = events[0][1]["id"]
    with server.client() as c:
        history = c.get("/api/runs").json()
        assert history[0]["id"] == run_id and history[0]["answer"] == "42 widgets"
        assert history[0]["status"] == "complete"
        past = c.get(f"/api/runs/{run_id}").json()
        assert [e["type"] for e in past["events"]] == kinds[1:] and past["answer"]["answer"] == "42 widgets"


def test_closing_the_stream_cancels_the_run(tmp_path: Path):
    with running_server(tmp_path, slow=True) as server:
        with server.client() as c, c.stream("POST", "/api/ask", json={"question": "slow"}) as response:
            stream = sse_events(response)
            run_id = next(stream)[1]["id"]
            for _ in range(5):
                next(stream)
        for _ in range(200):  # the run stops at its next event
            run = server.runs.get_live(run_id)
            if run is not None and run.done.is_set():
                break
            time.sleep(0.05)
        assert run is not None and run.done.is_set() and run.cancel.is_set()
        with server.client() as c:
            past = c.get(f"/api/runs/{run_id}").json()
            assert past["status"] == "cancelled" and past["events"][-1]["type"] == "run_end"


def test_cancel_endpoint_and_the_bounded_queue(tmp_path: Path):
    with running_server(tmp_path, slow=True, queue_limit=0) as server, server.client() as c:
        with c.stream("POST", "/api/ask", json={"question": "first"}) as response:
            stream = sse_events(response)
            run_id = next(stream)[1]["id"]
            busy = c.post("/api/ask", json={"question": "second"})
            assert busy.status_code == 429 and busy.headers["retry-after"] == "7"
            assert "limit" in busy.json()["error"]
            assert c.post(f"/api/runs/{run_id}/cancel").status_code == 202
            kinds = [kind for kind, _ in stream]
        assert kinds[-1] == "run_end"
        assert c.post(f"/api/runs/{run_id}/cancel").status_code == 404  # already over
        with c.stream("POST", "/api/ask", json={"question": "third"}) as again:  # the slot is free again
            assert again.status_code == 200
            next(sse_events(again))


def test_a_script_tag_in_a_document_is_served_as_data(tmp_path: Path):
    planted = "# Planted\n\nThe planted <script>window.pwned = 1</script> page has <img src=x onerror=alert(1)> in it."
    with running_server(tmp_path, {"planted.md": planted}) as server, server.client() as c:
        doc = c.get("/api/document", params={"docid": "planted.md"})
        assert doc.headers["content-type"] == "application/json"
        assert "<script>window.pwned = 1</script>" in doc.json()["text"]
        page = c.get("/")
        assert "Content-Security-Policy" in page.text and "innerHTML" not in c.get("/static/app.js").text
        with pytest.raises(httpx.HTTPStatusError):
            c.get("/static/../../pyproject.toml").raise_for_status()

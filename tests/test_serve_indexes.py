"""Several indexes and evaluation folders named at start: only those are served, every route takes an index
name (validated: a name is looked up, never joined to a path), evaluation summaries and plots read-only."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from serve_fixtures import QUESTION, running_server, sse_events
from test_serve_mcp import http_client

from scent.serve.library import NamingError, default_name, parse_named

OTHER = {"sprockets.md": "# Sprocket guide\n\nA sprocket turns at most 300 times a minute."}
BAD_NAMES = ["../idx", "/etc", "..", "idx/../idx", "%2e%2e", "other/..", "nope", " idx", "idx\x00"]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture
def evaluation(tmp_path: Path) -> Path:
    folder = tmp_path / "eval-out"
    folder.mkdir()
    (folder / "summary.json").write_text(json.dumps({"systems": {"agent": {"accuracy": 0.5}}}))
    (folder / "summary.md").write_text("# Summary\n\n| system | accuracy |\n")
    (folder / "reliability.png").write_bytes(PNG)
    (folder / "results.jsonl").write_text("{}\n")  # not served: only summaries and plots
    (tmp_path / "secret.png").write_bytes(PNG)
    (folder / "link.png").symlink_to(tmp_path / "secret.png")  # not served: a link may lead anywhere
    return folder


def test_parse_named_forms():
    assert parse_named(["/data/.scent", "pg=/srv/pg idx"]) == [("scent", Path("/data/.scent")),
                                                              ("pg", Path("/srv/pg idx"))]
    assert default_name(Path("/x/my index!")) == "my-index"
    with pytest.raises(NamingError, match="name them"):
        parse_named(["/a/idx", "/b/idx"])
    with pytest.raises(NamingError, match="letters"):
        parse_named(["/data/_private"])
    assert parse_named(["a=b=c"]) == [("a", Path("b=c"))]


def test_two_indexes_each_route_takes_a_name(tmp_path: Path, evaluation: Path):
    with running_server(tmp_path, second=OTHER, evals={"hotpot": evaluation}) as server, server.client() as c:
        listed = c.get("/api/indexes").json()
        assert [i["name"] for i in listed] == ["idx", "other"]
        assert listed[0]["documents"] == 3 and listed[1]["documents"] == 1 and listed[1]["passages"] >= 1
        default = c.get("/api/search", params={"q": "sprocket"}).json()
        assert all(h["path"] != "sprockets.md" for h in default)  # the first index is the default
        other = c.get("/api/search", params={"q": "sprocket turns", "index": "other"}).json()
        assert other[0]["path"] == "sprockets.md"
        pid = other[0]["id"]
        assert c.get("/api/passage", params={"id": pid, "index": "other"}).json()["passage"]["id"] == pid
        assert c.get("/api/passage", params={"id": pid, "index": "idx"}).status_code == 404  # not across indexes
        assert c.get("/api/document", params={"docid": "sprockets.md", "index": "other"}).json()["title"] == (
            "Sprocket guide")
        assert c.get("/api/sources", params={"index": "other"}).json()["total"] == 1
        verified = c.post("/api/verify", json={"passage_id": pid, "quote": "at most 300 times", "index": "other"})
        assert verified.json()["verbatim"] is True
        for bad in BAD_NAMES:
            for path, params in [("/api/search", {"q": "widget"}), ("/api/passage", {"id": pid}),
                                 ("/api/document", {"docid": "widgets.md"}), ("/api/sources", {}),
                                 ("/api/runs", {}), ("/api/runs/x", {})]:
                r = c.get(path, params={**params, "index": bad})
                assert r.status_code in (404, 422), (path, bad, r.status_code)
                assert "served" in r.json()["error"] or r.status_code == 422
            assert c.post("/api/ask", json={"question": "q", "index": bad}).status_code in (404, 422)
        with c.stream("POST", "/api/ask", json={"question": QUESTION, "index": "other"}) as response:
            events = list(sse_events(response))
        run_id = events[0][1]["id"]
        assert events[1][1]["type"] == "run_start" and events[-1][1]["type"] == "run_end"
        assert [r["id"] for r in c.get("/api/runs", params={"index": "other"}).json()] == [run_id]
        assert c.get("/api/runs").json() == []  # runs are kept per index
        assert c.get(f"/api/runs/{run_id}", params={"index": "other"}).json()["status"] != "unfinished"
        assert (tmp_path / "second" / "idx" / "traces" / f"{run_id}.jsonl").exists()


def test_evaluation_summaries_and_plots_read_only(tmp_path: Path, evaluation: Path):
    with running_server(tmp_path, evals={"hotpot": evaluation}) as server, server.client() as c:
        assert c.get("/api/evals").json() == [{"name": "hotpot", "files": ["reliability.png", "summary.json",
                                                                            "summary.md"]}]
        summary = c.get("/api/evals/hotpot").json()
        assert summary["summary"]["systems"]["agent"]["accuracy"] == 0.5
        png = c.get("/api/evals/hotpot/reliability.png")
        assert png.headers["content-type"] == "image/png" and png.content == PNG
        assert c.get("/api/evals/hotpot/summary.md").text.startswith("# Summary")
        for name, file in [("hotpot", "results.jsonl"), ("hotpot", "link.png"), ("hotpot", "..%2Fsecret.png"),
                           ("hotpot", "%2Fetc%2Fpasswd"), ("nope", "summary.json"), ("..", "summary.json"),
                           ("hotpot", "%2E%2E"), ("%2E%2E", "summary.json")]:
            r = c.get(f"/api/evals/{name}/{file}")
            assert r.status_code == 404, (name, file, r.status_code)
            assert PNG not in r.content and "root:" not in r.text
        assert c.get("/api/evals/%2E%2E").status_code == 404
        assert c.post("/api/evals/hotpot/summary.json", content=b"{}").status_code == 405  # read-only
    (tmp_path / "again").mkdir()
    with running_server(tmp_path / "again") as server, server.client() as c:
        assert c.get("/api/evals").json() == [] and c.get("/api/evals/hotpot").status_code == 404


def test_mcp_tools_take_the_index(tmp_path: Path):
    async def calls(url: str, token: str) -> dict[str, object]:
        async with http_client(url, token) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            listed = await client.call_tool("list_indexes", {})
            hits = await client.call_tool("search", {"query": "sprocket turns", "index": "other"})
            wrong = await client.call_tool("search", {"query": "sprocket", "index": "../other"})
            return {"tools": tools, "listed": listed.structured_content["result"],
                    "hits": hits.structured_content["result"], "wrong": wrong}

    with running_server(tmp_path, second=OTHER) as server:
        out = asyncio.run(calls(server.url, server.token))
    for name in ("search", "read", "get_document", "list_sources", "verify_citation", "ask", "research"):
        schema = out["tools"][name].input_schema  # type: ignore[index]
        assert "index" in schema["properties"] and "index" not in schema.get("required", []), name
        assert "served index" in schema["properties"]["index"]["description"]
    assert [i["name"] for i in out["listed"]] == ["idx", "other"]  # type: ignore[union-attr]
    assert out["hits"][0]["path"] == "sprockets.md"  # type: ignore[index]
    assert out["wrong"].is_error and "no index" in out["wrong"].content[0].text  # type: ignore[union-attr]


def test_the_commands_refuse_clashing_names_and_missing_folders(tmp_path: Path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "SCENT_TOKEN": "t" * 20, "XDG_CONFIG_HOME": str(tmp_path)}

    def scent(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "scent", *args, "--no-agent"], capture_output=True, text=True,
                              env=env, timeout=60)

    clash = scent("serve", "--index", f"a={tmp_path}/x", "--index", f"a={tmp_path}/y", "--port", "0")
    assert clash.returncode == 2 and "two --index folders would be named 'a'" in clash.stderr
    missing = scent("mcp", "--index", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "nothing" in missing.stderr
    no_eval = scent("serve", "--index", str(tmp_path / "nothing"), "--eval", str(tmp_path / "none"), "--port", "0")
    assert no_eval.returncode == 2 and "no evaluation folder" in no_eval.stderr

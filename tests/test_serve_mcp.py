"""The MCP server through the SDK's own client: over streamable HTTP on `scent serve` (with the bearer token) and
over stdio (`scent mcp`): list tools, search, read, ask and research with their progress (the scripted model)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from agent_fixtures import make_index
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from serve_fixtures import QUESTION, WRITER, running_server

TOOLS = {"search", "read", "get_document", "list_sources", "verify_citation", "ask", "research"}


def http_client(url: str, token: str) -> Client:
    return Client(streamable_http_client(url + "/mcp", http_client=create_mcp_http_client(
        headers={"Authorization": f"Bearer {token}"})))


async def exercise(client: Client) -> dict[str, Any]:
    """List the tools, search, read, ask (with progress); what came back, for the test to check."""
    out: dict[str, Any] = {}
    async with client:
        tools = (await client.list_tools()).tools
        out["tools"] = {t.name: t for t in tools}
        found = await client.call_tool("search", {"query": "default widget limit", "k": 3})
        out["hits"] = found.structured_content["result"]
        out["read"] = (await client.call_tool("read", {"passage_id": out["hits"][0]["id"]})).structured_content
        out["missing"] = await client.call_tool("read", {"passage_id": "../../etc/passwd"})
        progress: list[tuple[float, str | None]] = []

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            progress.append((done, message))

        asked = await client.call_tool("ask", {"question": QUESTION}, progress_callback=on_progress)
        out["ask"], out["progress"] = asked.structured_content, progress
        research_progress: list[tuple[float, str | None]] = []

        async def on_research(done: float, total: float | None, message: str | None) -> None:
            research_progress.append((done, message))

        researched = await client.call_tool("research", {"question": "What are widgets?"},
                                            progress_callback=on_research)
        out["research"], out["research_progress"] = researched.structured_content, research_progress
    return out


def check(out: dict[str, Any]) -> None:
    assert out["tools"].keys() >= TOOLS
    search = out["tools"]["search"]
    assert "query" in search.input_schema["required"]
    assert search.input_schema["properties"]["path"]["description"].startswith("only passages of documents")
    assert out["hits"][0]["path"] == "widgets.md" and out["hits"][0]["docid"] == "widgets.md"
    assert out["read"]["passage"]["id"] == out["hits"][0]["id"]
    assert out["missing"].is_error and "no passage" in out["missing"].content[0].text
    ask = out["ask"]
    assert ask["answer"] == "42 widgets" and ask["abstained"] is False and ask["confidence"] > 0
    assert ask["citations"][0]["path"] == "widgets.md" and ask["citations"][0]["verified"] is True
    assert len(out["progress"]) > 5 and any(m == "calling search" for _, m in out["progress"])
    research, progress = out["research"], out["research_progress"]
    assert research["status"] == "complete" and research["report"].startswith("# What are widgets?")
    assert research["citations"] and all(c["verified"] for c in research["citations"])
    # the report's sections are those about the subject (issue 28's relevance test: history.md names widgets once in
    # passing); which documents a report covers is tests/test_research.py's, here it is the MCP round trip
    assert {c["path"] for c in research["citations"]} <= {"widgets.md", "history.md", "gadgets.txt"}
    assert "[1]" in research["report"] and research["citations"][0]["quote"] in research["report"]
    assert [n for n, _ in progress] == list(range(1, len(progress) + 1))  # one report per trace event, in order
    # progress is made of fixed words, tool names and counts: no query or quote (a document could write them)
    assert progress[0][1] == "run_start" and progress[-1][1] == "finished (complete)"
    assert any(m == "calling search" for _, m in progress) and not any("widgets" in (m or "") for _, m in progress)


def test_mcp_over_streamable_http(tmp_path: Path):
    with running_server(tmp_path) as server:
        check(asyncio.run(exercise(http_client(server.url, server.token))))

        async def wrong() -> None:
            async with http_client(server.url, "not-the-token-at-all") as client:
                await client.list_tools()

        with pytest.raises(BaseException, match="TaskGroup"):  # the SDK's client fails to connect
            asyncio.run(wrong())
        with server.client(token="not-the-token-at-all") as c:  # what it was told
            refused = c.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
            assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"


def test_mcp_over_stdio(tmp_path: Path):
    make_index(tmp_path).close()
    script = tmp_path / "script.jsonl"
    script.write_text("".join(json.dumps({"response": {"text": r}}) + "\n" for r in WRITER))
    command = "import typer; from scent.serve.cli import mcp; typer.run(mcp)"  # the `scent mcp` command itself
    params = StdioServerParameters(command=sys.executable, args=[
        "-c", command, "--index", str(tmp_path / "idx"), "--model", f"scripted:{script}"])
    check(asyncio.run(exercise(Client(params))))


def test_help_does_not_import_the_servers():
    import subprocess

    code = ("import sys\nfrom scent.cli import app\ntry:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'fastapi', 'uvicorn', 'mcp', 'sse_starlette'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "serve" in out and "mcp" in out and out.strip().endswith("[]")

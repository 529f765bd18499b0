"""`scent mcp` (stdio) seen by an outside client: the official MCP Inspector's CLI (Node.js >= 22, installed from
the npm registry into .venv/node by `make node`, which `make test` runs) lists the tools, and their input schemas
carry the bounds the functions check (k 1-50, window 0-3, limit 1-1000, offset >= 0) as JSON Schema keywords, not
only in the prose."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from agent_fixtures import make_index

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = Path(os.environ.get("SCENT_NODE_DIR", ROOT / ".venv" / "node"))
INSPECTOR = "@modelcontextprotocol/inspector@2.12.0"  # the version `make node` installs


def node_22() -> Path | None:
    """A node binary of version >= 22: the one `make node` installed, else the first on PATH."""
    for candidate in (NODE_DIR / "node_modules" / ".bin" / "node", shutil.which("node")):
        if candidate is None or not Path(candidate).exists():
            continue
        version = subprocess.run([str(candidate), "--version"], capture_output=True, text=True).stdout
        found = re.match(r"v(\d+)\.", version)
        if found and int(found.group(1)) >= 22:
            return Path(candidate)
    return None


def inspector_command(node: Path) -> list[str]:
    """The Inspector's launcher: `make node`'s copy, else npx fetching the same version from the registry."""
    local = NODE_DIR / "node_modules" / ".bin" / "mcp-inspector"
    if local.exists():
        return [str(node), str(local)]
    npx = shutil.which("npx")
    if npx is None:
        pytest.fail(f"Node.js {node} is here but neither the Inspector ({local}) nor npx is: run `make node`")
    return [npx, "--yes", INSPECTOR]


def test_inspector_lists_the_tools_with_their_bounds(tmp_path: Path):
    node = node_22()
    if node is None:
        pytest.skip("Node.js >= 22 is not available (`make node` installs it from the npm registry into .venv/node)")
    make_index(tmp_path).close()
    script = tmp_path / "writer.jsonl"  # a scripted model: tools/list loads no real model
    script.write_text(json.dumps({"response": {"text": "unused"}}) + "\n")
    scent = [sys.executable, "-m", "scent", "mcp", "--index", str(tmp_path / "idx"), "--model", f"scripted:{script}"]
    env = {**os.environ, "PATH": f"{node.parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "HOME": str(tmp_path)}  # the Inspector keeps a catalog under ~/.mcp-inspector: not the user's
    done = subprocess.run([*inspector_command(node), "--cli", *scent, "--method", "tools/list"],
                          capture_output=True, text=True, timeout=180, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    tools = {tool["name"]: tool["inputSchema"] for tool in json.loads(done.stdout)["tools"]}
    assert tools.keys() >= {"list_indexes", "search", "read", "get_document", "list_sources", "verify_citation",
                            "ask", "research"}
    props = {name: schema["properties"] for name, schema in tools.items()}
    assert (props["search"]["k"]["minimum"], props["search"]["k"]["maximum"]) == (1, 50)
    assert (props["read"]["window"]["minimum"], props["read"]["window"]["maximum"]) == (0, 3)
    assert (props["list_sources"]["limit"]["minimum"], props["list_sources"]["limit"]["maximum"]) == (1, 1000)
    assert props["list_sources"]["offset"]["minimum"] == 0
    assert tools["search"]["required"] == ["query"] and tools["ask"]["required"] == ["question"]
    assert props["search"]["k"]["type"] == "integer" and props["search"]["k"]["default"] == 10

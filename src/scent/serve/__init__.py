"""`scent serve` (HTTP API + web UI + MCP over streamable HTTP) and `scent mcp` (MCP over stdio).

Layers, each importable without the ones above it:
    corpus.Corpus      the read-only tools over one index (search, read, get_document, list_sources,
                       verify_citation): typed functions whose docstrings are their schemas
    runs.RunManager    agent runs in worker threads, their trace events as a stream, cancellation, the
                       bounded queue (a `Gate` shared by every index), past runs from the index's traces folder
    library.Library    the indexes and evaluation folders named at start, by name (every route takes `index`)
    mcp_server         the same functions as MCP tools (official `mcp` SDK, v2 API)
    http               the FastAPI app: /api/*, /mcp, the static UI, the token / Host / Origin / size guards
Nothing here is imported by `scent --help`: fastapi, uvicorn and mcp load when a server starts.
"""

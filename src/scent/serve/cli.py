"""`scent serve` and `scent mcp`. fastapi, uvicorn and mcp are imported inside the commands, never by --help."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from scent.index.layout import DEFAULT_INDEX_DIR

if TYPE_CHECKING:
    from scent.serve.library import Library

IndexOption = Annotated[list[str], typer.Option(
    "--index", "-i", help="Index folder to serve, or NAME=DIR; repeat for several (the first is the default). "
    "Only these are served.")]
DEFAULT_INDEXES = [str(DEFAULT_INDEX_DIR)]
ModelOption = Annotated[list[str], typer.Option(
    "--model", "-m", help="SPEC for every role, or ROLE=SPEC (as in `scent ask`).")]
ConfigOption = Annotated[Path | None, typer.Option("--config", help="Config file (default ./scent.toml).")]
LocalOnlyOption = Annotated[bool | None, typer.Option(
    "--local-only/--no-local-only", help="Refuse model endpoints that are not on a loopback address.")]
RetrieverOption = Annotated[str | None, typer.Option("--retriever", "-r", help="bm25 | dense | hybrid | auto.")]
AgentOption = Annotated[bool, typer.Option(
    "--agent/--no-agent", help="Load the models and offer ask/research (--no-agent: search and read only).")]
CalibrationOption = Annotated[Path | None, typer.Option(help="A calibrator fitted by `scent calibrate`.")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _served(index: list[str], model: list[str], config: Path | None, local_only: bool | None,
            retriever: str | None, agent: bool, calibration: Path | None, evals: list[str] = [],  # noqa: B006
            index_roots: list[Path] = [], max_upload_mb: float = 50) -> Library:  # noqa: B006
    from scent.config import ConfigError, load_config
    from scent.serve.library import NamingError, parse_named
    from scent.serve.server import open_served
    from scent.serve.wiring import WiringError

    try:
        indexes, folders = parse_named(index, "index"), parse_named(evals, "eval")
        missing = [str(f) for _, f in folders if not f.is_dir()]
        if missing:
            raise NamingError(f"no evaluation folder {', '.join(missing)} (scent eval --out DIR writes one)")
        roots = [root.expanduser() for root in index_roots]
        not_folders = [str(r) for r in roots if not r.is_dir()]
        if not_folders:
            raise NamingError(f"--allow-index-root {', '.join(not_folders)}: not a folder")
        cfg = load_config(config, model, local_only, [])
        return open_served(indexes, cfg, retriever, agent, calibration, folders, index_roots=roots,
                           max_upload_mb=max_upload_mb)
    except NamingError as e:
        raise _fail(str(e)) from None
    except (ConfigError, WiringError) as e:
        raise _fail(f"{e} (or serve search only: --no-agent)" if isinstance(e, WiringError) and agent
                    else str(e)) from None


def serve(
    index: IndexOption = DEFAULT_INDEXES,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback unless --allow-remote).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free port).", min=0, max=65535)] = 8765,
    token_file: Annotated[Path | None, typer.Option(
        help="Bearer token file (created with mode 0600 if missing; default ~/.config/scent/token; "
        "SCENT_TOKEN overrides).")] = None,
    allow_remote: Annotated[bool, typer.Option(
        "--allow-remote", help="Allow a non-loopback --host (needs a token you chose).")] = False,
    allowed_host: Annotated[list[str], typer.Option(
        "--allowed-host", help="Also answer to this Host name (NAME or NAME:PORT, e.g. a name behind a reverse "
        "proxy); repeatable.")] = [],  # noqa: B006
    mcp: Annotated[bool, typer.Option("--mcp/--no-mcp", help="Also serve MCP at /mcp (streamable HTTP).")] = True,
    model: ModelOption = [],  # noqa: B006
    config: ConfigOption = None,
    local_only: LocalOnlyOption = None,
    retriever: RetrieverOption = None,
    agent: AgentOption = True,
    calibration: CalibrationOption = None,
    evals: Annotated[list[str], typer.Option(
        "--eval", help="An evaluation folder (scent eval --out DIR) whose summary and plots to serve, or "
        "NAME=DIR; repeatable.")] = [],  # noqa: B006
    allow_index_root: Annotated[list[Path], typer.Option(
        "--allow-index-root", help="Let the page add folders under DIR to the served (folder) indexes; "
        "repeatable. Without it the page cannot index.")] = [],  # noqa: B006
    max_upload_mb: Annotated[float, typer.Option(
        help="Largest file the page may upload into a folder under --allow-index-root (MB).", min=0)] = 50,
) -> None:
    """Serve the HTTP API, the web UI and MCP over HTTP for the indexes named (docs/server.md)."""
    import socket

    from scent.serve.server import ServeError, allowed_hosts, check_bind, http_app, resolve_token

    try:
        check_bind(host, allow_remote, token_file)  # before resolve_token may write a new token file
        token, source, created = resolve_token(token_file)
    except (ServeError, OSError) as e:
        raise _fail(str(e)) from None
    served = _served(index, model, config, local_only, retriever, agent, calibration, evals, allow_index_root,
                     max_upload_mb)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as e:
        raise _fail(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    port = sock.getsockname()[1]
    app = http_app(served, token, allowed_hosts(host, port, allowed_host), mcp)
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"scent serving {', '.join(served.names)} on http://{shown}:{port}/  "
               f"(MCP: http://{shown}:{port}/mcp)", err=True)
    if created:
        typer.echo(f"new token written to {source} (mode 0600); it is shown this once:\n  {token}\n"
                   f"open the UI with it:  http://{shown}:{port}/#token={token}", err=True)
    else:
        typer.echo(f"token: {source}  (open http://{shown}:{port}/#token=TOKEN)", err=True)
    import uvicorn

    uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=3)).run(sockets=[sock])


def mcp(
    index: IndexOption = DEFAULT_INDEXES,
    model: ModelOption = [],  # noqa: B006
    config: ConfigOption = None,
    local_only: LocalOnlyOption = None,
    retriever: RetrieverOption = None,
    agent: AgentOption = True,
    calibration: CalibrationOption = None,
) -> None:
    """Serve the indexes named to an MCP client over stdio (tools: list_indexes, search, read, get_document,
    list_sources, verify_citation, ask, research)."""
    from scent.serve.mcp_server import build

    served = _served(index, model, config, local_only, retriever, agent, calibration)
    print(f"scent mcp: serving {', '.join(served.names)} over stdio", file=sys.stderr)
    build(served).run("stdio")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("mcp")(mcp)

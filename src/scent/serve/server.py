"""Starting the servers: the token, the bind address rules, and the objects each front-end needs.

Token: `SCENT_TOKEN` if set, else the token file (`--token-file`, default `$XDG_CONFIG_HOME/scent/token`),
created on first start with a random token and mode 0600. Bind: loopback unless `--allow-remote` is given, and
a non-loopback bind also needs a token the operator chose (`SCENT_TOKEN` or an existing `--token-file`), never
one generated on the spot and printed to a terminal.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scent import app
from scent.config import ScentConfig
from scent.serve.corpus import Corpus
from scent.serve.library import Library
from scent.serve.runs import Gate, RunManager
from scent.serve.wiring import agent_factory, load_agent_models, open_index

TOKEN_ENV = "SCENT_TOKEN"


class ServeError(RuntimeError):
    """A server that must not or cannot start; the message says why and what to do."""


def default_token_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "scent" / "token"


def resolve_token(token_file: Path | None) -> tuple[str, str, bool]:
    """(token, where it came from, whether it was just created)."""
    env = os.environ.get(TOKEN_ENV, "").strip()
    if env:
        if len(env) < 16:
            raise ServeError(f"{TOKEN_ENV} is too short: use at least 16 characters")
        return env, f"${TOKEN_ENV}", False
    path = token_file or default_token_file()
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if len(token) < 16:
            raise ServeError(f"the token in {path} is too short: use at least 16 characters")
        if path.stat().st_mode & 0o077:
            raise ServeError(f"{path} is readable by other users: chmod 600 {path}")
        return token, str(path), False
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    return token, str(path), True


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    return host.strip("[]") in ("0.0.0.0", "::", "")


def _bracketed(name: str) -> str:
    return f"[{name}]" if ":" in name and not name.startswith("[") else name


def machine_addresses() -> set[str]:
    """The names and addresses this machine answers to: its host name, fully qualified name, the addresses they
    resolve to, and the address of its default route (found without sending a packet)."""
    import socket

    names = {socket.gethostname(), socket.getfqdn()}
    for name in list(names):
        with contextlib.suppress(OSError):
            names.update(str(info[4][0]) for info in socket.getaddrinfo(name, None))
    for family, probe in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as udp:
            udp.connect((probe, 9))  # UDP connect only picks the route; nothing is sent
            names.add(str(udp.getsockname()[0]))
    return {n.split("%")[0] for n in names if n}


def allowed_hosts(host: str, port: int, extra: Sequence[str] = ()) -> set[str]:
    """The Host header values the server answers to: the address it listens on; every loopback name when that
    is loopback or a wildcard (0.0.0.0, ::); the machine's names and addresses for a wildcard; and the names of
    `--allowed-host` (a name behind a proxy: with or without a port)."""
    names = {host}
    if is_loopback(host) or is_wildcard(host):
        names |= {"127.0.0.1", "localhost", "::1"}
    if is_wildcard(host):
        names |= machine_addresses()
    out = {f"{_bracketed(name)}:{port}" for name in names if name and not is_wildcard(name)}
    for name in extra:
        name = name.strip().lower()
        if not name:
            continue
        if re.search(r":\d+$", name) and not name.endswith("]"):  # NAME:PORT as given
            out.add(name)
        else:
            out |= {_bracketed(name), f"{_bracketed(name)}:{port}"}
    return out


def check_bind(host: str, allow_remote: bool, token_file: Path | None) -> None:
    """Refuse a bind before anything is written: a non-loopback address needs --allow-remote and a token the
    operator chose (SCENT_TOKEN, or a token file that already exists), never one generated on the spot."""
    if is_loopback(host):
        return
    if not allow_remote:
        raise ServeError(f"refusing to listen on {host}, which is not a loopback address: the documents would "
                         "be reachable from the network. Pass --allow-remote to mean it")
    chosen = os.environ.get(TOKEN_ENV, "").strip() or (token_file or default_token_file()).exists()
    if not chosen:
        raise ServeError(f"a non-loopback bind needs a token you chose: set {TOKEN_ENV} or give --token-file "
                         "with a token in it (mode 0600); nothing was written")


def open_served(indexes: list[tuple[str, Path]], cfg: ScentConfig, retriever: str | None, agent: bool,
                calibration: Path | None = None, evals: Sequence[tuple[str, Path]] = (), queue_limit: int = 4,
                index_roots: Sequence[Path] = (), max_upload_mb: float = 50) -> Library:
    """The named indexes opened (and, with `agent`, the models loaded once, one run queue for all of them);
    with `index_roots`, folders under them may be added to the folder indexes from the page, and files of at most
    `max_upload_mb` uploaded into them."""
    opened = {name: open_index(folder, cfg, retriever) for name, folder in indexes}
    library = Library({name: Corpus(index, name) for name, index in opened.items()},
                      evals={name: folder for name, folder in evals})
    models = load_agent_models(cfg, calibration) if agent else None
    if models is not None:
        gate = Gate(queue_limit=queue_limit)
        for name, folder in indexes:
            factory = agent_factory(opened[name], cfg, name, models, calibration)
            library.runs[name] = RunManager(factory, app.traces_folder(folder), gate=gate)
    if index_roots:
        from scent.backends import FOLDER, scheme_of
        from scent.serve.indexing import Indexer, folder_builder

        folders = dict(indexes)

        def reopen(name: str) -> None:  # the index as the job left it (runs under way keep the one they have)
            index = open_index(folders[name], cfg, retriever)
            library.corpora[name].index = index
            if models is not None:
                library.runs[name].agent_factory = agent_factory(index, cfg, name, models, calibration)

        locations = {name: str(folder) for name, folder in indexes if scheme_of(str(folder)) == FOLDER}
        library.indexer = Indexer(index_roots, locations, folder_builder(cfg), reopen, max_upload_mb)
    return library


def http_app(library: Library, token: str, hosts: set[str], mcp: bool = True) -> Any:
    from scent.serve.http import create_app

    server = None
    if mcp:
        from scent.serve.mcp_server import build

        server = build(library)
    return create_app(library, token, hosts, server)

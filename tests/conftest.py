"""Shared fixtures. Data from ../shared is optional for users: tests that need it skip when it is absent,
but fail under CI=true, where it must be present."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PG_DOCS = Path("/usr/share/doc/postgresql-doc-15/html")


def _require(path: Path, what: str) -> Path:
    if path.exists():
        return path
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing at {path}, and CI=true requires it")
    pytest.skip(f"{what} not available at {path}")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return _require(Path(os.environ.get("SCENT_SHARED", REPO.parent / "shared")) / "data", "../shared/data")


@pytest.fixture(scope="session")
def pg_docs() -> Path:
    return _require(PG_DOCS, "the PostgreSQL docs (apt-get install postgresql-doc-15)")


@pytest.fixture(scope="session")
def pg_index(pg_docs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A BM25 index of the PostgreSQL docs, built once per session for the agent and server integration tests."""
    index = tmp_path_factory.mktemp("pg-agent") / "idx"
    scent("index", pg_docs, "--index", index, "-q", "--no-vectors")  # BM25 is enough here; embedding takes minutes
    return index


def scent(*args: str | Path, check: bool = True, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess."""
    proc = subprocess.run([sys.executable, "-m", "scent", *map(str, args)], capture_output=True, text=True,
                          **kwargs)  # type: ignore[call-overload]
    if check and proc.returncode != 0:
        raise AssertionError(f"scent {args} exited {proc.returncode}\nstdout:{proc.stdout}\nstderr:{proc.stderr}")
    return proc  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory: pytest.TempPathFactory) -> object:
    """(host, port) of a Milvus Lite server on loopback for the whole session (tests/milvus_fixtures.py)."""
    from milvus_fixtures import milvus_lite_server

    with milvus_lite_server(tmp_path_factory.mktemp("milvus") / "data") as (host, port, _proc):
        yield host, port

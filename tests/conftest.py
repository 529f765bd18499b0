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


def scent(*args: str | Path, check: bool = True, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess."""
    proc = subprocess.run([sys.executable, "-m", "scent", *map(str, args)], capture_output=True, text=True,
                          **kwargs)  # type: ignore[call-overload]
    if check and proc.returncode != 0:
        raise AssertionError(f"scent {args} exited {proc.returncode}\nstdout:{proc.stdout}\nstderr:{proc.stderr}")
    return proc  # type: ignore[no-any-return]

"""A real Milvus Lite server (`milvus-lite server`, the gRPC server of the `milvus-lite` package) on a free
loopback port, for the Milvus backend's tests; stopped (and its data folder removed) after."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_milvus_lite() -> None:
    try:
        import milvus_lite  # noqa: F401
        import pymilvus  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("pymilvus and milvus-lite are missing, and CI=true requires them (`make install`)")
        pytest.skip("the scale extra is not installed (pip install -e '.[scale]')")


@contextmanager
def milvus_lite_server(data_dir: Path) -> Iterator[tuple[str, int, subprocess.Popen[bytes]]]:
    """(host, port, process) of a server started on 127.0.0.1 and waited for; terminated on exit."""
    require_milvus_lite()
    port = free_port()
    binary = Path(sys.executable).with_name("milvus-lite")
    log = open(data_dir.with_suffix(".log"), "wb")  # noqa: SIM115  # closed below, after the server
    proc = subprocess.Popen([str(binary), "server", "--data-dir", str(data_dir), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"milvus-lite server did not start: {data_dir.with_suffix('.log')}") from None
                time.sleep(0.1)
        yield "127.0.0.1", port, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(data_dir, ignore_errors=True)

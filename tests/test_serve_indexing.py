"""Indexing from the page (issue 24): `scent serve --allow-index-root DIR` lets the token holder add a folder under
DIR to a served index. The path is user input: checked (absolute, inside an allowed root — symlinks resolved —,
exists, a folder, readable) with a clear 422 before anything is read; the job's progress and ingest report come
back from /api/indexing/{id}; its documents are then searchable; off without the option (403)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from agent_fixtures import make_index
from serve_fixtures import running_server

from scent.serve.corpus import BadRequest
from scent.serve.indexing import Indexer, IndexingBusy, IndexingOff


def wait_for(client: httpx.Client, job_id: str, seconds: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = client.get(f"/api/indexing/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {seconds} s")


def test_add_a_folder_then_search_it(tmp_path: Path):
    allowed = tmp_path / "allowed"
    (allowed / "notes" / "deep").mkdir(parents=True)
    (allowed / "notes" / "zebra.md").write_text("# Zebra finches\n\nThe zebra finch colony holds 314 birds.\n")
    (allowed / "notes" / "deep" / "owls.txt").write_text("Barn owls hunt voles at night in the meadow.\n")
    (allowed / "notes" / "blob.bin").write_bytes(b"\x00\x01binary")
    with running_server(tmp_path, index_roots=[allowed]) as server, server.client() as c:
        info = c.get("/api/indexing").json()
        assert info["enabled"] is True and info["roots"] == [str(allowed.resolve())] and info["indexes"] == ["idx"]
        assert c.get("/api/search", params={"q": "zebra finch"}).json() == []
        started = c.post("/api/indexing", json={"path": str(allowed / "notes"), "index": "idx"})
        assert started.status_code == 202, started.text
        job = wait_for(c, started.json()["id"])
        assert job["status"] == "done", job
        assert job["files_total"] == 2 and job["files_done"] == 2 and job["passages_added"] >= 2
        assert job["summary"]["added"] == 2 and job["summary"]["skipped"] == 1 and "index" not in job["summary"]
        assert job["skipped"] == [{"path": "blob.bin", "reason": "unsupported-type", "detail": "no loader for .bin"}]
        assert str(server.index_dir) not in json.dumps(job)  # no path of the index folder in the view
        hits = c.get("/api/search", params={"q": "zebra finch colony"}).json()
        assert hits and hits[0]["path"].endswith("zebra.md") and "314 birds" in hits[0]["snippet"]
        assert c.get("/api/search", params={"q": "barn owls voles"}).json()[0]["path"].endswith("owls.txt")
        assert c.get("/api/sources").json()["total"] == 5  # the fixture's 3 documents and the 2 new ones
        assert c.get("/api/indexing").json()["jobs"][0]["id"] == job["id"]
        again = wait_for(c, c.post("/api/indexing", json={"path": str(allowed / "notes")}).json()["id"])
        assert again["summary"]["unchanged"] == 2 and again["summary"]["added"] == 0  # incremental


def test_folder_paths_are_checked(tmp_path: Path):
    allowed = tmp_path / "allowed"
    (allowed / "sub").mkdir(parents=True)
    (allowed / "file.md").write_text("a file\n")
    (allowed / "escape").symlink_to("/etc")  # a link inside the root to a folder outside it
    outside = tmp_path / "outside"
    outside.mkdir()
    with running_server(tmp_path, index_roots=[allowed]) as server, server.client() as c:
        def refused(path: str, index: str = "") -> str:
            answer = c.post("/api/indexing", json={"path": path, "index": index})
            assert answer.status_code in (404, 422), (path, answer.status_code, answer.text)
            return str(answer.json()["error"])

        assert "absolute path" in refused("allowed/sub")
        assert "not inside a folder this server may index" in refused(str(outside))
        assert "not inside" in refused("/etc")
        assert "not inside" in refused(str(allowed / "escape"))
        assert "not inside" in refused(str(allowed / ".." / "outside"))
        assert "not inside" in refused("/nonexistent/elsewhere")  # outside: not even said whether it exists
        assert "does not exist" in refused(str(allowed / "missing"))
        assert "is a file, not a folder" in refused(str(allowed / "file.md"))
        assert "give the path of a folder" in refused("   ")
        assert "NUL" in refused(str(allowed) + "\x00x")
        assert "no index 'nope'" in refused(str(allowed / "sub"), "nope")
        too_long = c.post("/api/indexing", json={"path": "/" + "a" * 5000})
        assert too_long.status_code == 422
        assert c.get("/api/indexing").json()["jobs"] == []  # nothing was started
        assert c.get("/api/indexing/0123456789ab").status_code == 404
        assert c.get("/api/indexing/../../etc/passwd").status_code == 404


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder: the permission check cannot be seen")
def test_an_unreadable_folder_is_refused(tmp_path: Path):
    locked = tmp_path / "allowed" / "locked"
    locked.mkdir(parents=True)
    locked.chmod(0)
    try:
        with pytest.raises(BadRequest, match="cannot be read by the server"):
            Indexer([tmp_path / "allowed"], {}, build=lambda *a: ({}, tmp_path)).check_folder(str(locked))
    finally:
        locked.chmod(0o700)


def test_off_without_allowed_roots_and_one_job_at_a_time(tmp_path: Path):
    with running_server(tmp_path) as server, server.client() as c:
        assert c.get("/api/indexing").json()["enabled"] is False
        refused = c.post("/api/indexing", json={"path": str(tmp_path)})
        assert refused.status_code == 403 and "--allow-index-root" in refused.json()["error"]
    with pytest.raises(IndexingOff):
        Indexer([], {"idx": "x"}, build=lambda *a: ({}, tmp_path)).check_folder(str(tmp_path))
    release = threading.Event()

    def slow_build(location: str, folder: Path, progress: Any) -> tuple[dict[str, Any], Path]:
        progress("total", 3)
        progress("file", 5)
        release.wait(10)
        return {"added": 1, "index": location}, tmp_path / "no-report.jsonl"

    (tmp_path / "a").mkdir()
    indexer = Indexer([tmp_path], {"idx": "/srv/secret/idx"}, build=slow_build)
    job = indexer.start(str(tmp_path / "a"), "idx")
    with pytest.raises(IndexingBusy, match="being indexed"):
        indexer.start(str(tmp_path / "a"), "idx")
    release.set()
    for _ in range(200):
        if indexer.job(job.id).status == "done":
            break
        time.sleep(0.01)
    view = indexer.job(job.id).view()
    assert view["status"] == "done" and view["files_done"] == 1 and view["passages_added"] == 5
    assert view["summary"] == {"added": 1} and "/srv/secret" not in json.dumps(view)
    assert indexer.start(str(tmp_path / "a"), "idx").id != job.id  # the next job may start


def test_a_failed_job_says_why_without_disk_paths(tmp_path: Path):
    def failing(location: str, folder: Path, progress: Any) -> Any:
        raise RuntimeError("another `scent index` (pid 7) is writing to /srv/secret/idx: wait for it")

    (tmp_path / "a").mkdir()
    indexer = Indexer([tmp_path], {"idx": "/srv/secret/idx"}, build=failing)
    job = indexer.start(str(tmp_path / "a"), "idx")
    for _ in range(200):
        if job.status == "failed":
            break
        time.sleep(0.01)
    assert job.status == "failed" and job.error is not None and "/srv/secret" not in job.error
    assert "another `scent index`" in job.error and "<a path outside the allowed folders>" in job.error


def test_the_serve_command_indexes_from_the_page(tmp_path: Path):
    """`scent serve --allow-index-root` itself (open_served's wiring): a folder added over HTTP is searchable
    at once; a root that is not a folder stops the command with the reason."""
    make_index(tmp_path).close()
    (tmp_path / "allowed" / "new").mkdir(parents=True)
    (tmp_path / "allowed" / "new" / "kiwi.md").write_text("# Kiwis\n\nA kiwi lays one enormous egg.\n")
    env = {**os.environ, "SCENT_TOKEN": "t" * 20, "XDG_CONFIG_HOME": str(tmp_path)}
    base = [sys.executable, "-m", "scent", "serve", "--index", str(tmp_path / "idx"), "--no-agent", "--port", "0"]
    wrong = subprocess.run([*base, "--allow-index-root", str(tmp_path / "none")], capture_output=True, text=True,
                           env=env, timeout=60)
    assert wrong.returncode == 2 and "--allow-index-root" in wrong.stderr and "not a folder" in wrong.stderr
    server = subprocess.Popen([*base, "--allow-index-root", str(tmp_path / "allowed")], stderr=subprocess.PIPE,
                              text=True, env=env)
    try:
        assert server.stderr is not None
        line = server.stderr.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert url, line
        with httpx.Client(base_url=url.group(0), headers={"Authorization": "Bearer " + "t" * 20}) as c:
            job = c.post("/api/indexing", json={"path": str(tmp_path / "allowed" / "new")}).json()
            assert wait_for(c, job["id"])["status"] == "done"
            hits = c.get("/api/search", params={"q": "kiwi enormous egg"}).json()
            assert hits and hits[0]["path"].endswith("kiwi.md")
    finally:
        server.terminate()
        server.wait(10)


def test_upload_a_file_into_an_allowed_folder(tmp_path: Path):
    allowed = tmp_path / "allowed"
    (allowed / "inbox").mkdir(parents=True)
    (allowed / "inbox" / "link.txt").symlink_to(tmp_path / "elsewhere.txt")
    with running_server(tmp_path, index_roots=[allowed]) as server, server.client() as c:
        folder = str(allowed / "inbox")

        def upload(name: str, body: bytes, where: str = folder) -> httpx.Response:
            return c.post("/api/upload", params={"folder": where, "name": name}, content=body,
                          headers={"Content-Type": "application/octet-stream"})

        text = b"# Puffins\n\nAtlantic puffins dive to sixty metres for sand eels.\n"
        done = upload("puffins.md", text)
        assert done.status_code == 201 and done.json() == {"folder": folder, "name": "puffins.md", "bytes": len(text)}
        assert (allowed / "inbox" / "puffins.md").read_bytes() == text
        assert sorted(p.name for p in (allowed / "inbox").iterdir()) == ["link.txt", "puffins.md"]  # no temp file
        assert upload("puffins.md", b"other").status_code == 409  # never replaced
        assert (allowed / "inbox" / "puffins.md").read_bytes() == text
        assert upload("link.txt", b"through the link").status_code == 409  # nor written through a link
        assert not (tmp_path / "elsewhere.txt").exists()
        for bad in ("../escape.md", "a/b.md", ".hidden", "", " spaced.md", "bell\x07.md"):
            refused = upload(bad, b"x")
            assert refused.status_code == 422, (bad, refused.text)
        assert "not inside" in upload("x.md", b"x", str(tmp_path)).json()["error"]
        assert not (tmp_path / "escape.md").exists() and not (allowed / "escape.md").exists()

        big = b"a" * 2_000_000  # over the 1 MB cap of other requests, under the upload cap (50 MB)
        assert upload("big.txt", big).status_code == 201
        assert c.post("/api/verify", content=big, headers={"Content-Type": "application/json"}).status_code == 413
        server.library.indexer.max_upload = 1000
        too_big = upload("toobig.txt", b"b" * 2000)
        assert too_big.status_code == 413 and "upload limit" in too_big.json()["error"]
        assert not (allowed / "inbox" / "toobig.txt").exists()

        job = wait_for(c, c.post("/api/indexing", json={"path": folder}).json()["id"])
        assert job["status"] == "done" and job["summary"]["added"] == 2
        assert c.get("/api/search", params={"q": "puffins sand eels"}).json()[0]["path"].endswith("puffins.md")
    (tmp_path / "off").mkdir()
    with running_server(tmp_path / "off") as server, server.client() as c:  # no --allow-index-root
        off = c.post("/api/upload", params={"folder": folder, "name": "x.md"}, content=b"x")
        assert off.status_code == 403

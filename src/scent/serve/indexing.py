"""Indexing from the page: a folder that the user names is added to a served index, in the background.

Off unless `scent serve --allow-index-root DIR` names the folders under which the page may add (repeatable). A
path from the page is input from whoever holds the token, so it is checked before anything touches it: an
absolute path with no NUL byte, whose real path (symlinks resolved) lies inside an allowed root — checked
first, so the answer says nothing about what exists elsewhere on the disk — and then that it exists, is a folder
and can be read. One folder is indexed at a time (indexing is CPU-bound and an index has one writer); a second
request while one runs is refused (409). The job runs the same pipeline as `scent index FOLDER --index IDX`
(incremental; the folder becomes one of the index's roots; vectors are synced when the index has them) and its
progress and ingest report (skipped files and why) are read back from `/api/indexing/{id}`. A file may also be
uploaded into such a folder (`/api/upload`, at most `--max-upload-mb`, never replacing a file) and then indexed
with it. Nothing in a job's
view names a path outside the allowed roots: the folder is one the user named, files are shown relative to it,
and an absolute path in a skip's detail or an error (a symlink's target, the index folder) is replaced.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scent.serve.corpus import BadRequest, NotFound

MAX_PATH = 4096
UPLOAD_MB = 50  # `--max-upload-mb`: as `scent index --max-file-mb`, which would skip a larger file anyway
FILE_NAME = re.compile(r"^[^/\\\x00-\x1f\x7f]{1,200}$")
MAX_REPORTED = 200  # skipped files listed in a job's view (the count is always whole)
KEPT_JOBS = 20


class IndexingOff(PermissionError):
    """This server was started without --allow-index-root (HTTP 403)."""


class IndexingBusy(RuntimeError):
    """A folder is being indexed already, or an uploaded file's name is taken (HTTP 409)."""


class TooLarge(ValueError):
    """An upload over the size cap (HTTP 413)."""


@dataclass
class Job:
    id: str
    index: str
    folder: str
    status: str = "queued"  # queued | running | done | failed
    phase: str = "waiting"  # waiting | reading files | embedding | finished
    files_total: int | None = None
    files_done: int = 0
    passages_added: int = 0
    to_embed: int = 0
    embedded: int = 0
    started: float = field(default_factory=time.time)
    seconds: float = 0.0
    summary: dict[str, Any] | None = None
    skipped: list[dict[str, Any]] = field(default_factory=list)
    skipped_total: int = 0
    error: str | None = None

    def view(self) -> dict[str, Any]:
        keys = ("id", "index", "folder", "status", "phase", "files_total", "files_done", "passages_added",
                "to_embed", "embedded", "seconds", "summary", "skipped", "skipped_total", "error")
        return {k: getattr(self, k) for k in keys}


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


class Indexer:
    """The allowed roots, the served indexes that may be written (name → location), and the jobs.

    `build(location, folder, progress)` runs the pipeline and returns (IngestSummary as a dict, report path);
    `reopen(name)`, called after every job, makes the server search the new state at once (an open index sees
    BM25's new commits only after tantivy's reload, about half a second later, and keeps the vectors it loaded
    first)."""

    def __init__(self, roots: Sequence[Path], locations: dict[str, str],
                 build: Callable[[str, Path, Callable[[str, int], None]], tuple[dict[str, Any], Path]],
                 reopen: Callable[[str], None] | None = None, max_upload_mb: float = UPLOAD_MB) -> None:
        self.roots = [os.path.realpath(r) for r in roots]
        self.max_upload = int(max_upload_mb * 1_000_000)
        self.locations = locations
        self._build = build
        self._reopen = reopen
        self.jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._running: Job | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.roots)

    def info(self) -> dict[str, Any]:
        """What the page needs: whether it may add folders, under which roots (the operator named them at start,
        for this purpose), the indexes that accept them, and the recent jobs, newest first."""
        with self._lock:
            jobs = [j.view() for j in reversed(self.jobs.values())]
        return {"enabled": self.enabled, "roots": list(self.roots), "indexes": list(self.locations),
                "max_upload_bytes": self.max_upload, "jobs": jobs}

    def check_folder(self, given: str) -> str:
        """The real path of a folder the page named, or BadRequest saying what is wrong with it."""
        if not self.enabled:
            raise IndexingOff("indexing from the page is off: start `scent serve` with --allow-index-root DIR")
        text = given.strip()
        if not text:
            raise BadRequest("give the path of a folder on the server, e.g. " + self.roots[0] + "/notes")
        if "\x00" in text or len(text) > MAX_PATH:
            raise BadRequest("that is not a usable path (a NUL byte, or longer than 4096 characters)")
        if not text.startswith("/"):
            raise BadRequest(f"give an absolute path (starting with /): {text!r} would depend on where the "
                             "server was started")
        real = os.path.realpath(text)
        if not any(_inside(real, root) for root in self.roots):  # before any existence check
            raise BadRequest(f"{text!r} is not inside a folder this server may index "
                             f"(allowed: {', '.join(self.roots)}; --allow-index-root at start)")
        if not os.path.exists(real):
            raise BadRequest(f"{text!r} does not exist")
        if not os.path.isdir(real):
            raise BadRequest(f"{text!r} is a file, not a folder: give the folder that holds it")
        if not os.access(real, os.R_OK | os.X_OK):
            raise BadRequest(f"{text!r} cannot be read by the server (permissions)")
        return real

    def upload_target(self, folder: str, name: str, size: int | None) -> Path:
        """Where an uploaded file goes: a plain file name (no path, no leading dot) in a writable folder inside
        an allowed root, not taken, within the size cap; else BadRequest, TooLarge or IndexingBusy."""
        real = self.check_folder(folder)
        if size is None:
            raise BadRequest("an upload needs a Content-Length")
        if size > self.max_upload:
            raise TooLarge(f"the file is larger than the upload limit ({self.max_upload / 1e6:g} MB; "
                           "--max-upload-mb at start)")
        if not FILE_NAME.match(name) or name.startswith(".") or name.strip() != name:
            raise BadRequest(f"{name[:80]!r} is not a plain file name (no '/', '\\', control characters or "
                             "leading dot; at most 200 characters)")
        if not os.access(real, os.W_OK):
            raise BadRequest(f"{folder!r} cannot be written by the server (permissions)")
        target = Path(real) / name
        if os.path.lexists(target):
            raise IndexingBusy(f"{name!r} already exists in {folder!r}: rename the file, or index the folder")
        return target

    def start(self, given: str, index: str) -> Job:
        """Check the folder and start indexing it into `index` (a served name) in a background thread."""
        folder = self.check_folder(given)
        if index not in self.locations:
            raise NotFound(f"the index {index!r} does not take folders from the page (these do: "
                           f"{', '.join(self.locations) or 'none'})")
        with self._lock:
            if self._running is not None:
                raise IndexingBusy(f"{self._running.folder!r} is being indexed: wait for it to finish")
            job = Job(id=uuid.uuid4().hex[:12], index=index, folder=folder)
            self._running = job
            self.jobs[job.id] = job
            for old in list(self.jobs)[:-KEPT_JOBS]:
                del self.jobs[old]
        threading.Thread(target=self._run, args=(job,), name=f"scent-index-{job.id}", daemon=True).start()
        return job

    def job(self, job_id: str) -> Job:
        with self._lock:
            job = self.jobs.get(job_id)
        if job is None:
            raise NotFound(f"no indexing job {job_id!r}")
        return job

    def _progress(self, job: Job) -> Callable[[str, int], None]:
        def progress(event: str, value: int) -> None:
            if event == "total":
                job.files_total = value
            elif event == "file":
                job.files_done += 1
                job.passages_added += value
            elif event == "vectors-total":
                job.phase, job.to_embed = "embedding", value
            elif event == "vectors-embedded":
                job.embedded += value
        return progress

    def _run(self, job: Job) -> None:
        start = time.monotonic()
        job.status, job.phase = "running", "reading files"
        try:
            summary, report = self._build(self.locations[job.index], Path(job.folder),
                                                    self._progress(job))
            job.summary = {k: v for k, v in summary.items() if k != "index"}  # `index` is the folder's path
            job.skipped_total, job.skipped = self._skipped(report, job.folder)
            if self._reopen is not None:
                self._reopen(job.index)
            job.status = "done"
        except Exception as e:  # a job's failure is reported to the page, never raised into the server
            job.status, job.error = "failed", self.public(f"{type(e).__name__}: {e}" if not str(e) else str(e))
        finally:
            job.phase, job.seconds = "finished", round(time.monotonic() - start, 2)
            with self._lock:
                self._running = None

    def public(self, text: str) -> str:
        """`text` with every absolute path outside the allowed roots replaced."""
        def scrub(m: re.Match[str]) -> str:
            path = m.group(0)
            return path if any(_inside(path, root) for root in self.roots) else "<a path outside the allowed folders>"
        return re.sub(r"(?<![\w.])(?:/[^\s'\"`:,;()]+)+", scrub, text)

    def _skipped(self, report: Path, folder: str) -> tuple[int, list[dict[str, Any]]]:
        """This run's skipped files (the ingest report's `skipped` lines), paths relative to the folder."""
        if not report.exists():
            return 0, []
        out = []
        for line in report.read_text(encoding="utf-8").splitlines():
            issue = json.loads(line)
            if issue.get("status") != "skipped":
                continue
            out.append({"path": self.public(str(issue.get("path", ""))), "reason": issue.get("reason", ""),
                        "detail": self.public(str(issue.get("detail", "")))})
        return len(out), out[:MAX_REPORTED]


async def write_new_file(target: Path, chunks: AsyncIterator[bytes], limit: int) -> int:
    """Write an upload to `target`, which must not exist (never replaced, never through a link): into a hidden
    temporary file beside it first, linked to its name only when whole, so an indexing run never reads half a
    file. Returns the bytes written; TooLarge past `limit` (whatever Content-Length said)."""
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    written = 0
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as f:
            async for chunk in chunks:
                written += len(chunk)
                if written > limit:
                    raise TooLarge(f"the file is larger than the upload limit ({limit / 1e6:g} MB)")
                f.write(chunk)
        try:
            os.link(temp, target)  # fails if the name was taken meanwhile: nothing is replaced
        except FileExistsError:
            raise IndexingBusy(f"{target.name!r} already exists there: rename the file") from None
    finally:
        temp.unlink(missing_ok=True)
    return written


def folder_builder(cfg: Any) -> Callable[[str, Path, Callable[[str, int], None]],
                                         tuple[dict[str, Any], Path]]:
    """The pipeline of `scent index FOLDER --index LOCATION` for a folder index: BM25 and the store, then the
    vectors with the embedder they were made with, when the index has them."""

    def build(location: str, folder: Path, progress: Callable[[str, int], None]
              ) -> tuple[dict[str, Any], Path]:
        from scent import app
        from scent.index.layout import REPORT_FILE
        from scent.index.lock import writer_lock
        from scent.ingest.sources import IngestOptions

        backend = app.index_backend(location)
        made = backend.vectors_embedder(location, cfg)
        with writer_lock(Path(location)):  # one writer for BM25 and vectors, as `scent index` holds it
            summary = backend.build(location, [folder], cfg, IngestOptions(), progress=progress)
            if made is not None and not summary.interrupted:
                from scent.embed import load_embedder

                model = load_embedder(made, cfg.embed, cfg.local_only)
                backend.sync_vectors(location, model, cfg, lambda e, v: progress("vectors-" + e, v))
        return summary.model_dump(), Path(location) / REPORT_FILE

    return build

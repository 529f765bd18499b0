"""Find the files to index under the given paths; report what cannot be walked."""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from scent.config import SUPPORTED_EXTENSIONS, IngestConfig
from scent.types import IngestIssue


@dataclass(frozen=True, slots=True)
class Candidate:
    """A file to consider: `root` is the indexed folder, `relpath` the display path inside it."""

    root: str
    relpath: str
    abspath: str
    size: int
    mtime_ns: int


def display_path(rel: str) -> str:
    """A path that is valid UTF-8 text: undecodable bytes in file names become \\xNN escapes."""
    return os.fsencode(rel).decode("utf-8", errors="backslashreplace")


def _matches(rel: str, patterns: list[str]) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p) for p in patterns)


def walk(paths: list[Path], config: IngestConfig, skip: Path | None = None) -> Iterator[Candidate | IngestIssue]:
    """Candidates under each path (a folder or a file), plus an `IngestIssue` for each file or folder that
    cannot be walked. Symlinks are followed; a link back into a folder already walked is reported, not looped.
    Hidden entries and the index folder itself (`skip`) are left out."""
    limit = int(config.max_file_mb * 1024 * 1024)
    skip_real = os.path.realpath(skip) if skip else None
    for path in paths:
        if not os.path.lexists(path):
            yield IngestIssue(path=str(path), status="skipped", reason="not-found", detail="no such file or folder")
            continue
        if os.path.isfile(path):
            root = os.path.dirname(os.path.abspath(path))
            yield from _file(root, os.path.basename(path), config, limit, explicit=True)
            continue
        root = os.path.abspath(path)
        seen: set[tuple[int, int]] = set()
        stack = [""]
        while stack:
            rel_dir = stack.pop()
            full = os.path.join(root, rel_dir) if rel_dir else root
            try:
                st = os.stat(full)
            except OSError as e:
                yield _issue(rel_dir, "unreadable", e)
                continue
            if (st.st_dev, st.st_ino) in seen:
                yield IngestIssue(path=display_path(rel_dir), status="skipped", reason="symlink-loop",
                                  detail=f"links back to {os.path.realpath(full)}, already walked")
                continue
            seen.add((st.st_dev, st.st_ino))
            try:
                entries = sorted(os.scandir(full), key=lambda e: e.name, reverse=True)
            except OSError as e:
                yield _issue(rel_dir, "unreadable", e)
                continue
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                if entry.name.startswith(".") or (skip_real and os.path.realpath(entry.path) == skip_real):
                    continue
                if _matches(rel, config.exclude):
                    continue
                try:
                    is_dir = entry.is_dir(follow_symlinks=True)
                except OSError as e:
                    yield _issue(rel, "unreadable", e)
                    continue
                if is_dir:
                    stack.append(rel)
                else:
                    yield from _file(root, rel, config, limit)


def _file(root: str, rel: str, config: IngestConfig, limit: int, explicit: bool = False) -> Iterator[
        Candidate | IngestIssue]:
    if not explicit and not rel.lower().endswith(SUPPORTED_EXTENSIONS):
        return
    if config.include and not explicit and not _matches(rel, config.include):
        return
    full = os.path.join(root, rel)
    try:
        st = os.stat(full)
    except FileNotFoundError:
        yield IngestIssue(path=display_path(rel), status="skipped", reason="broken-symlink",
                          detail=f"points to {os.readlink(full)!r}" if os.path.islink(full) else "vanished")
        return
    except OSError as e:
        yield _issue(rel, "unreadable", e)
        return
    if not stat.S_ISREG(st.st_mode):
        yield IngestIssue(path=display_path(rel), status="skipped", reason="not-a-file",
                          detail="not a regular file (device, FIFO or socket)")
        return
    if st.st_size > limit and not rel.lower().endswith(".jsonl"):  # corpus files are streamed, not loaded
        yield IngestIssue(path=display_path(rel), status="skipped", reason="too-large",
                          detail=f"{st.st_size / 1e6:.1f} MB > limit {config.max_file_mb:g} MB (--max-file-mb)")
        return
    yield Candidate(root, rel, full, st.st_size, st.st_mtime_ns)


def _issue(rel: str, reason: str, error: OSError) -> IngestIssue:
    return IngestIssue(path=display_path(rel) or ".", status="skipped", reason=reason,
                       detail=error.strerror or str(error))

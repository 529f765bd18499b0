"""The one incremental-ingest diff, shared by every backend's build (the folder index's `scent.ingest.pipeline`,
Milvus's `scent.milvus.ingest`): walk the paths, and compare each file with the backend's manifest of documents
(`DocRow`s keyed by (root, path)) to decide what is unchanged, what to read, and what is gone.

- unchanged: indexed, same size and mtime (not even hashed); or same sha256 (only the mtime is refreshed)
- gone: a manifest document under a walked folder that the walk did not take: its file no longer exists, the
  include/exclude rules now leave it out, or the walk refused it (a file or a folder above it: e.g. a link out of
  the root); or (decided by the backend while reading) one that became unreadable
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from scent.config import IngestConfig
from scent.index.store import DocRow
from scent.ingest.walk import FileCandidate, Skipped, display_path, root_of, walk
from scent.types import IngestIssue

K = TypeVar("K")  # a backend's document key: the folder index's integer row id, Milvus's hash


@dataclass
class Diff(Generic[K]):
    """What one run has to do: each walked file with its manifest row (None: new), the documents gone, and the
    files and folders the walk skipped."""

    files: list[tuple[FileCandidate, DocRow[K] | None]] = field(default_factory=list)
    gone: list[DocRow[K]] = field(default_factory=list)
    skipped: list[IngestIssue] = field(default_factory=list)


def diff(paths: list[Path], config: IngestConfig, manifest: dict[tuple[str, str], DocRow[K]],
         skip: Path | None = None, roots: list[str] | tuple[str, ...] = ()) -> Diff[K]:
    """Walk `paths` (leaving out `skip`, the index's own folder; a path inside one of `roots` as that part of the
    root) against `manifest`."""
    out: Diff[K] = Diff()
    refused: set[tuple[str, str]] = set()  # skipped by the walk: no longer to be served from the index
    for item in walk(paths, config, skip=skip, roots=roots):
        if isinstance(item, Skipped):
            out.skipped.append(item.issue)
            refused.add((item.root, item.issue.path))
        else:
            out.files.append((item, manifest.get((item.root, display_path(item.relpath)))))
    walked = [root_of(p, roots) for p in paths if os.path.isdir(p)]  # (root, folder inside it) of each walk
    seen = {(c.root, display_path(c.relpath)) for c, _ in out.files}
    out.gone = [row for key, row in manifest.items()
                if _refused(key, refused) or (key not in seen and any(_under(key, w) for w in walked))]
    return out


def _under(key: tuple[str, str], walked: tuple[str, str]) -> bool:
    root, folder = walked
    return key[0] == root and (not folder or key[1].startswith(display_path(folder) + "/"))


def unchanged(row: DocRow[K] | None, c: FileCandidate) -> bool:
    """Indexed with the same size and mtime: not read, not even hashed."""
    return bool(row and row.state == "indexed" and (row.size, row.mtime_ns) == (c.size, c.mtime_ns))


def same_content(row: DocRow[K] | None, sha256: str) -> bool:
    """Indexed with the same content (a touched file): only its mtime is refreshed."""
    return bool(row and row.state == "indexed" and row.sha256 == sha256)


def _refused(key: tuple[str, str], refused: set[tuple[str, str]]) -> bool:
    """True when the walk refused this document's path or a folder above it (e.g. a link out of the root)."""
    root, path = key
    parts = path.split("/")
    return any((root, "/".join(parts[:n])) in refused for n in range(1, len(parts) + 1))

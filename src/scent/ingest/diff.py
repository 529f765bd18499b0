"""The one incremental-ingest diff, shared by every backend's build (the folder index's `scent.ingest.pipeline`,
Milvus's `scent.milvus.ingest`): walk the paths, and compare each file with the backend's manifest of documents
(`DocRow`s keyed by (root, path)) to decide what is unchanged, what to read, and what is gone.

- unchanged: indexed, same size and mtime (not even hashed); or same sha256 (only the mtime is refreshed)
- gone: a manifest document under a walked folder whose file no longer exists, or that the walk refused (a file
  or a folder above it: e.g. a link out of the root), or (decided by the backend while reading) one that became
  unreadable
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from scent.config import IngestConfig
from scent.index.store import DocRow
from scent.ingest.walk import FileCandidate, Skipped, display_path, fs_path, walk
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
         skip: Path | None = None) -> Diff[K]:
    """Walk `paths` (leaving out `skip`, the index's own folder) against `manifest`."""
    out: Diff[K] = Diff()
    refused: set[tuple[str, str]] = set()  # skipped by the walk: no longer to be served from the index
    for item in walk(paths, config, skip=skip):
        if isinstance(item, Skipped):
            out.skipped.append(item.issue)
            refused.add((item.root, item.issue.path))
        else:
            out.files.append((item, manifest.get((item.root, display_path(item.relpath)))))
    walked_roots = {os.path.abspath(p) for p in paths if os.path.isdir(p)}
    seen = {(c.root, display_path(c.relpath)) for c, _ in out.files}
    out.gone = [row for key, row in manifest.items()
                if _refused(key, refused) or (key[0] in walked_roots and key not in seen
                and not os.path.lexists(os.path.join(key[0], fs_path(key[1]))))]
    return out


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

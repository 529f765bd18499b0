"""`scent forget ROOT|PATH`: remove a remembered root, or a file or folder under one, from an index."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scent.ingest.sources import resolve_target


@dataclass
class Forgotten:
    root: str
    path: str  # "" for the whole root
    documents: int
    passages: int


def forget(index_dir: Path, target: str) -> Forgotten | None:
    """`scent forget ROOT|PATH`: remove a root (its documents, its rules) or a file or folder under one (its
    documents; the path joins the root's exclude rules so that the next re-sync does not bring it back). None
    when the index holds no such root or path. Takes the writer lock."""
    from scent.index.lock import writer_lock
    from scent.ingest.pipeline import Builder

    with writer_lock(index_dir):
        builder = Builder(index_dir)
        try:
            store = builder.store
            found = resolve_target(store, target)
            if found is None:
                return None
            root, inside = found
            rows = [row for (r, p), row in store.documents().items()
                    if r == root and (not inside or p == inside or p.startswith(inside.rstrip("/") + "/"))]
            store.begin()
            if inside:
                include, exclude = store.sources().get(root, ([], []))
                if root in store.sources():
                    store.remember(root, include, [*exclude, inside] if inside not in exclude else exclude)
            else:
                store.forget_source(root)
                for single in [s for s in store.sources() if s.startswith(root.rstrip("/") + "/")]:
                    store.forget_source(single)
            store.commit()
            builder.remove([row.doc for row in rows])
            return Forgotten(root, inside, len(rows), sum(row.n_passages for row in rows))
        finally:
            builder.close()

"""The passage store and document manifest: one SQLite file, `passages.sqlite` (format in docs/index-format.md).

Documents move through states so that a kill at any moment leaves a recoverable index:
`pending` (passages written here, BM25 not yet committed) → `indexed`; `deleting` → row removed.

A document is (root, path): `root` is the canonical (resolved) folder it was indexed under, so identical text in
two roots is two documents. The `sources` table remembers each root and its include/exclude rules. An index of
format 1 (roots as typed, no sources) is migrated in place when a writer opens it (`Store.migrate`).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from scent.types import Hit, Passage

FORMAT_VERSION = "2"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
  doc INTEGER PRIMARY KEY,
  root TEXT NOT NULL,
  path TEXT NOT NULL,
  kind TEXT NOT NULL,
  title TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'indexed', 'deleting')),
  n_passages INTEGER NOT NULL DEFAULT 0,
  warnings TEXT NOT NULL DEFAULT '[]',
  text TEXT,
  UNIQUE (root, path)
);
CREATE TABLE IF NOT EXISTS passages (
  id TEXT PRIMARY KEY,
  doc INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  source_id TEXT,
  title TEXT NOT NULL,
  headings TEXT NOT NULL,
  page INTEGER,
  start INTEGER NOT NULL,
  "end" INTEGER NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS passages_by_doc ON passages (doc, seq);
CREATE TABLE IF NOT EXISTS sources (
  root TEXT PRIMARY KEY,
  include TEXT NOT NULL DEFAULT '[]',
  exclude TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS signatures (doc INTEGER PRIMARY KEY, minhash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS duplicates (doc INTEGER PRIMARY KEY, standing INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS duplicates_by_standing ON duplicates (standing);
"""

_PASSAGE_COLUMNS = ('p.id, d.path, p.source_id, p.title, p.headings, p.page, p.start, p."end", p.seq, p.text, '
                    'd.root')


def root_labels(roots: Sequence[str]) -> dict[str, str]:
    """A label per root, shown before its documents' paths so that two roots' `logging.html` stay apart: none
    while there is one root; else the root's last folder name, or as many trailing folders as make it unique."""
    if len(roots) <= 1:
        return {r: "" for r in roots}
    parts = {r: [p for p in r.split("/") if p] for r in roots}
    labels: dict[str, str] = {}
    for root, names in parts.items():
        label = "/".join(names)
        for n in range(1, len(names) + 1):
            if all(o == root or parts[o][-n:] != names[-n:] for o in roots):
                label = "/".join(names[-n:])
                break
        labels[root] = label or "root"
    return labels


K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class DocRow(Generic[K]):
    """One document of an index's manifest, whatever the backend: `doc` is its key there (this store's integer
    row id, a Milvus collection's hash); the folder store leaves `kind` and `title` empty (not read here)."""

    doc: K
    root: str
    path: str
    sha256: str
    size: int
    mtime_ns: int
    state: str
    n_passages: int
    warnings: list[dict[str, object]]
    kind: str = ""
    title: str = ""


def _peek(folder: Path, *queries: tuple[str, tuple[object, ...]]) -> list[Any] | None:
    """The first row of each (sql, args) query on the folder's store, opened read-only, one connection for all: a
    check before a run must not create, lock or migrate anything. None when there is no store there or SQLite
    cannot read it."""
    path = folder / "passages.sqlite"
    if not path.exists():
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return [db.execute(sql, args).fetchone() for sql, args in queries]
        finally:
            db.close()
    except sqlite3.Error:
        return None


def migration_pending(folder: Path) -> bool:
    """True when the index folder holds a store of an older format (the next writer migrates it in place)."""
    rows = _peek(folder, ("SELECT value FROM meta WHERE key = 'format'", ()))
    return rows is not None and rows[0] is not None and rows[0][0] != FORMAT_VERSION


def bm25_rebuild_pending(folder: Path) -> bool:
    """True when the next `scent index` rebuilds the folder's BM25 index from the store (an index of BM25 layout 1,
    `scent.index.bm25`): worth a line before the run, as `migration_pending`."""
    from scent.index import bm25

    rows = _peek(folder, ("SELECT 1 FROM documents LIMIT 1", ()),
                 ("SELECT value FROM meta WHERE key = ?", (bm25.META_KEY,)))
    if rows is None:
        return False
    document, row = rows
    return bm25.outdated(folder / "tantivy", row[0] if row else None, document is not None)


P = TypeVar("P", bound=Passage)


def _passage(row: Sequence[Any], labels: dict[str, str], cls: type[P] = Passage,  # type: ignore[assignment]
             **extra: Any) -> P:
    pid, path, source_id, title, headings, page, start, end, seq, text, root = row
    label = labels.get(root, "")
    return cls(id=pid, path=f"{label}/{path}" if label else path, source_id=source_id, title=title,
               headings=json.loads(headings) if headings != "[]" else [], page=page, start=start, end=end,
               seq=seq, text=text, **extra)


class Store:
    """SQLite passage store. Readers may run while one `scent index` writes (WAL mode)."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = path
        uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
        self.db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        if not readonly:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA cache_size=-65536")  # 64 MB: id-keyed inserts touch pages all over the index
            fresh = self.db.execute("SELECT name FROM sqlite_master WHERE name = 'meta'").fetchone() is None
            self.db.executescript(_SCHEMA)
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", ("2" if fresh else "1",))
        self._labels: dict[str, str] | None = None
        self._labels_version = -1

    def close(self) -> None:
        self.db.close()

    def meta(self, key: str) -> str | None:
        try:
            row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        except sqlite3.OperationalError:
            return None
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- identity ------------------------------------------------------------------------------------------
    def labels(self) -> dict[str, str]:
        """Root → the label shown before its paths: "" while the index holds one root (paths as before), else
        the root's last folder name (more of its path when two roots share a name)."""
        version = self.db.execute("PRAGMA data_version").fetchone()[0]  # changes when another connection commits
        if self._labels is None or version != self._labels_version:
            self._labels, self._labels_version = root_labels(self.roots()), version
        return self._labels

    def roots(self) -> list[str]:
        """Every root that holds documents or is a remembered source folder."""
        import os

        roots = {str(r[0]) for r in self.db.execute("SELECT DISTINCT root FROM documents WHERE state != 'deleting'")}
        with contextlib.suppress(sqlite3.OperationalError):  # format 1, opened read-only: no sources table
            roots |= {str(r[0]) for r in self.db.execute("SELECT root FROM sources") if os.path.isdir(r[0])}
        return sorted(roots)

    def shown(self, root: str, path: str) -> str:
        label = self.labels().get(root, "")
        return f"{label}/{path}" if label else path

    def resolve(self, path: str) -> list[int]:
        """Indexed documents a path names: a path as shown (`label/path` when the index has several roots), a
        full path on disk, or a path inside any root (every root's, in root order)."""
        import os

        candidates: list[tuple[str, str]] = []
        for root, label in self.labels().items():
            if label and path.startswith(label + "/"):
                candidates.append((root, path[len(label) + 1:]))
            if os.path.isabs(path) and path.startswith(root.rstrip("/") + "/"):
                candidates.append((root, path[len(root.rstrip("/")) + 1:]))
        sql = "SELECT doc FROM documents WHERE root = ? AND path = ? AND state = 'indexed'"
        docs = [r[0] for root, rel in candidates for r in self.db.execute(sql, (root, rel))]
        if not docs:
            docs = [r[0] for r in self.db.execute(
                "SELECT doc FROM documents WHERE path = ? AND state = 'indexed' ORDER BY root", (path,))]
        return docs

    def sources(self) -> dict[str, tuple[list[str], list[str]]]:
        """Remembered roots → (include, exclude) rules."""
        return {r[0]: (json.loads(r[1]), json.loads(r[2]))
                for r in self.db.execute("SELECT root, include, exclude FROM sources ORDER BY root")}

    def remember(self, root: str, include: list[str], exclude: list[str]) -> None:
        self.db.execute("INSERT OR REPLACE INTO sources VALUES (?, ?, ?)",
                        (root, json.dumps(include), json.dumps(exclude)))
        self._labels = None

    def forget_source(self, root: str) -> None:
        self.db.execute("DELETE FROM sources WHERE root = ?", (root,))
        self._labels = None

    def rekey_root(self, old: str, new: str, prefix: str) -> None:
        """Documents of root `old` become documents of `new` (a folder above it), their paths under `prefix`:
        indexing a parent after its subfolder keeps the subfolder's documents (and passage ids)."""
        self.db.execute("UPDATE documents SET root = ?, path = ? || path WHERE root = ?", (new, prefix, old))
        self.forget_source(old)

    def migrate(self) -> list[str]:
        """Bring a format-1 index to format 2 in place: roots resolved to real paths (documents indexed twice
        through a link are marked `deleting`, the caller drops them from BM25), sources filled from the roots.
        Returns what was done (empty when nothing was to do)."""
        if self.meta("format") == FORMAT_VERSION:
            return []
        import os

        notes = [f"index format 1 -> {FORMAT_VERSION}: documents are now (root, path) with resolved roots"]
        self.begin()
        for root in [r[0] for r in self.db.execute("SELECT DISTINCT root FROM documents").fetchall()]:
            real = os.path.realpath(root)
            if real == root:
                continue
            taken = {r[0] for r in self.db.execute("SELECT path FROM documents WHERE root = ?", (real,))}
            twice = [d for d, p in self.db.execute("SELECT doc, path FROM documents WHERE root = ?", (root,))
                     if p in taken]
            self.mark(twice, "deleting")
            self.db.executemany("UPDATE documents SET root = ? || '#twice-' || doc WHERE doc = ?",
                                [(real, d) for d in twice])
            self.db.execute("UPDATE documents SET root = ? WHERE root = ?", (real, root))
            if twice:
                notes.append(f"{len(twice)} document(s) of {root} were indexed twice (through a link): removed")
        for (root,) in self.db.execute("SELECT DISTINCT root FROM documents WHERE state != 'deleting'").fetchall():
            if os.path.isdir(root):
                self.db.execute("INSERT OR IGNORE INTO sources (root) VALUES (?)", (root,))
        self.set_meta("format", FORMAT_VERSION)
        self.commit()
        self._labels = None
        return notes

    def orphans(self) -> list[int]:
        """Document numbers that passages name but no document row holds (left by a run interrupted before
        this store checked for them): the caller removes them from BM25, then `drop_orphans`."""
        known = {r[0] for r in self.db.execute("SELECT doc FROM documents")}
        return [r[0] for r in self.db.execute("SELECT DISTINCT doc FROM passages") if r[0] not in known]

    def drop_orphans(self, docs: list[int]) -> int:
        before = self.db.total_changes
        self.db.executemany("DELETE FROM passages WHERE doc = ?", [(d,) for d in docs])
        return self.db.total_changes - before

    # -- reading -------------------------------------------------------------------------------------------
    def _rows(self, ids: Sequence[str]) -> dict[str, Sequence[Any]]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f"SELECT {_PASSAGE_COLUMNS} FROM passages p JOIN documents d USING (doc) WHERE p.id IN ({marks})",
            list(ids),
        )
        return {row[0]: row for row in rows}

    def get_many(self, ids: Sequence[str]) -> dict[str, Passage]:
        labels = self.labels()
        return {pid: _passage(row, labels) for pid, row in self._rows(ids).items()}

    def hits(self, ranked: Sequence[tuple[str, float]],
             best_in: Callable[[int], tuple[str, float] | None] | None = None) -> list[Hit]:
        """Hits for (id, score) pairs, in order; ids the store no longer holds are left out. One member per
        duplicate group (scent.index.groups); `best_in(doc)`: a document's best (id, score) for the query."""
        from scent.index.groups import collapse

        rows = self._rows([pid for pid, _ in ranked])
        labels = self.labels()
        hits = [_passage(rows[pid], labels, Hit, score=score) for pid, score in ranked if pid in rows]

        def standing_hit(doc: int) -> Hit | None:
            found = best_in(doc) if best_in is not None else None
            row = self._rows([found[0]]).get(found[0]) if found else None
            return _passage(row, labels, Hit, score=found[1]) if row and found else None

        return collapse(self.db, hits, self.shown, standing_hit if best_in is not None else None)

    def neighbours(self, passage_id: str, before: int, after: int) -> list[Passage]:
        """Passages around one in its document. A record of a corpus file is a document of its own: its
        neighbours are its own passages, never the next rows of the file."""
        row = self.db.execute("SELECT doc, seq, source_id FROM passages WHERE id = ?", (passage_id,)).fetchone()
        if row is None:
            return []
        doc, seq, source_id = row
        same_record = "AND p.source_id = ? " if source_id is not None else ""
        rows = self.db.execute(
            f"SELECT {_PASSAGE_COLUMNS} FROM passages p JOIN documents d USING (doc) "
            f"WHERE p.doc = ? {same_record}AND p.seq BETWEEN ? AND ? ORDER BY p.seq",
            (doc, *([source_id] if source_id is not None else []), seq - before, seq + after),
        )
        return [_passage(r, self.labels()) for r in rows]

    def documents(self, root: str | None = None) -> dict[tuple[str, str], DocRow[int]]:
        sql = "SELECT doc, root, path, sha256, size, mtime_ns, state, n_passages, warnings FROM documents"
        rows = self.db.execute(sql + " WHERE root = ?", (root,)) if root else self.db.execute(sql)
        return {(r[1], r[2]): DocRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], json.loads(r[8])) for r in rows}

    def counts(self) -> tuple[int, int]:
        docs = self.db.execute("SELECT count(*) FROM documents WHERE state != 'deleting'").fetchone()[0]
        passages = self.db.execute("SELECT count(*) FROM passages").fetchone()[0]
        return int(docs), int(passages)

    def doc_passages(self, doc: int) -> list[Passage]:
        rows = self.db.execute(
            f"SELECT {_PASSAGE_COLUMNS} FROM passages p JOIN documents d USING (doc) WHERE p.doc = ? ORDER BY p.seq",
            (doc,),
        )
        return [_passage(r, self.labels()) for r in rows]

    def docs_in_state(self, state: str) -> list[int]:
        return [r[0] for r in self.db.execute("SELECT doc FROM documents WHERE state = ?", (state,))]

    # -- writing -------------------------------------------------------------------------------------------
    def begin(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.db.execute("COMMIT")

    def rollback(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    def upsert_document(self, root: str, path: str, kind: str, title: str, sha256: str, size: int,
                        mtime_ns: int, warnings: list[dict[str, object]], text: str | None) -> int:
        """Record a document as `pending`, dropping its old passages; returns its doc number."""
        row = self.db.execute("SELECT doc FROM documents WHERE root = ? AND path = ?", (root, path)).fetchone()
        values = (kind, title, sha256, size, mtime_ns, json.dumps(warnings), text)
        if row is None:
            cur = self.db.execute(
                "INSERT INTO documents (root, path, kind, title, sha256, size, mtime_ns, state, warnings, text) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)", (root, path, *values))
            return int(cur.lastrowid or 0)
        doc = int(row[0])
        self.db.execute("DELETE FROM passages WHERE doc = ?", (doc,))
        self.db.execute("DELETE FROM signatures WHERE doc = ?", (doc,))  # signed again after the run
        self.db.execute(
            "UPDATE documents SET kind=?, title=?, sha256=?, size=?, mtime_ns=?, warnings=?, text=?, "
            "state='pending', n_passages=0 WHERE doc=?", (*values, doc))
        return doc

    def insert_passages(self, doc: int, passages: Sequence[Passage]) -> list[Passage]:
        """Insert; returns the passages whose id already exists (kept out, reported by the caller)."""
        rows = [(p.id, doc, p.seq, p.source_id, p.title, json.dumps(p.headings) if p.headings else "[]", p.page,
                 p.start, p.end, p.text) for p in passages]
        sql = "INSERT INTO passages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        self.db.execute("SAVEPOINT batch")
        try:
            self.db.executemany(sql, rows)
            self.db.execute("RELEASE batch")
            return []
        except sqlite3.IntegrityError:
            self.db.execute("ROLLBACK TO batch")
            self.db.execute("RELEASE batch")
        duplicates = []
        for row, passage in zip(rows, passages, strict=True):
            try:
                self.db.execute(sql, row)
            except sqlite3.IntegrityError:
                duplicates.append(passage)
        return duplicates

    def finish_document(self, doc: int, warnings: list[dict[str, object]]) -> None:
        self.db.execute("UPDATE documents SET n_passages = (SELECT count(*) FROM passages WHERE doc = ?), "
                        "warnings = ? WHERE doc = ?", (doc, json.dumps(warnings), doc))

    def mark(self, docs: Iterable[int], state: str) -> None:
        self.db.executemany("UPDATE documents SET state = ? WHERE doc = ?", [(state, d) for d in docs])

    def touch(self, doc: int, mtime_ns: int) -> None:
        self.db.execute("UPDATE documents SET mtime_ns = ? WHERE doc = ?", (mtime_ns, doc))

    def delete_documents(self, docs: Iterable[int]) -> None:
        docs = list(docs)
        self.db.executemany("DELETE FROM passages WHERE doc = ?", [(d,) for d in docs])
        self.db.executemany("DELETE FROM documents WHERE doc = ?", [(d,) for d in docs])
        self.db.executemany("DELETE FROM signatures WHERE doc = ?", [(d,) for d in docs])
        if docs:  # a group may have lost its standing member: recomputed after the run
            self.set_meta("groups", "stale")

"""The passage store and document manifest: one SQLite file, `passages.sqlite` (format in docs/index-format.md).

Documents move through states so that a kill at any moment leaves a recoverable index:
`pending` (passages written here, BM25 not yet committed) → `indexed`; `deleting` → row removed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from scent.types import Hit, Passage

FORMAT_VERSION = "1"

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
"""

_PASSAGE_COLUMNS = 'p.id, d.path, p.source_id, p.title, p.headings, p.page, p.start, p."end", p.seq, p.text'


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


P = TypeVar("P", bound=Passage)


def _passage(row: Sequence[Any], cls: type[P] = Passage, **extra: Any) -> P:  # type: ignore[assignment]
    pid, path, source_id, title, headings, page, start, end, seq, text = row
    return cls(id=pid, path=path, source_id=source_id, title=title,
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
            self.db.executescript(_SCHEMA)
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (FORMAT_VERSION,))

    def close(self) -> None:
        self.db.close()

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
        return {pid: _passage(row) for pid, row in self._rows(ids).items()}

    def hits(self, ranked: Sequence[tuple[str, float]]) -> list[Hit]:
        """Hits for (id, score) pairs, in order; ids the store no longer holds are left out."""
        rows = self._rows([pid for pid, _ in ranked])
        return [_passage(rows[pid], Hit, score=score) for pid, score in ranked if pid in rows]

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
        return [_passage(r) for r in rows]

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
        return [_passage(r) for r in rows]

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

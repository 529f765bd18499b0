"""`scent index`: bring an index folder up to date with the files under some paths, incrementally.

Crash safety: each document's passages are committed to SQLite as `pending` with its document row, in one
transaction, before BM25 sees them; BM25 commits in groups; then the group is marked `indexed`. A run killed at
any point leaves documents `pending` (or `deleting`), and the next run first replays them into BM25
(delete-by-document, then add), which is idempotent. A Ctrl-C waits for a passage insert still running in the
helper thread before it rolls back (a rollback under it let the insert land outside the transaction: passages
with no document row); the next run also removes any passage whose document row is missing (`reconcile`).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from scent.config import IngestConfig, SearchConfig
from scent.index import bm25
from scent.index.layout import REPORT_FILE, STORE_FILE, TANTIVY_DIR
from scent.index.lock import writer_lock
from scent.index.store import DocRow, Store
from scent.ingest.diff import diff, same_content, unchanged
from scent.ingest.duplicates import regroup
from scent.ingest.extracted import LoadError
from scent.ingest.read import LoadedDocument, file_sha256, read_document
from scent.ingest.sources import plan
from scent.ingest.walk import FileCandidate, display_path
from scent.interrupt import catch_interrupts, checkpoint
from scent.types import IngestIssue, IngestSummary, Passage

Progress = Callable[[str, int], None]  # (event, value): ("total", files to consider) | ("file", passages added)


def _then_none(batches: Iterator[list[Passage]]) -> Iterator[list[Passage] | None]:
    yield from batches
    yield None


class Builder:
    """One incremental indexing run over an index folder."""

    def __init__(self, index_dir: Path, config: IngestConfig | None = None,
                 search: SearchConfig | None = None, progress: Progress | None = None) -> None:
        self.dir = index_dir
        self.config = config or IngestConfig()
        self.progress = progress or (lambda event, value: None)
        index_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(index_dir / STORE_FILE)
        has_documents = self.store.db.execute("SELECT 1 FROM documents LIMIT 1").fetchone() is not None
        self._bm25_rebuild = bm25.outdated(index_dir / TANTIVY_DIR, self.store.meta(bm25.META_KEY), has_documents)
        if self._bm25_rebuild:  # the store holds every passage: BM25 is rebuilt from it in this run (`_relayout`)
            shutil.rmtree(index_dir / TANTIVY_DIR, ignore_errors=True)
        self.writer = bm25.Writer(bm25.open_index(index_dir / TANTIVY_DIR, create=True),
                                  (search or SearchConfig()).writer_heap_mb)
        self.summary = IngestSummary(index=str(index_dir))
        self.skipped: list[IngestIssue] = []
        self._group: list[int] = []
        self._group_passages = 0
        self._pool: ThreadPoolExecutor | None = None
        self.notes: list[str] = []  # what this run did besides indexing (a migration, orphans removed)

    def run(self, paths: list[Path]) -> IngestSummary:
        """Index `paths`. A Ctrl-C stops the work where it is (what was committed stays, the rest is rolled back)
        and is reported as `interrupted`, also when it comes during the final commit or the cleanup."""
        start = time.monotonic()
        with catch_interrupts() as ctrl_c:
            try:
                with ctrl_c.stoppable():
                    self._index(paths)
            except KeyboardInterrupt:
                self._drain()
                self.store.rollback()
            finally:  # not stoppable: a Ctrl-C from here on is only remembered
                checkpoint("index-cleanup")
                if self._pool is not None:
                    self._pool.shutdown(wait=True)
                self.writer.close()
                self.summary.documents_total, self.summary.passages_total = self.store.counts()
                self._write_report()
                self.store.close()
        self.summary.interrupted = ctrl_c.received
        self.summary.seconds = round(time.monotonic() - start, 3)
        return self.summary

    def _drain(self) -> None:
        """Wait for the helper thread's inserts: a rollback must never run under one (not interruptible: the
        one KeyboardInterrupt of this run has been raised)."""
        if self._pool is not None:
            self._pool.submit(lambda: None).result()

    def _index(self, paths: list[Path]) -> None:
        self.notes += self.store.migrate()
        self._relayout()
        self._recover()
        self.store.begin()
        walks = plan(self.store, paths, self.config)
        self.store.commit()
        folders = [r for r in self.store.sources() if os.path.isdir(r)]
        manifest = self.store.documents()
        files: list[tuple[FileCandidate, DocRow[int] | None]] = []
        gone: list[int] = []
        for w in walks:
            todo = diff(w.paths, w.config, manifest, skip=self.dir, roots=folders)
            self.skipped += todo.skipped
            gone += [row.doc for row in todo.gone if row.doc not in gone]
            files += todo.files
        self.progress("total", len(files))
        for c, row in files:
            self._one(c, row, gone)
        self._commit_group()
        checkpoint("index-removing")
        self._remove(gone)
        regroup(self.store)  # duplicate groups of the documents now indexed (scent.ingest.duplicates)

    def _one(self, c: FileCandidate, row: DocRow[int] | None, gone: list[int]) -> None:
        path = display_path(c.relpath)
        if unchanged(row, c) and not getattr(self.config, "rehash", False):
            self.summary.unchanged += 1
            self.progress("file", 0)
            return
        try:
            sha = file_sha256(c.abspath)
            if row and same_content(row, sha):
                self.store.touch(row.doc, c.mtime_ns)
                self.summary.unchanged += 1
                self.progress("file", 0)
                return
            loaded = read_document(c.abspath, path, self.config, c.root)
            accepted = self._store_document(c, path, sha, loaded)
        except (OSError, LoadError) as e:
            reason, detail = (e.reason, e.detail) if isinstance(e, LoadError) else ("unreadable", e.strerror or str(e))
            self.skipped.append(IngestIssue(path=self.store.shown(c.root, path), status="skipped", reason=reason,
                                            detail=detail))
            if row:  # a file that became unreadable must not leave stale passages behind
                gone.append(row.doc)
            self.progress("file", 0)
            return
        if row:
            self.summary.updated += 1
            self.summary.passages_removed += row.n_passages
        else:
            self.summary.added += 1
        self.summary.passages_added += accepted
        self._group_passages += accepted
        self.progress("file", accepted)
        if self._group_passages >= self.config.commit_every_passages:
            self._commit_group()

    def _store_document(self, c: FileCandidate, path: str, sha: str, loaded: LoadedDocument) -> int:
        """Write one document's passages to the store (one transaction) and queue them for BM25; returns how
        many were accepted (ids already indexed from another document are reported and left out)."""
        self.store.begin()
        doc = self.store.upsert_document(c.root, path, loaded.kind, loaded.title, sha, c.size, c.mtime_ns,
                                         [], loaded.text)
        self.writer.delete(doc)
        accepted = 0
        try:
            if loaded.kind != "jsonl":  # one batch: inserted here, no thread
                for batch in loaded.batches:
                    accepted += self._index_batch(doc, batch, self.store.insert_passages(doc, batch),
                                                  loaded.warnings)
            else:
                accepted = self._pipelined(doc, loaded)
            if accepted == 0 and loaded.kind == "jsonl":
                raise LoadError("no-records", f"no valid record ({len(loaded.warnings)} bad lines)")
        except (OSError, LoadError):
            self._abandon(doc)
            raise
        self.store.finish_document(doc, loaded.warnings)
        self.store.commit()
        self._group.append(doc)
        checkpoint("index-document-stored")
        return accepted

    def _pipelined(self, doc: int, loaded: LoadedDocument) -> int:
        """A corpus file's batches: the store inserts batch k in a thread (sqlite releases the GIL) while this
        thread parses batch k+1 and feeds batch k-1 to BM25. The thread is started once, outside any document's
        transaction (a Ctrl-C while a thread starts left the executor unaware of it, so nothing waited for it)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1)
            self._drain()
        accepted = 0
        pending: tuple[Future[list[Passage]], list[Passage]] | None = None
        for batch in _then_none(loaded.batches):
            ready = pending
            pending = (self._pool.submit(self.store.insert_passages, doc, batch), batch) if batch else None
            if ready is not None:
                accepted += self._index_batch(doc, ready[1], ready[0].result(), loaded.warnings)
        return accepted

    def _index_batch(self, doc: int, batch: list[Passage], duplicates: list[Passage],
                     warnings: list[dict[str, object]]) -> int:
        if duplicates:
            warnings += [{"reason": "duplicate-id", "detail": f"id {p.id!r} is already indexed from another "
                          "document"} for p in duplicates]
            dropped = {p.id for p in duplicates}
            batch = [p for p in batch if p.id not in dropped]
        self.writer.add(doc, batch)
        return len(batch)

    def _abandon(self, doc: int) -> None:
        """A document failed half-way: undo its store transaction and its uncommitted BM25 operations (which
        drops the group's too), then re-queue the group's documents from the store."""
        self._drain()
        self.store.rollback()
        self.writer.rollback()
        for other in self._group:
            self.writer.delete(other)
            self.writer.add(other, self.store.doc_passages(other))

    def _commit_group(self) -> None:
        if self._group:
            self.writer.commit()
            self.store.mark(self._group, "indexed")
            self._group, self._group_passages = [], 0
            checkpoint("index-committed")

    def remove(self, docs: list[int]) -> None:
        """Remove documents outside a run (`scent forget`)."""
        self._remove(docs)
        regroup(self.store)

    def close(self) -> None:
        self.writer.close()
        self.store.close()

    def _remove(self, docs: list[int]) -> None:
        if not docs:
            return
        counts = dict(self.store.db.execute(
            f"SELECT doc, n_passages FROM documents WHERE doc IN ({','.join('?' * len(docs))})", docs).fetchall())
        self.store.mark(docs, "deleting")
        for doc in docs:
            self.writer.delete(doc)
        self.writer.commit()
        self.store.begin()
        self.store.delete_documents(docs)
        self.store.commit()
        self.summary.removed += len(docs)
        self.summary.passages_removed += sum(counts.values())

    def _relayout(self) -> None:
        """Bring BM25 to this layout (`bm25.FORMAT`): every indexed document goes `pending`, so `_recover` adds its
        passages from the store to the new (empty) BM25 index — a run killed half-way is finished by the next, as
        any replay — and HTML pages are read again (API signatures became headings). Said once, in `notes`."""
        if not self._bm25_rebuild:
            if self.store.meta(bm25.META_KEY) != bm25.FORMAT:
                self.store.set_meta(bm25.META_KEY, bm25.FORMAT)  # a new index
            return
        self.store.begin()
        self.store.db.execute("UPDATE documents SET state = 'pending' WHERE state = 'indexed'")
        html = self.store.db.execute("UPDATE documents SET size = -1, sha256 = '' WHERE kind = 'html'").rowcount
        self.store.set_meta(bm25.META_KEY, bm25.FORMAT)
        self.store.commit()
        self.notes.append(f"BM25 index rebuilt from the passage store in layout {bm25.FORMAT} (a second field for "
                          f"each passage's heading); {html} HTML page(s) read again (API signatures are headings)")

    def _recover(self) -> None:
        """Replay documents a killed run left `pending` or `deleting` into BM25; remove passages whose document
        row is missing (from BM25 too), reported in `notes`."""
        pending, deleting = self.store.docs_in_state("pending"), self.store.docs_in_state("deleting")
        orphans = self.store.orphans()
        if not pending and not deleting and not orphans:
            return
        for doc in pending + deleting + orphans:
            self.writer.delete(doc)
        for doc in pending:
            self.writer.add(doc, self.store.doc_passages(doc))
        self.writer.commit()
        self.store.begin()
        self.store.mark(pending, "indexed")
        self.store.delete_documents(deleting)
        dropped = self.store.drop_orphans(orphans)
        self.store.commit()
        if dropped:
            self.notes.append(f"removed {dropped} passage(s) with no document row, left by an interrupted run")

    def _write_report(self) -> None:
        """`ingest-report.jsonl`: files skipped by this run, then every indexed document read only in part."""
        partial = []
        for (root, path), row in sorted(self.store.documents().items()):
            for w in row.warnings:
                partial.append(IngestIssue(path=self.store.shown(root, path), status="partial", reason=str(w["reason"]),
                                           detail=str(w.get("detail", "")), line=w.get("line")))
        self.summary.skipped = len(self.skipped)
        notes = [IngestIssue(path=str(self.dir), status="partial", reason="index-repaired", detail=note)
                 for note in self.notes]
        self.summary.partial = len({i.path for i in partial})
        tmp = self.dir / (REPORT_FILE + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            for issue in [*notes, *self.skipped, *partial]:
                f.write(issue.model_dump_json(exclude_none=True) + "\n")
        os.replace(tmp, self.dir / REPORT_FILE)


def build(index_dir: Path, paths: list[Path], config: IngestConfig | None = None,
          search: SearchConfig | None = None, progress: Progress | None = None) -> IngestSummary:
    """Index `paths` into `index_dir` (created if needed); only new or changed files are read. Raises
    IndexBusyError when another process is writing to the index."""
    with writer_lock(index_dir):
        return Builder(index_dir, config, search, progress).run(paths)

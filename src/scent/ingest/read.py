"""Reading one file into passages: a document is loaded (by format), chunked and given stable passage ids; a
JSONL corpus file is streamed in batches, one bad line costing only that line."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from scent.config import IngestConfig
from scent.ingest.chunk import chunk
from scent.ingest.corpus import BadLine, Record, read_corpus
from scent.ingest.extracted import LoadError
from scent.ingest.loaders import load
from scent.ingest.walk import extension
from scent.types import Passage


def passage_id(path: str, text: str, occurrence: int, root: str = "") -> str:
    """Content hash of a passage within its document (root, path): stable across runs; the same paragraph twice
    in a file, or in two files, gets two ids."""
    key = f"{root}\x00{path}\x00{occurrence}\x00{text}" if root else f"{path}\x00{occurrence}\x00{text}"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@dataclass
class LoadedDocument:
    """A document ready to index: its passages come in batches (a corpus file is streamed, not held in memory);
    `warnings` may grow while the batches are read."""

    kind: str
    title: str
    text: str | None
    batches: Iterator[list[Passage]]
    warnings: list[dict[str, object]] = field(default_factory=list)


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def read_document(abspath: str, path: str, config: IngestConfig, root: str = "") -> LoadedDocument:
    """Load and chunk one file; raises LoadError (or OSError) when it cannot be read at all. Whatever else goes
    wrong inside a loader or the chunker on a hostile file is a LoadError too: one bad file never stops a run."""
    if path.lower().endswith(".jsonl"):
        document = LoadedDocument("jsonl", Path(path).stem, None, iter(()))
        document.batches = _guarded(_corpus_batches(abspath, path, document.warnings, config))
        return document
    max_bytes = int(config.max_file_mb * 1024 * 1024)
    with open(abspath, "rb") as f:
        data = f.read(max_bytes + 1)  # the file may have grown since it was walked
    if len(data) > max_bytes:
        raise LoadError("too-large", f"over the limit of {config.max_file_mb:g} MB (--max-file-mb)")
    try:
        extracted = load(data, path, max_bytes, ocr=getattr(config, "ocr", True))
        if _SURROGATE.search(extracted.text) or _SURROGATE.search(extracted.title):  # e.g. a PDF's broken ToUnicode
            extracted.text = _SURROGATE.sub("\ufffd", extracted.text)  # one code point each: offsets hold
            extracted.title = _SURROGATE.sub("\ufffd", extracted.title)
            extracted.warnings.append(("invalid-unicode", "lone UTF-16 surrogates replaced with U+FFFD"))
        spans = chunk(extracted, config.chunk)
    except LoadError:
        raise
    except Exception as e:
        raise LoadError("loader-error", f"{type(e).__name__}: {e}"[:500], unexpected=True) from e
    passages: list[Passage] = []
    occurrences: dict[str, int] = {}
    for seq, span in enumerate(spans):
        text = extracted.text[span.start : span.end]
        n = occurrences[text] = occurrences.get(text, -1) + 1
        passages.append(Passage(id=passage_id(path, text, n, root), path=path, title=extracted.title,
                                headings=list(span.headings), page=span.page, start=span.start, end=span.end,
                                seq=seq, text=text))
    warnings: list[dict[str, object]] = [{"reason": r, "detail": d} for r, d in extracted.warnings]
    if cut := sum(span.cut for span in spans):
        warnings.append({"reason": "long-run-split", "detail": f"{cut} passage(s) cut mid-word at "
                         f"{config.chunk.max_chars} characters: text with no whitespace to split at"})
    return LoadedDocument(extension(path).lstrip(".") or "txt", extracted.title, extracted.text, iter([passages]),
                          warnings)


def _guarded(batches: Iterator[list[Passage]]) -> Iterator[list[Passage]]:
    """A corpus file's batches, with any unexpected error while reading them as a LoadError for that file."""
    try:
        yield from batches
    except (LoadError, OSError):
        raise
    except Exception as e:
        raise LoadError("loader-error", f"{type(e).__name__}: {e}"[:500], unexpected=True) from e


def bounded_lines(f: BinaryIO, max_bytes: int, warnings: list[dict[str, object]]) -> Iterator[bytes]:
    """The lines of a file, each held in memory only up to `max_bytes`: a longer line is skipped (its rest read
    in pieces and dropped), reported as `line-too-long` and yielded as an empty line, so numbering is kept."""
    number = 0
    while line := f.readline(max_bytes + 1):
        number += 1
        if len(line) <= max_bytes or line.endswith(b"\n"):  # the newline does not count against the limit
            yield line
            continue
        size = len(line)
        while not line.endswith(b"\n"):
            line = f.readline(1 << 20)
            if not line:
                break
            size += len(line)
        warnings.append({"reason": "line-too-long", "detail": f"{size} bytes > limit of {max_bytes // 1024} KB "
                         "(max_line_kb)", "line": number})
        yield b""


# JSON may spell lone UTF-16 surrogates (`"\ud800"`); Python decodes them, SQLite cannot store them (a
# UnicodeEncodeError that stopped the whole run, found by the fuzz tests)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _records(lines: Iterator[bytes]) -> Iterator[Record | BadLine]:
    """`read_corpus`, one line at a time, so that what its parser raises on one line (json's RecursionError on
    `[[[[…`, found by the fuzz tests) costs that line, not the rest of the corpus file."""
    for number, line in enumerate(lines, start=1):
        try:
            items = list(read_corpus([line]))
        except RecursionError:
            items = [BadLine(1, "invalid-json", "nested too deeply")]
        except ValueError as e:
            items = [BadLine(1, "invalid-record", f"{type(e).__name__}: {e}"[:300])]
        yield from (replace(item, line=number) for item in items)


def _corpus_batches(abspath: str, path: str, warnings: list[dict[str, object]], config: IngestConfig,
                    batch_size: int = 10_000) -> Iterator[list[Passage]]:
    seen: set[str] = set()
    batch: list[Passage] = []
    limit = config.max_record_chars
    with open(abspath, "rb") as f:
        for item in _records(bounded_lines(f, config.max_line_kb * 1024, warnings)):
            if isinstance(item, BadLine):
                warnings.append({"reason": item.reason, "detail": item.detail, "line": item.line})
                continue
            if _SURROGATE.search(item.id + item.title + item.text):
                warnings.append({"reason": "invalid-unicode", "detail": "lone UTF-16 surrogate escapes (such as "
                                 "\\ud800) replaced with U+FFFD", "line": item.line})
                fix = _SURROGATE.sub
                item = Record(fix("\ufffd", item.id), fix("\ufffd", item.title), fix("\ufffd", item.text), item.line)
            if item.id in seen:
                warnings.append({"reason": "duplicate-id", "detail": f"id {item.id!r} appears earlier",
                                 "line": item.line})
                continue
            seen.add(item.id)
            text = item.text
            if len(text) > limit:
                warnings.append({"reason": "record-cut", "detail": f"text of {len(text)} characters cut at "
                                 f"{limit} (max_record_chars)", "line": item.line})
                text = text[:limit]
            batch.append(Passage(id=item.id, path=path, source_id=item.id, title=item.title, start=0,
                                 end=len(text), seq=len(seen) - 1, text=text))
            if len(batch) >= batch_size:
                yield batch
                batch = []
    if batch:
        yield batch

"""Corpus JSONL files: one passage per line, ids kept as given.

Accepted line formats (detected per line):
- scent:             {"id", "title", "text"}
- BEIR:              {"_id", "title", "text"}
- FlashRAG/Search-R1 {"id", "contents"}  (title = first line of contents, optionally in double quotes)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Record:
    id: str
    title: str
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class BadLine:
    line: int
    reason: str
    detail: str


def parse_record(obj: object) -> tuple[str, str, str]:
    """(id, title, text) of one decoded line; ValueError says what is wrong with it."""
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    raw_id = obj.get("_id", obj.get("id"))
    if raw_id is None or isinstance(raw_id, (dict, list, bool)) or str(raw_id).strip() == "":
        raise ValueError("missing 'id' (or BEIR '_id')")
    if isinstance(obj.get("text"), str):
        title = obj.get("title") or ""
        if not isinstance(title, str):
            raise ValueError("'title' is not a string")
        return str(raw_id), title.strip(), obj["text"]
    if isinstance(obj.get("contents"), str):
        first, _, rest = obj["contents"].partition("\n")
        title = first.strip()
        if len(title) >= 2 and title[0] == title[-1] == '"':
            title = title[1:-1]
        return str(raw_id), title, rest
    raise ValueError("no string 'text' or 'contents' field")


def read_corpus(lines: Iterable[bytes]) -> Iterator[Record | BadLine]:
    """Records of a JSONL corpus; a bad line is yielded as `BadLine` (with its 1-based number), never raised."""
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw.decode("utf-8"))  # decoding first skips json's own encoding sniffing
        except UnicodeDecodeError as e:
            yield BadLine(number, "invalid-utf8", str(e))
            continue
        except json.JSONDecodeError as e:
            yield BadLine(number, "invalid-json", e.msg + f" at column {e.colno}")
            continue
        try:
            pid, title, text = parse_record(obj)
        except ValueError as e:
            yield BadLine(number, "invalid-record", str(e))
            continue
        if not text.strip() and not title:
            yield BadLine(number, "empty-record", f"record {pid!r} has no text")
            continue
        yield Record(pid, title, text, number)

"""Question sets in FlashRAG JSONL and retrieval sets in BEIR layout."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from scent.eval.metrics import is_unanswerable


class DatasetError(ValueError):
    """A dataset file that cannot be used; the message names the file and line."""


class Question(BaseModel):
    """One FlashRAG question: `{"id", "question", "golden_answers", "metadata"}`."""

    id: str
    question: str
    golden_answers: list[str] = Field(min_length=1)
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def supporting_ids(self) -> list[str]:
        """Gold passage ids (`metadata.supporting_ids`); empty when the dataset does not name them."""
        return [str(i) for i in self.metadata.get("supporting_ids") or []]

    @property
    def subset(self) -> str:
        """The data subset (`metadata.type`, e.g. bridge | comparison); "all" when there is none."""
        return str(self.metadata.get("type") or "all")

    @property
    def unanswerable(self) -> bool:
        return is_unanswerable(self.golden_answers)


def load_questions(path: str | Path, limit: int | None = None) -> list[Question]:
    """The questions of a FlashRAG JSONL file, in file order (the first `limit` when given)."""
    questions: list[Question] = []
    seen: set[str] = set()
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise DatasetError(f"cannot read {path}: {e.strerror}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            q = Question.model_validate_json(line)
        except ValidationError as e:
            raise DatasetError(f"{path}:{number}: not a FlashRAG question: {e.errors()[0]['msg']}") from None
        if q.id in seen:
            raise DatasetError(f"{path}:{number}: duplicate question id {q.id!r}")
        seen.add(q.id)
        questions.append(q)
        if limit is not None and len(questions) >= limit:
            break
    return questions


@dataclass(frozen=True)
class BeirSet:
    """A BEIR retrieval set: `corpus.jsonl`, `queries.jsonl` and graded judgements `qrels/<split>.tsv`."""

    corpus: Path
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def load_beir(folder: str | Path, split: str = "test") -> BeirSet:
    """Load a BEIR folder; only queries that have judgements are kept (as BEIR does)."""
    folder = Path(folder)
    corpus, queries_file, qrels_file = folder / "corpus.jsonl", folder / "queries.jsonl", folder / "qrels" / \
        f"{split}.tsv"
    for required in (corpus, queries_file, qrels_file):
        if not required.is_file():
            raise DatasetError(f"not a BEIR folder: {required} is missing")
    qrels: dict[str, dict[str, int]] = {}
    with qrels_file.open(encoding="utf-8", newline="") as f:
        for number, row in enumerate(csv.reader(f, delimiter="\t"), 1):
            if number == 1 and row[:1] == ["query-id"]:
                continue
            if len(row) < 3:
                raise DatasetError(f"{qrels_file}:{number}: expected query-id, corpus-id, score")
            try:
                qrels.setdefault(row[0], {})[row[1]] = int(row[2])
            except ValueError:
                raise DatasetError(f"{qrels_file}:{number}: score {row[2]!r} is not an integer") from None
    queries: dict[str, str] = {}
    for number, line in enumerate(queries_file.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                obj = json.loads(line)
                if obj["_id"] in qrels:
                    queries[str(obj["_id"])] = str(obj["text"])
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                raise DatasetError(f"{queries_file}:{number}: not a BEIR query ({e})") from None
    return BeirSet(corpus, queries, {q: rels for q, rels in qrels.items() if q in queries})

"""The driver of `scent synth`: extract facts, build candidates per kind, verify them in a stratified order until
each kind has its share of `n`, and write the tasks and the report.

Kill-safe: every decision (accepted task or rejection reason) is appended to `OUT.progress.jsonl` as it is made;
a re-run with the same index, kinds, seed and models replays those decisions instead of verifying again, so a
killed run resumes where it stopped. The tasks file and the report are written to temporary files and renamed
into place, so a reader never sees half of either; the progress file is removed once they are.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scent.synth.candidates import KINDS, TaskCandidate, build
from scent.synth.corpus import documents, extract
from scent.synth.dedup import Deduper
from scent.synth.verify import Checker, Verdict

if TYPE_CHECKING:
    from scent.protocols import OpenIndex

VerifyMany = Callable[[list[TaskCandidate]], list[Verdict]]  # verdicts of candidates, in order (e.g. on Ray workers)
LOOKAHEAD = 16  # candidates verified together when verification fans out

class SynthError(ValueError):
    """Input `scent synth` cannot use; the message says what to fix."""


def parse_kinds(text: str) -> list[str]:
    kinds = [k.strip() for k in text.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        problem = f"unknown kind {unknown[0]!r}" if unknown else "no kind given"
        raise SynthError(f"{problem}; expected a comma-separated subset of {','.join(KINDS)}")
    return list(dict.fromkeys(kinds))


def split_quota(n: int, kinds: list[str]) -> dict[str, int]:
    """`n` shared as evenly as possible, the first kinds taking the remainder."""
    base, extra = divmod(n, len(kinds))
    return {kind: base + (i < extra) for i, kind in enumerate(kinds)}


def progress_path(out: Path) -> Path:
    return out.with_name(out.name + ".progress.jsonl")


def report_paths(out: Path) -> tuple[Path, Path]:
    stem = out.name[:-len(".jsonl")] if out.name.endswith(".jsonl") else out.name
    return out.with_name(stem + ".report.json"), out.with_name(stem + ".report.md")


class Progress:
    """The append-only record of decisions; its first line holds the settings it belongs to."""

    def __init__(self, path: Path, settings: dict[str, Any]) -> None:
        self.path = path
        self.decided: dict[str, dict[str, Any]] = {}
        if path.exists():
            lines = path.read_text(encoding="utf-8").splitlines()
            header = _json(lines[0]) if lines else None
            if header is None or header.get("settings") != settings:
                raise SynthError(f"{path} holds the progress of a run with other settings (index, kinds, seed, "
                                 f"hop k or models): run the same command again, or delete it to start over")
            for line in lines[1:]:
                record = _json(line)  # a line cut by a kill is not a decision
                if record is not None and "id" in record:
                    self.decided[record["id"]] = record
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"settings": settings}) + "\n", encoding="utf-8")
        self.file = path.open("a", encoding="utf-8")

    def record(self, c: TaskCandidate, verdict: Verdict) -> dict[str, Any]:
        record: dict[str, Any] = {"id": c.id, "kind": c.kind, "reason": verdict.reason, "details": verdict.details}
        if verdict.reason is None:
            record["candidate"] = c.to_dict()
        self.file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.file.flush()
        self.decided[c.id] = record
        return record

    def close(self) -> None:
        self.file.close()


def _json(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def synthesize(index: OpenIndex, checker: Checker, n: int, kinds: list[str], out: Path, settings: dict[str, Any],
               seed: int = 0, sample: int = 10,
               on_decision: Callable[[dict[str, Any], int], None] | None = None,
               verify_many: VerifyMany | None = None) -> dict[str, Any]:
    """Make up to `n` verified tasks into `out` (FlashRAG JSONL) and the report next to it; returns the report.

    With `verify_many` (`scent synth --ray`), a candidate still to verify is verified together with the next
    candidates of every kind (`LOOKAHEAD` in all) and the verdicts are kept; the loop itself, and so every
    decision, is the sequential one — verification is a pure function of a candidate — at the cost of verifying
    a few candidates the loop may never reach."""
    from scent.synth.report import build_report, write_report

    if n <= 0:
        raise SynthError(f"--n must be at least 1 (got {n})")
    started = time.monotonic()
    found = extract(documents(index))
    pools = build(found, kinds, seed)
    progress = Progress(progress_path(out), settings)
    resumed = len(progress.decided)
    target = split_quota(n, kinds)
    accepted: dict[str, list[TaskCandidate]] = {kind: [] for kind in kinds}
    rejected: dict[str, dict[str, int]] = {kind: {} for kind in kinds}
    examined = {kind: 0 for kind in kinds}
    cursor = {kind: 0 for kind in kinds}
    dedup = Deduper()
    verdicts: dict[str, Verdict] = {}
    rephrasing: dict[str, int] = {}  # --rephrase: accepted tasks by what became of the writer's rephrasing

    def verify(c: TaskCandidate) -> Verdict:
        if verify_many is None:
            return checker.verify(c)
        if c.id not in verdicts:
            nexts = (pools.by_kind[k][cursor[k] + i] for i in range(LOOKAHEAD) for k in kinds
                     if cursor[k] + i < len(pools.by_kind[k]))  # the kinds in turn
            ahead = [c, *(p for p in nexts if p.id not in progress.decided and p.id not in verdicts and p.id != c.id)]
            ahead = list({p.id: p for p in ahead}.values())[:LOOKAHEAD]
            verdicts.update(zip((p.id for p in ahead), verify_many(ahead), strict=True))
        return verdicts.pop(c.id)

    try:
        while sum(map(len, accepted.values())) < n:
            open_kinds = [k for k in kinds if cursor[k] < len(pools.by_kind[k])]
            if not open_kinds:
                break
            short = [k for k in open_kinds if len(accepted[k]) < target[k]] or open_kinds
            kind = min(short, key=lambda k: (len(accepted[k]) / max(target[k], 1), kinds.index(k)))
            c = pools.by_kind[kind][cursor[kind]]
            cursor[kind] += 1
            record = progress.decided.get(c.id)
            if record is None:
                reason = dedup.check(c)
                verdict = Verdict(reason) if reason else verify(c)
                record = progress.record(c, verdict)
            examined[kind] += 1
            if record["reason"] is None:
                details = record.get("details") or {}
                if "rephrase" in details:
                    rephrasing[details["rephrase"]] = rephrasing.get(details["rephrase"], 0) + 1
                if details.get("rephrased"):
                    c = replace(c, question=details["rephrased"], rule_question=c.question)
                accepted[kind].append(c)
                dedup.add(c)
            else:
                rejected[kind][record["reason"]] = rejected[kind].get(record["reason"], 0) + 1
            if on_decision is not None:
                on_decision(record, sum(map(len, accepted.values())))
    finally:
        progress.close()
    tasks = _interleave(accepted, kinds)
    report = build_report(index, found, pools, tasks, accepted, rejected, examined, settings, n,
                          time.monotonic() - started, resumed, random.Random(seed).sample(tasks, min(sample,
                                                                                                   len(tasks))),
                          rephrasing)
    _write_atomic(out, "".join(json.dumps(task_record(c), ensure_ascii=False) + "\n" for c in tasks))
    json_path, md_path = report_paths(out)
    write_report(report, json_path, md_path, _write_atomic)
    progress_path(out).unlink(missing_ok=True)
    return report


def _interleave(accepted: dict[str, list[TaskCandidate]], kinds: list[str]) -> list[TaskCandidate]:
    """Kinds in turn, so that the file's first N tasks (`scent eval --limit N`) are stratified too."""
    out: list[TaskCandidate] = []
    for i in range(max((len(v) for v in accepted.values()), default=0)):
        out.extend(accepted[k][i] for k in kinds if i < len(accepted[k]))
    return out


def task_record(c: TaskCandidate) -> dict[str, Any]:
    """One task as `scent eval --dataset` reads it (FlashRAG: id, question, golden_answers, metadata)."""
    metadata: dict[str, Any] = {"supporting_ids": list(c.gold_ids), "type": c.kind,
                                "answerable": c.kind != "unanswerable", "template": c.template,
                                "subjects": list(c.subjects), "source": "scent synth",
                                "extractor": c.extractor}
    if c.answer_passage:
        metadata["answer_passage"] = c.answer_passage
    if c.perturbed:
        metadata["perturbed_from"] = c.source_id
    if c.rule_question:
        metadata["rule_question"] = c.rule_question
    return {"id": f"synth-{c.kind}-{c.id}", "question": c.question, "golden_answers": [c.answer, *c.also],
            "metadata": metadata}


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)

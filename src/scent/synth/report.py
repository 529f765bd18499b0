"""The report of one `scent synth` run: counts per kind, rejections by reason, the templates the tasks came
from, and a random sample with its gold passages for a human to read (JSON and markdown)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scent.synth.candidates import Pools, TaskCandidate
from scent.synth.facts import Facts
from scent.synth.verify import RULES

if TYPE_CHECKING:
    from scent.protocols import OpenIndex

EXCERPT = 160


def build_report(index: OpenIndex, found: Facts, pools: Pools, tasks: list[TaskCandidate],
                 accepted: dict[str, list[TaskCandidate]], rejected: dict[str, dict[str, int]],
                 examined: dict[str, int], settings: dict[str, Any], n: int, seconds: float, resumed: int,
                 sample: list[TaskCandidate], rephrasing: dict[str, int] | None = None) -> dict[str, Any]:
    reasons: Counter[str] = Counter()
    for counts in rejected.values():
        reasons.update(counts)
    return {
        "index": settings.get("index"), "requested": n, "tasks": len(tasks), "seconds": round(seconds, 1),
        "resumed_decisions": resumed, "settings": settings,
        "facts": dict(Counter(f"{f.family}:{f.attribute.split(':')[0]}" for f in found.facts).most_common()),
        "kinds": {kind: {"candidates": len(pools.by_kind[kind]), "examined": examined[kind],
                         "accepted": len(accepted[kind]), "rejected": dict(sorted(rejected[kind].items()))}
                  for kind in accepted},
        "rejections": {reason: reasons[reason] for reason in (*RULES, "duplicate", "near_duplicate")
                       if reasons[reason]},
        "templates": dict(Counter(f"{c.kind} · {c.template}" for c in tasks).most_common()),
        "extractors": dict(Counter(f"{c.kind} · {c.extractor}" for c in tasks).most_common()),
        "sample": [_sample(index, c) for c in sample],
        **({"rephrasing": dict(sorted(rephrasing.items(), key=lambda kv: (kv[0] != "kept", kv[0])))}
           if rephrasing else {}),
    }


def _sample(index: OpenIndex, c: TaskCandidate) -> dict[str, Any]:
    gold = []
    for pid in c.gold_ids or ((c.source_id,) if c.source_id else ()):
        passage = index.get(pid)
        if passage is None:
            continue
        text = passage.text
        at = text.find(c.answer) if c.answer_passage == pid else -1
        start = max(0, at - EXCERPT // 2) if at >= 0 else 0
        gold.append({"id": pid, "title": passage.title, "excerpt": " ".join(text[start:start + EXCERPT].split())})
    return {"id": c.id, "kind": c.kind, "extractor": c.extractor, "question": c.question, "answer": c.answer,
            "gold": gold, **({"rule_question": c.rule_question} if c.rule_question else {})}


def to_markdown(report: dict[str, Any]) -> str:
    lines = [f"# scent synth: {report['tasks']} tasks of {report['requested']} requested", "",
             f"Index `{report['index']}`, {report['seconds']} s"
             + (f", {report['resumed_decisions']} decisions resumed" if report["resumed_decisions"] else "")
             + f"; model checks: {_models(report['settings'])}.", "",
             "| kind | candidates | examined | accepted | rejected (by reason) |", "|---|---:|---:|---:|---|"]
    for kind, row in report["kinds"].items():
        reasons = ", ".join(f"{r} {n}" for r, n in row["rejected"].items()) or "—"
        lines.append(f"| {kind} | {row['candidates']} | {row['examined']} | {row['accepted']} | {reasons} |")
    lines += ["", "Rejections by rule: " + (", ".join(f"{r} {n}" for r, n in report["rejections"].items()) or "none"),
              "", "Tasks by template: " + ", ".join(f"{t} {n}" for t, n in report["templates"].items()), "",
              "Tasks by extractor: " + ", ".join(f"{t} {n}" for t, n in report.get("extractors", {}).items()), ""]
    if report.get("rephrasing"):
        lines += ["Writer's rephrasings of the tasks' questions (--rephrase): "
                  + ", ".join(f"{r} {n}" for r, n in report["rephrasing"].items()), ""]
    lines += ["## Sample", ""]
    for s in report["sample"]:
        lines.append(f"- **{s['kind']}** ({s.get('extractor') or 'template'}) {s['question']} → **{s['answer']}**")
        if s.get("rule_question"):
            lines.append(f"  - (the rule's question: {s['rule_question']})")
        for g in s["gold"]:
            lines.append(f"  - `{g['id']}` {g['title']}: “{g['excerpt']}”")
    return "\n".join(lines) + "\n"


def _models(settings: dict[str, Any]) -> str:
    models = settings.get("models") or {}
    return ", ".join(f"{role} {spec}" for role, spec in models.items()) or "off (--no-model)"


def write_report(report: dict[str, Any], json_path: Path, md_path: Path, write: Callable[[Path, str], None]) -> None:
    import json

    write(json_path, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    write(md_path, to_markdown(report))

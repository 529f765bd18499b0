"""The summary of a run, computed from results.jsonl alone (so it can always be recomputed and checked): per
system answer accuracy, support, citations, calibration, tool use per data subset and cost; as summary.json,
summary.md, PNG plots and BrowseComp-Plus exports of the agent's runs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scent.eval.metrics import (
    abstention_precision_recall,
    aurc,
    auroc,
    brier_score,
    expected_calibration_error,
    mean,
    selective_accuracy,
    sign_test,
)
from scent.eval.run import RESULTS_FILE, RUN_FILE, read_rows

SUMMARY_JSON, SUMMARY_MD = "summary.json", "summary.md"


def latest_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The last row of each (question, system) pair, in first-seen order (a retried pair keeps its newest row)."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        latest.pop((row["id"], row["system"]), None)
        latest[(row["id"], row["system"])] = row
    return list(latest.values())


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def tool_use(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    return {"n": n, "searches_per_question": _r(sum(r["usage"]["searches"] for r in rows) / n),
            "opens_per_question": _r(sum(r["usage"]["opens"] for r in rows) / n),
            "share_with_search": _r(sum(r["usage"]["searches"] >= 1 for r in rows) / n),
            "em": _r(mean(r["metrics"]["em"] for r in rows)), "f1": _r(mean(r["metrics"]["f1"] for r in rows))}


def system_summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Every metric of one system over its (non-error) rows."""
    ok = [r for r in rows if not r.get("error")]
    out: dict[str, Any] = {"n": len(ok), "errors": len(rows) - len(ok)}
    if not ok:
        return out
    n = len(ok)
    m = [r["metrics"] for r in ok]
    for key in ("em", "f1", "cover_em", "judge", "correct", "support_recall", "support_both",
                "support_recall_retrieved", "citation_precision", "citation_recall", "answer_in_evidence"):
        out["accuracy" if key == "correct" else key] = _r(mean(x.get(key) for x in m))
    readable = [x for x in m if x.get("answer_in_evidence") == 1.0]
    out["reading_efficiency"] = _r(mean(x["correct"] for x in readable)) if readable else None
    out["answered"] = _r(sum(not r["abstained"] for r in ok) / n)
    confidence = [float(r["confidence"]) for r in ok]
    draft_correct = [float(x["draft_correct"]) for x in m]
    out.update({"ece": _r(expected_calibration_error(confidence, draft_correct)),
                "brier": _r(brier_score(confidence, draft_correct)), "aurc": _r(aurc(confidence, draft_correct)),
                "auroc": _r(auroc([c for c, r in zip(confidence, ok, strict=True) if r.get("draft")],
                                  [d for d, r in zip(draft_correct, ok, strict=True) if r.get("draft")]))
                if any(r.get("draft") for r in ok) else None,
                "selective_accuracy@50": _r(selective_accuracy(confidence, draft_correct, 0.5)),
                "selective_accuracy@80": _r(selective_accuracy(confidence, draft_correct, 0.8))})
    precision, recall = abstention_precision_recall([r["abstained"] for r in ok], [r["unanswerable"] for r in ok])
    if any(r["unanswerable"] for r in ok):
        out["abstention_precision"], out["abstention_recall"] = _r(precision), _r(recall)
    out.update({k: v for k, v in tool_use(ok).items() if k not in ("n", "em", "f1")})
    u = [r["usage"] for r in ok]
    seconds, llm_seconds = sum(x["seconds"] for x in u), sum(x["llm_seconds"] for x in u)
    out.update({"llm_calls_per_question": _r(sum(x["llm_calls"] for x in u) / n, 2),
                "prompt_tokens_per_question": _r(sum(x["prompt_tokens"] for x in u) / n, 1),
                "completion_tokens_per_question": _r(sum(x["completion_tokens"] for x in u) / n, 1),
                "tokens_per_question": _r(sum(x["prompt_tokens"] + x["completion_tokens"] for x in u) / n, 1),
                "seconds_per_question": _r(seconds / n, 3), "llm_seconds_per_question": _r(llm_seconds / n, 3),
                "overhead_share": _r(1 - llm_seconds / seconds) if seconds > 0 else None})
    out["by_subset"] = {subset: tool_use([r for r in ok if r["subset"] == subset])
                        for subset in sorted({r["subset"] for r in ok})}
    return out


def summarize(rows: Sequence[dict[str, Any]], settings: dict[str, Any]) -> dict[str, Any]:
    rows = latest_rows(rows)
    names = [s for s in settings.get("systems", []) if any(r["system"] == s for r in rows)]
    names += sorted({r["system"] for r in rows} - set(names))
    ok = [r for r in rows if not r.get("error")]
    seconds, llm_seconds = sum(r["usage"]["seconds"] for r in ok), sum(r["usage"]["llm_seconds"] for r in ok)
    return {"dataset": settings.get("dataset"), "index": settings.get("index"), "retriever": settings.get("retriever"),
            "models": settings.get("models"),
            "calibration": settings.get("calibration"), "correct_metric": settings.get("config", {}).get(
                "correct_metric", "cover_em"), "questions": len({r["id"] for r in rows}),
            "excluded_for_calibration": settings.get("excluded_for_calibration", 0),
            "systems": {s: system_summary([r for r in rows if r["system"] == s]) for s in names},
            "head_to_head": [head_to_head(rows, a, b) for a in names for b in names
                             if a != b and b.startswith("rag") and not a.startswith("rag")],
            "framework_overhead_share": _r(1 - llm_seconds / seconds) if seconds > 0 else None}


def head_to_head(rows: Sequence[dict[str, Any]], system: str, baseline: str) -> dict[str, Any]:
    """Per-question wins and losses (accuracy) of `system` against `baseline` on the questions both answered
    without error, with the two-sided sign test."""
    def correct(name: str) -> dict[str, float]:
        return {r["id"]: r["metrics"]["correct"] for r in rows if r["system"] == name and not r.get("error")}

    a, b = correct(system), correct(baseline)
    both = a.keys() & b.keys()
    wins, losses = sum(a[q] > b[q] for q in both), sum(a[q] < b[q] for q in both)
    return {"system": system, "baseline": baseline, "n": len(both), "wins": wins, "losses": losses,
            "sign_test_p": _r(sign_test(wins, losses))}


TABLE = [  # (key, label, percent?)
    ("n", "questions", False), ("em", "EM", True), ("f1", "F1", True), ("cover_em", "cover-EM", True),
    ("judge", "LLM-judge accuracy", True), ("accuracy", "accuracy", True), ("answered", "answered", True),
    ("support_recall", "support recall (evidence)", True),
    ("support_both", "both gold passages in evidence", True),
    ("support_recall_retrieved", "support recall (retrieved)", True),
    ("citation_precision", "citation precision", True), ("citation_recall", "citation recall", True),
    ("answer_in_evidence", "a read passage holds the answer", True),
    ("reading_efficiency", "reading efficiency (correct when it does)", True),
    ("ece", "ECE (10 bins)", False), ("brier", "Brier", False), ("aurc", "AURC", False),
    ("selective_accuracy@50", "selective accuracy @50% coverage", True),
    ("selective_accuracy@80", "selective accuracy @80% coverage", True),
    ("abstention_precision", "abstention precision (unanswerable)", True),
    ("abstention_recall", "abstention recall (unanswerable)", True),
    ("searches_per_question", "searches / question", False), ("opens_per_question", "opens / question", False),
    ("share_with_search", "questions with ≥ 1 search", True),
    ("llm_calls_per_question", "LLM calls / question", False),
    ("prompt_tokens_per_question", "prompt tokens / question", False),
    ("completion_tokens_per_question", "completion tokens / question", False),
    ("seconds_per_question", "seconds / question", False),
    ("llm_seconds_per_question", "seconds in LLM calls / question", False),
    ("overhead_share", "framework overhead (time outside LLM calls)", True), ("errors", "errors", False),
]


def _cell(value: Any, percent: bool) -> str:
    if value is None:
        return "–"
    if percent:
        return f"{100 * value:.1f}"
    return f"{value:.3f}" if isinstance(value, float) and abs(value) < 10 else f"{value:g}"


def markdown(summary: dict[str, Any]) -> str:
    """Systems as columns, metrics as rows (percentages for shares and accuracies), then tool use per subset."""
    names = list(summary["systems"])
    s = summary["systems"]
    lines = [f"# Evaluation: {summary['dataset']}", "",
             f"{summary['questions']} questions · index `{summary['index']}` · retriever {summary['retriever']} · "
             f"accuracy = "
             f"{summary['correct_metric']} · calibration: {summary['calibration'] or 'default prior'}"
             + (f" ({summary['excluded_for_calibration']} questions it was fitted on excluded)"
                if summary["excluded_for_calibration"] else ""), "",
             "| metric | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for key, label, percent in TABLE:
        if any(s[name].get(key) is not None for name in names):
            lines.append(f"| {label}{' (%)' if percent else ''} | "
                         + " | ".join(_cell(s[name].get(key), percent) for name in names) + " |")
    overhead = summary["framework_overhead_share"]
    if summary.get("head_to_head"):
        lines += ["", "## Against each rag baseline (per question, accuracy)", "",
                  "| system | baseline | questions | wins | losses | sign test p |", "|---|---|---:|---:|---:|---:|"]
        lines += [f"| {h['system']} | {h['baseline']} | {h['n']} | {h['wins']} | {h['losses']} | "
                  f"{h['sign_test_p']:.3f} |" for h in summary["head_to_head"]]
    lines += ["", f"Framework overhead over the whole run: {_cell(overhead, True)}% of wall time outside LLM calls.",
              "", "## Tool use per subset", "",
              "| subset | system | questions | EM (%) | F1 (%) | searches / q | opens / q | ≥ 1 search (%) |",
              "|---|---|---:|---:|---:|---:|---:|---:|"]
    subsets = sorted({sub for name in names for sub in s[name].get("by_subset", {})})
    for sub in subsets:
        for name in names:
            t = s[name].get("by_subset", {}).get(sub)
            if t:
                lines.append(f"| {sub} | {name} | {t['n']} | {_cell(t['em'], True)} | {_cell(t['f1'], True)} | "
                             f"{_cell(t['searches_per_question'], False)} | {_cell(t['opens_per_question'], False)} "
                             f"| {_cell(t['share_with_search'], True)} |")
    models = summary.get("models") or {}
    lines += ["", "Models: " + ", ".join(f"{role}={spec}" for role, spec in models.items()), ""]
    return "\n".join(lines)


def recompute_summary(out: str | Path) -> tuple[dict[str, Any], str]:
    """(summary, markdown) from OUT/results.jsonl and OUT/run.json alone."""
    out = Path(out)
    settings = json.loads((out / RUN_FILE).read_text()) if (out / RUN_FILE).exists() else {}
    summary = summarize(read_rows(out / RESULTS_FILE), settings)
    return summary, markdown(summary)


def export_browsecomp(out: Path, rows: Sequence[dict[str, Any]]) -> int:
    """OUT/browsecomp/<query id>.json for each agent row, in the BrowseComp-Plus run format."""
    from scent.agent.export import browsecomp_run
    from scent.eval.run import trace_path
    from scent.trace import read_trace

    folder = out / "browsecomp"
    count = 0
    for row in latest_rows(rows):
        trace = out / row["trace"]
        if row["system"] != "agent" or not trace.exists():
            continue
        folder.mkdir(exist_ok=True)
        name = trace_path(Path(), "", row["id"]).name.removesuffix(".jsonl")
        (folder / f"{name}.json").write_text(json.dumps(browsecomp_run(read_trace(trace), row["id"]),
                                                        ensure_ascii=False, indent=2))
        count += 1
    return count


def write_reports(out: str | Path, plots: bool = True) -> dict[str, Any]:
    """summary.json, summary.md, the plots and the BrowseComp-Plus exports; returns the summary."""
    out = Path(out)
    summary, text = recompute_summary(out)
    (out / SUMMARY_JSON).write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    (out / SUMMARY_MD).write_text(text)
    rows = latest_rows(read_rows(out / RESULTS_FILE))
    export_browsecomp(out, rows)
    if plots:
        from scent.eval.plots import write_plots

        write_plots(out, summary, [r for r in rows if not r.get("error")])
    return summary

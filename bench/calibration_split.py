"""Confidence fitted on one half of the questions, reported on the other (issue 22: tune on one, report the other).

Every question of every `scent eval` run given is put in the *tune* or the *test* half by a hash of its id
(`scent.eval.calibration.in_fit_part`, share 0.5). A Platt calibrator is fitted on the tune half's grounded agent
answers (label: the draft answer is right; on an unanswerable question any answer is wrong) and every agent row
is rescored with it, so both halves are reported with the same calibrator — the tune half in-sample, the test
half held out. Per run and half: EM of the agent and of each rag baseline as run, AUROC and ECE of the confidence,
and what the threshold decides (share of answerable questions answered, share of given answers right,
unanswerable questions abstained on). A risk–coverage plot per run (share right vs share answered as the
threshold moves, test half) is written next to `--out`.

    python bench/calibration_split.py bench/out/22/pgx bench/out/22/py bench/out/22/pg bench/out/22/hp \
        --out bench/out/22/calibrator.json --threshold 0.5
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scent.agent.calibrate import SIGNALS, Calibrator, FittedCalibrator
from scent.eval.calibration import fit_platt, in_fit_part
from scent.eval.metrics import auroc, best_over_golds, expected_calibration_error
from scent.eval.report import latest_rows
from scent.eval.run import RESULTS_FILE, read_rows

TUNE_SHARE = 0.5


def half(question_id: str) -> str:
    return "tune" if in_fit_part(question_id, TUNE_SHARE) else "test"


def rows_of(folder: Path) -> list[dict[str, Any]]:
    return [r for r in latest_rows(read_rows(folder / RESULTS_FILE)) if not r.get("error")]


def label(row: dict[str, Any]) -> float:
    return 0.0 if row.get("unanswerable") else float(row["metrics"]["draft_correct"])


def grounded(row: dict[str, Any]) -> bool:
    """An answer the calibrator scores: the writer's or the program's grounded draft (not an `absent` stop)."""
    return bool(row.get("signals")) and row["signals"].get("grounded", 0.0) > 0 and bool(row.get("draft"))


STRENGTHS = (3.0, 1.0, 0.3, 0.1, 0.03)


def only(signals: dict[str, float], names: Sequence[str]) -> dict[str, float]:
    """The signals named (grounded always: the calibrator reads it to score at all)."""
    return {k: v for k, v in signals.items() if k in names or k == "grounded"}


def cv_confidences(rows: Sequence[dict[str, Any]], names: Sequence[str], strength: float,
                   folds: int = 5) -> list[dict[str, Any]]:
    """Each row with `conf` from a calibrator of `names` fitted on the grounded rows of the other `folds` - 1 folds
    (by a hash of the question id), 0 for a row without a grounded answer; a fold with nothing to fit on, or
    nothing held out, is left out."""
    from scent.eval.calibration import fold_of

    out = []
    for k in range(folds):
        train = [r for r in rows if fold_of(r["id"], folds) != k and grounded(r)]
        held = [r for r in rows if fold_of(r["id"], folds) == k]
        if not train or not held:
            continue
        bias, weights = fit_platt([only(r["signals"], names) for r in train], [label(r) for r in train],
                                  Calibrator(bias=0.0, weights={}), strength)
        fitted = Calibrator(bias=bias, weights=weights)
        out += [{**r, "conf": fitted.confidence(only(r["signals"], names)) if grounded(r) else 0.0} for r in held]
    return out


def cv_strength(rows: Sequence[dict[str, Any]], names: Sequence[str], folds: int = 5) -> float:
    """The prior's precision with the least held-out log-loss over `folds` folds of the tune half (by a hash of
    the question id): less data or noisier signals want more shrinkage."""
    import math

    def loss(strength: float) -> float:
        total = 0.0
        for r in cv_confidences(rows, names, strength, folds):
            p = min(max(r["conf"], 1e-4), 1 - 1e-4)
            total -= math.log(p if label(r) else 1 - p)
        return total

    return min(STRENGTHS, key=loss)


def decide(rows: Sequence[dict[str, Any]], calibrator: Calibrator, threshold: float) -> list[dict[str, Any]]:
    """Each agent row rescored: `conf` by the calibrator, `given` when it is grounded, verified and confident."""
    out = []
    for r in rows:
        conf = calibrator.confidence(r["signals"]) if grounded(r) else 0.0
        cited = r.get("abstain_reason") in (None, "low_confidence")  # other abstentions had no verified answer
        out.append({**r, "conf": conf, "given": grounded(r) and cited and conf >= threshold})
    return out


def report(decided: Sequence[dict[str, Any]], baselines: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    scored = [r for r in decided if grounded(r)]
    answerable = [r for r in decided if not r.get("unanswerable")]
    unanswerable = [r for r in decided if r.get("unanswerable")]
    given = [r for r in decided if r["given"]]
    right_given = [r for r in given if label(r)]
    out: dict[str, Any] = {
        "questions": len(decided),
        # the draft's EM: a run made at another threshold may have abstained on an answer this one gives
        "agent EM (given answers)": _pct(sum(float(r["given"]) * best_over_golds("em", r["draft"] or "",
                                                                                r["golden_answers"])
                                             for r in answerable), len(answerable)),
        "AUROC": _round(auroc([r["conf"] for r in scored], [label(r) for r in scored])) if scored else None,
        "ECE": _round(expected_calibration_error([r["conf"] for r in scored], [label(r) for r in scored]))
        if scored else None,
        "answered (answerable)": _pct(sum(r["given"] for r in answerable), len(answerable)),
        "right among given": _pct(len(right_given), len(given)),
        "unanswerable abstained": _pct(sum(not r["given"] for r in unanswerable), len(unanswerable)),
    }
    for name, rows in baselines.items():
        ids = {r["id"] for r in answerable}
        em = [r["metrics"]["em"] for r in rows if r["id"] in ids]
        out[f"{name} EM"] = _pct(sum(em), len(em))
    return out


def _pct(n: float, d: int) -> float | None:
    return round(100 * n / d, 1) if d else None


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def risk_coverage(path: Path, curves: dict[str, list[dict[str, Any]]], title: str = "Risk–coverage, test half") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for name, rows in curves.items():
        scored = sorted((r for r in rows if grounded(r)), key=lambda r: -r["conf"])
        if not scored:
            continue
        xs, ys, right = [], [], 0
        for i, r in enumerate(scored, 1):
            right += int(label(r))
            xs.append(i / len(rows))
            ys.append(right / i)
        ax.plot(xs, ys, marker=".", label=name)
    ax.set_xlabel("share of questions answered (threshold lowered →)")
    ax.set_ylabel("share of given answers right")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(0, 1.0)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path, nargs="+", help="scent eval output folders")
    parser.add_argument("--out", type=Path, required=True, help="the fitted calibrator (JSON); the plot beside it")
    parser.add_argument("--threshold", type=float, default=0.5, help="abstain below this confidence")
    parser.add_argument("--strength", default="1.0", help="precision of the prior (neutral: 0.5), or cv: the one of "
                        f"{STRENGTHS} with the least 5-fold log-loss on the tune half")
    parser.add_argument("--signals", default="", help="fit only these signals (comma-separated; default: all)")
    args = parser.parse_args()
    runs = {folder.name: rows_of(folder) for folder in args.results}
    agent = {name: [r for r in rows if r["system"] == "agent"] for name, rows in runs.items()}
    tune = [r for rows in agent.values() for r in rows if half(r["id"]) == "tune" and grounded(r)]
    used = args.signals.split(",") if args.signals else list(SIGNALS)
    strength = float(args.strength) if args.strength != "cv" else cv_strength(tune, used)
    print(f"signals: {','.join(used)}  strength: {strength}")
    bias, weights = fit_platt([only(r["signals"], used) for r in tune], [label(r) for r in tune],
                              Calibrator(bias=0.0, weights={}), strength)
    fitted = FittedCalibrator(bias=round(bias, 4), weights={k: round(v, 4) for k, v in weights.items()},
                              fitted_on=f"Platt on the tune half ({len(tune)} answers) of {', '.join(runs)}",
                              question_ids=sorted(r["id"] for r in tune), source=", ".join(map(str, args.results)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fitted.save(args.out)
    print("weights:", json.dumps({"bias": fitted.bias, **{s: fitted.weights.get(s, 0.0) for s in SIGNALS}}))
    table: list[tuple[str, str, dict[str, Any]]] = []
    curves: dict[str, list[dict[str, Any]]] = {}
    for name, rows in agent.items():
        decided = decide(rows, fitted, args.threshold)
        for which in ("tune", "test"):
            part = [r for r in decided if half(r["id"]) == which]
            baselines = {s: [r for r in runs[name] if r["system"] == s and half(r["id"]) == which]
                         for s in sorted({r["system"] for r in runs[name]} - {"agent"})}
            table.append((name, which, report(part, baselines)))
        curves[name] = [r for r in decided if half(r["id"]) == "test"]
    pooled = [r for rows in curves.values() for r in rows]
    table.append(("pooled", "test", report(pooled, {})))
    keys = list(dict.fromkeys(k for _, _, t in table for k in t))
    print("| set | half | " + " | ".join(keys) + " |")
    print("|---|---|" + "---:|" * len(keys))
    for name, which, t in table:
        print(f"| {name} | {which} | " + " | ".join("" if t.get(k) is None else str(t[k]) for k in keys) + " |")
    risk_coverage(args.out.with_suffix(".png"), curves)


if __name__ == "__main__":
    main()

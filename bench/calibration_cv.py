"""Held-out calibration of the agent's confidence: k-fold cross-validation over one or more `scent eval` runs.

Every question is scored by a Platt calibrator fitted on the other folds (split by a hash of the question id), so
each held-out number uses all the questions and none is scored by a fit that saw it. Reported per run and pooled,
for the current default calibrator (the prior) and the cross-validated fits, at several prior strengths (the
sensitivity of the one constant of the fit). `--fit-all OUT` also writes the Platt fit on every run's answers.

    .venv/bin/python bench/calibration_cv.py bench/out/eval/hp bench/out/eval/pg [--folds 5] [--fit-all OUT]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from scent.agent.answer import recorded_candidates, tally
from scent.agent.calibrate import Calibrator
from scent.eval.calibration import cross_validate, fit_platt
from scent.eval.metrics import expected_calibration_error
from scent.eval.report import latest_rows
from scent.eval.run import RESULTS_FILE, read_rows


def settled(row: dict[str, Any]) -> float:
    """The `settled` signal of a row recorded before it existed, from its recorded views as `write_and_vote` decides
    (tie-break views were asked only when the first three fell short of half)."""
    views = row.get("views") or []
    if row.get("decided_by") == "program" or len(views) <= 3 or row.get("abstained"):
        return 0.0 if row.get("abstained") else 1.0
    return float(tally(recorded_candidates(views)).settled)


def agent_rows(folder: Path) -> list[dict[str, Any]]:
    rows = [r for r in latest_rows(read_rows(folder / RESULTS_FILE)) if r["system"] == "agent" and not r.get("error")]
    for r in rows:  # runs recorded before the label fix scored an empty draft on an unanswerable question as right
        if r.get("unanswerable"):
            r["metrics"]["draft_correct"] = 0.0
        if r.get("signals"):  # and had no `program` or `settled` signal
            r["signals"].setdefault("program", float(r.get("decided_by") == "program"))
            r["signals"].setdefault("settled", settled(r))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path, nargs="+", help="eval output folders")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--strengths", default="0.3,1,3")
    parser.add_argument("--fit-all", type=Path, help="write the Platt fit on all answers here (JSON)")
    parser.add_argument("--neutral-prior", action="store_true",
                        help="pull the fits towards confidence 0.5 (all weights 0) instead of the default calibrator, "
                        "which was itself fitted on dev questions: held-out numbers then owe nothing to it")
    args = parser.parse_args()
    runs = {folder.name: agent_rows(folder) for folder in args.results}
    pooled = [r for rows in runs.values() for r in rows]
    prior = Calibrator(bias=0.0, weights={}) if args.neutral_prior else Calibrator()
    print("| run | questions | answers right | ECE default | " +
          " | ".join(f"ECE held-out (strength {s})" for s in args.strengths.split(",")) + " |")
    print("|---|--:|--:|--:|" + "--:|" * len(args.strengths.split(",")))
    for name, rows in [*runs.items(), ("pooled", pooled)]:
        cells = []
        for strength in map(float, args.strengths.split(",")):
            # fitted on the pool's other folds, scored on this run's rows
            cv = cross_validate(pooled, args.folds, strength, prior)
            keep = [i for i, r in enumerate(pooled) if r in rows]
            conf = [cv["confidences"][i] for i in keep]
            labels = [float(pooled[i]["metrics"]["draft_correct"]) for i in keep]
            cells.append(f"{expected_calibration_error(conf, labels):.3f}")
        default = [Calibrator().confidence(r["signals"]) if r.get("signals") else 0.0 for r in rows]
        labels = [float(r["metrics"]["draft_correct"]) for r in rows]
        right = sum(float(r["metrics"]["correct"]) for r in rows)
        print(f"| {name} | {len(rows)} | {right:.0f} | {expected_calibration_error(default, labels):.3f} | "
              + " | ".join(cells) + " |")
    if args.fit_all:
        usable = [r for r in pooled if r.get("signals") and r["signals"].get("grounded", 0) > 0]
        bias, weights = fit_platt([r["signals"] for r in usable],
                                  [float(r["metrics"]["draft_correct"]) for r in usable], prior, 1.0)
        Calibrator(bias=round(bias, 4), weights=weights,
                   fitted_on=f"Platt on {len(usable)} answers of {', '.join(runs)}").save(args.fit_all)
        print(f"fit on all {len(usable)} answers → {args.fit_all}: bias {bias:.3f} {weights}")
        thresholds(runs, Calibrator(bias=bias, weights=weights))


def thresholds(runs: dict[str, list[dict[str, Any]]], calibrator: Calibrator) -> None:
    """What `abstain_below` would decide under `calibrator` (in-sample: it was fitted on these rows), per run:
    share answered, accuracy of the answers, and unanswerable questions abstained on. An answer abstained before
    calibration (absent, ungrounded, doubted) stays abstained."""
    print("\n| run | abstain_below | answered (%) | right among answered (%) | unanswerable abstained |")
    print("|---|--:|--:|--:|--:|")
    for name, rows in runs.items():
        for below in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5):
            given = [r for r in rows if (r.get("signals") or {}).get("grounded", 0) > 0 and r.get("abstain_reason") in
                     (None, "low_confidence") and calibrator.confidence(r["signals"]) >= below]
            right = sum(float(r["metrics"]["draft_correct"]) for r in given)
            unanswerable = [r for r in rows if r.get("unanswerable")]
            abstained = sum(r not in given for r in unanswerable)
            print(f"| {name} | {below} | {100 * len(given) / len(rows):.0f} | "
                  f"{100 * right / len(given) if given else 0:.0f} | "
                  + (f"{abstained}/{len(unanswerable)} |" if unanswerable else "– |"))


if __name__ == "__main__":
    main()

"""Confidence fitted on every recorded question, reported on fresh question sets (issue 22, third round).

`bench/calibration_split.py` tunes on one half of each question set and reports on the other; once a signal set
has been chosen by looking at those test halves they are no longer held out. This script is the clean protocol
that follows: a Platt calibrator over the signals named is fitted on *every* question of the recorded runs given
(`--fit`), the prior's strength chosen by 5-fold cross-validated log-loss on them, the threshold chosen on the same
cross-validated confidences (`--threshold cv`: the lowest at which the documentation sets' given answers are right
at least as often as at any higher one, within a point), and the calibrator, threshold included, is then scored on
runs of questions written after it was fixed (`--fresh`), every question of which is held out.

    python -m bench.calibration_fresh --fit RUN … --fresh RUN … --signals agreement,program,… \
        --model llamacpp:default --out src/scent/agent/calibration/embedded.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.calibration_split import (
    STRENGTHS,
    cv_confidences,
    cv_strength,
    decide,
    grounded,
    label,
    only,
    report,
    risk_coverage,
    rows_of,
)
from scent.agent.calibrate import SIGNALS, Calibrator, FittedCalibrator
from scent.eval.calibration import fit_platt

THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)


def agent_rows(folders: list[Path]) -> dict[str, list[dict[str, Any]]]:
    return {f"{folder.parent.name}/{folder.name}": [r for r in rows_of(folder) if r["system"] == "agent"]
            for folder in folders}


def cv_threshold(rows: list[dict[str, Any]]) -> float:
    """The lowest threshold whose given answers (documentation sets: not HotpotQA) are right within a point of the
    best share any higher threshold reaches: past it, withholding more answers buys no precision."""
    def right_share(t: float) -> float:
        given = [r for r in rows if grounded(r) and r["conf"] >= t and not r["id"].startswith("hotpotqa")]
        return sum(label(r) for r in given) / len(given) if given else 0.0

    shares = {t: right_share(t) for t in THRESHOLDS}
    return min(t for t in THRESHOLDS if shares[t] >= max(v for u, v in shares.items() if u >= t) - 0.01)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fit", type=Path, nargs="+", required=True, help="recorded `scent eval` folders to fit on")
    parser.add_argument("--fresh", type=Path, nargs="*", default=[], help="`scent eval` folders to report on")
    parser.add_argument("--signals", default=",".join(SIGNALS), help="signals to fit (comma-separated)")
    parser.add_argument("--threshold", default="cv", help="abstain below this confidence, or cv")
    parser.add_argument("--model", default="", help="the writer model spec the runs were made with")
    parser.add_argument("--out", type=Path, required=True, help="the calibrator (JSON)")
    parser.add_argument("--plot", type=Path, help="a risk–coverage plot of the fresh runs (PNG)")
    args = parser.parse_args()
    names = args.signals.split(",")
    fit = [r for rows in agent_rows(args.fit).values() for r in rows]
    scored = [r for r in fit if grounded(r)]
    strength = cv_strength(scored, names)
    threshold = cv_threshold(cv_confidences(fit, names, strength)) if args.threshold == "cv" else float(
        args.threshold)
    bias, weights = fit_platt([only(r["signals"], names) for r in scored], [label(r) for r in scored],
                              Calibrator(bias=0.0, weights={}), strength)
    fitted = FittedCalibrator(
        bias=round(bias, 4), weights={k: round(v, 4) for k, v in weights.items() if v}, model=args.model,
        threshold=threshold, question_ids=sorted({r["id"] for r in scored}), source=", ".join(map(str, args.fit)),
        fitted_on=f"Platt (prior strength {strength}, chosen by 5-fold log-loss from {STRENGTHS}) on all "
                  f"{len(scored)} grounded answers of {len(fit)} recorded runs of {len({r['id'] for r in fit})} "
                  f"questions; threshold {threshold} chosen on their cross-validated confidences")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fitted.save(args.out)
    print(f"strength {strength}, threshold {threshold}, weights {json.dumps(fitted.weights)}")
    fresh = agent_rows(args.fresh)
    if not fresh:
        return
    table = {name: report(decide(rows, fitted, threshold), {}) for name, rows in fresh.items()}
    table["pooled"] = report(decide([r for rows in fresh.values() for r in rows], fitted, threshold), {})
    keys = list(dict.fromkeys(k for t in table.values() for k in t))
    print("| set | " + " | ".join(keys) + " |\n|---|" + "---:|" * len(keys))
    for name, t in table.items():
        print(f"| {name} | " + " | ".join("" if t.get(k) is None else str(t[k]) for k in keys) + " |")
    if args.plot:
        risk_coverage(args.plot, {n: decide(rows, fitted, threshold) for n, rows in fresh.items()},
                      "Risk–coverage, fresh question sets (all held out)")


if __name__ == "__main__":
    main()

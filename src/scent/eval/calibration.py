"""Fitting the agent's confidence mapping on one run's agent rows (`scent calibrate`).

- `platt`: logistic regression of draft correctness on the agent's signals, i.e. new `bias` and `weights` of the
  Calibrator. With a few dozen questions an unregularised fit overfits, so it is a MAP fit whose Gaussian prior is
  centred on the current weights (`strength` = its precision): little data moves them a little.
- `isotonic`: a monotone step function (pool-adjacent-violators) from the current confidence to the observed
  share correct.

The fitted file records the question ids it was fitted on; `scent eval --calibration` leaves those questions out,
so a calibrator is never reported on the questions it learnt from. With `fit_share` < 1 the run is split by a
hash of the question id and the held-out part is scored before and after, from the recorded signals.
`cross_validate` scores every question with a calibrator fitted on the other folds (a held-out number that uses
all the data, for runs of a few dozen questions).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from scent.agent.calibrate import SIGNALS, Calibrator, FittedCalibrator, IsotonicCalibrator
from scent.eval.metrics import brier_score, expected_calibration_error

Method = Literal["platt", "isotonic"]


def in_fit_part(question_id: str, fit_share: float) -> bool:
    digest = hashlib.sha1(question_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fit_share


# More of these can only make an answer likelier to be right: a fit on a few dozen answers that gives one of them a
# negative weight is fitting noise, so it is pinned at 0 (an active-set fit) — `yes_no` and `unknown` may go either
# way.
MONOTONE = ("agreement", "grounded", "coverage", "names", "support", "sources", "program", "settled", "subject",
            "relation", "backing", "type_match")


def fit_platt(signals: Sequence[dict[str, float]], labels: Sequence[float], prior: Calibrator,
              strength: float = 1.0, steps: int = 50) -> tuple[float, dict[str, float]]:
    """(bias, weights) maximising the log-likelihood minus strength/2·‖θ − θ_prior‖² (Newton's method), with the
    weights of `MONOTONE` signals kept ≥ 0: the most negative one is pinned at 0 and the rest refitted, until none
    is negative."""
    import numpy as np

    x = np.array([[1.0, *(s.get(name, 0.0) for name in SIGNALS)] for s in signals])
    y = np.asarray(labels, dtype=float)
    theta0 = np.array([prior.bias, *(max(0.0, prior.weights.get(name, 0.0)) if name in MONOTONE
                                     else prior.weights.get(name, 0.0) for name in SIGNALS)])
    monotone = np.array([False, *(name in MONOTONE for name in SIGNALS)])
    free = np.ones(len(theta0), dtype=bool)
    while True:
        theta = np.where(free, theta0, 0.0)
        for _ in range(steps):
            p = 1 / (1 + np.exp(-(x @ theta)))
            gradient = (x.T @ (p - y) + strength * (theta - theta0))[free]
            hessian = ((x.T * (p * (1 - p))) @ x + strength * np.eye(len(theta)))[np.ix_(free, free)]
            step = np.linalg.solve(hessian, gradient)
            theta[free] -= step
            if float(np.abs(step).max()) < 1e-8:
                break
        negative = free & monotone & (theta < 0)
        if not negative.any():
            break
        free[int(np.argmin(np.where(negative, theta, np.inf)))] = False
    return float(theta[0]), {name: round(float(w), 4) for name, w in zip(SIGNALS, theta[1:], strict=True)}


def fit_isotonic(scores: Sequence[float], labels: Sequence[float]) -> list[tuple[float, float]]:
    """Pool adjacent violators: [(lowest score of a block, mean label of the block)], scores ascending."""
    blocks: list[list[float]] = []  # [lowest score, sum of labels, count]
    for score, label in sorted(zip(scores, labels, strict=True)):
        blocks.append([score, float(label), 1.0])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            last = blocks.pop()
            blocks[-1][1] += last[1]
            blocks[-1][2] += last[2]
    return [(round(b[0], 4), round(b[1] / b[2], 4)) for b in blocks]


def _scores(calibrator: Calibrator, rows: Sequence[dict[str, Any]]) -> dict[str, float] | None:
    if not rows:
        return None
    confidence = [calibrator.confidence(r["signals"]) if r.get("signals") else 0.0 for r in rows]
    labels = [float(r["metrics"]["draft_correct"]) for r in rows]
    return {"n": len(rows), "ece": round(expected_calibration_error(confidence, labels), 4),
            "brier": round(brier_score(confidence, labels), 4)}


def fold_of(question_id: str, folds: int) -> int:
    return int.from_bytes(hashlib.sha1(question_id.encode()).digest()[8:16], "big") % folds


def cross_validate(rows: Sequence[dict[str, Any]], folds: int = 5, strength: float = 1.0,
                   prior: Calibrator | None = None) -> dict[str, Any]:
    """K-fold by a hash of the question id: each fold's questions are scored by a Platt calibrator fitted on the
    other folds' grounded answers. Returns the pooled held-out ECE/Brier of the prior and of the fits, and the
    held-out confidences."""
    prior = prior or Calibrator()
    fold = [fold_of(str(r["id"]), folds) for r in rows]
    fitted: list[Calibrator] = []
    for k in range(folds):
        train = [r for r, f in zip(rows, fold, strict=True)
                 if f != k and r.get("signals") and r["signals"].get("grounded", 0) > 0]
        if len(train) < 2:
            fitted.append(prior)
            continue
        bias, weights = fit_platt([r["signals"] for r in train],
                                  [float(r["metrics"]["draft_correct"]) for r in train], prior, strength)
        fitted.append(Calibrator(bias=bias, weights=weights))
    held = [fitted[f].confidence(r["signals"]) if r.get("signals") else 0.0 for r, f in zip(rows, fold, strict=True)]
    labels = [float(r["metrics"]["draft_correct"]) for r in rows]
    return {"n": len(rows), "folds": folds, "prior": _scores(prior, rows),
            "held_out": {"n": len(rows), "ece": round(expected_calibration_error(held, labels), 4),
                         "brier": round(brier_score(held, labels), 4)},
            "confidences": held}


def calibrate(results: str | Path, method: Method = "platt", fit_share: float = 1.0, strength: float = 1.0,
              prior: Calibrator | None = None) -> tuple[FittedCalibrator, dict[str, Any]]:
    """Fit on the agent rows of OUT/results.jsonl (those in the fit part); returns the calibrator and a report
    with in-sample numbers and, when some questions are held out, held-out ECE/Brier before and after."""
    from scent.eval.report import latest_rows
    from scent.eval.run import RESULTS_FILE, read_rows

    rows = [r for r in latest_rows(read_rows(Path(results) / RESULTS_FILE))
            if r["system"] == "agent" and not r.get("error")]
    if not rows:
        raise ValueError(f"no agent rows in {Path(results) / RESULTS_FILE}")
    prior = prior or Calibrator()
    fit = [r for r in rows if in_fit_part(r["id"], fit_share)]
    held = [r for r in rows if not in_fit_part(r["id"], fit_share)]
    usable = [r for r in fit if r.get("signals") and r["signals"].get("grounded", 0.0) > 0]
    if len(usable) < 2:
        raise ValueError(f"only {len(usable)} fitted agent rows have a grounded answer; need at least 2")
    labels = [float(r["metrics"]["draft_correct"]) for r in usable]
    run_info = Path(results) / "run.json"  # the writer the answers came from: the fit is for that model
    writer = json.loads(run_info.read_text()).get("models", {}).get("writer", "") if run_info.exists() else ""
    common = {"question_ids": sorted(r["id"] for r in fit), "source": str(Path(results).resolve()),
              "fitted_on": f"{len(usable)} agent answers in {results} ({method})", "model": writer,
              "threshold": prior.threshold}
    fitted: FittedCalibrator
    if method == "platt":
        bias, weights = fit_platt([r["signals"] for r in usable], labels, prior, strength)
        fitted = FittedCalibrator(bias=round(bias, 4), weights=weights, method="platt", **common)
    else:
        points = fit_isotonic([prior.confidence(r["signals"]) for r in usable], labels)
        fitted = IsotonicCalibrator(bias=prior.bias, weights=prior.weights, method="isotonic", points=points,
                                    **common)
    report = {"method": method, "fitted_questions": len(fit), "fitted_answers": len(usable),
              "share_correct": round(sum(labels) / len(labels), 4),
              "in_sample_before": _scores(prior, fit), "in_sample_after": _scores(fitted, fit),
              "held_out_before": _scores(prior, held), "held_out_after": _scores(fitted, held)}
    if not all(math.isfinite(w) for w in fitted.weights.values()):
        raise ValueError("the fit diverged")
    return fitted, report

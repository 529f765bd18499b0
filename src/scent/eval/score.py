"""`scent score`: answer metrics of a predictions file (`question`, `answer`, `pred_ans`, optional judge)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scent.eval.datasets import DatasetError
from scent.eval.metrics import best_over_golds, judge_says_true

JUDGE_FIELDS = ("judge", "gpt4o_output")


def score_row(row: dict[str, Any]) -> dict[str, float]:
    """EM, F1, cover-EM (0–1) of one prediction against its gold answer(s), plus `judge` when a verdict is given."""
    golds = row["answer"] if isinstance(row["answer"], list) else [row["answer"]]
    prediction = str(row["pred_ans"])
    scores = {m: best_over_golds(m, prediction, [str(g) for g in golds]) for m in ("em", "f1", "cover_em")}
    verdict = next((row[f] for f in JUDGE_FIELDS if row.get(f) is not None), None)
    if verdict is not None:
        scores["judge"] = float(verdict) if isinstance(verdict, bool | int | float) else judge_says_true(str(verdict))
    return scores


def score_predictions(path: str | Path) -> dict[str, Any]:
    """Mean scores in percent over all rows (`judge` over the rows that carry a verdict), and the row count."""
    rows: list[dict[str, float]] = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(score_row(json.loads(line)))
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise DatasetError(f"{path}:{number}: not a prediction row ({e!r}); expected question, answer, "
                               "pred_ans") from None
    if not rows:
        raise DatasetError(f"{path}: no predictions")
    out: dict[str, Any] = {"n": len(rows)}
    for metric in ("em", "f1", "cover_em", "judge"):
        values = [r[metric] for r in rows if metric in r]
        if values:
            out[metric] = round(100 * sum(values) / len(values), 2)
    return out

"""Metrics as pure functions: answers (EM, F1, cover-EM, judge verdicts), support, citations, calibration.

Answer normalisation is the official HotpotQA/SQuAD one: lower-case, drop punctuation, drop the articles a/an/the,
collapse whitespace. Calibration functions take parallel lists of confidences in [0, 1] and 0/1 correctness.
Rankings by confidence treat ties without an arbitrary order: within a group of equal confidence, errors are
assumed spread evenly (the expected value over all orders of the tied items).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

from scent.text import normalize_answer

UNANSWERABLE = "unanswerable"
_SPECIAL = ("yes", "no", "noanswer")



def exact_match(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def f1_score(prediction: str, gold: str) -> float:
    """Token F1 after normalisation; 0 when either side is yes/no/noanswer and the two differ (HotpotQA)."""
    pred, ref = normalize_answer(prediction), normalize_answer(gold)
    if (pred in _SPECIAL or ref in _SPECIAL) and pred != ref:
        return 0.0
    pred_tokens, ref_tokens = pred.split(), ref.split()
    common = sum((Counter(pred_tokens) & Counter(ref_tokens)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred_tokens), common / len(ref_tokens)
    return 2 * precision * recall / (precision + recall)


def cover_exact_match(prediction: str, gold: str) -> float:
    """1 when the normalised gold answer occurs (as a substring) in the normalised prediction."""
    return float(normalize_answer(gold) in normalize_answer(prediction))


def best_over_golds(metric: str, prediction: str, golds: Sequence[str]) -> float:
    """The best score of `metric` (em | f1 | cover_em) against any of the gold answers."""
    fn = {"em": exact_match, "f1": f1_score, "cover_em": cover_exact_match}[metric]
    return max((fn(prediction, g) for g in golds), default=0.0)


def is_unanswerable(golds: Sequence[str]) -> bool:
    return [g.strip().lower() for g in golds] == [UNANSWERABLE]


def answer_scores(prediction: str, golds: Sequence[str], abstained: bool) -> dict[str, float]:
    """EM, F1 and cover-EM of one prediction. An abstention scores 0 on an answerable question and 1 on an
    unanswerable one (whose only gold is "unanswerable"); answering an unanswerable question scores 0."""
    if is_unanswerable(golds):
        score = float(abstained)
        return {"em": score, "f1": score, "cover_em": score}
    if abstained:
        return {"em": 0.0, "f1": 0.0, "cover_em": 0.0}
    return {m: best_over_golds(m, prediction, golds) for m in ("em", "f1", "cover_em")}


def judge_says_true(verdict: str) -> float:
    """A judge's verdict text counts as correct when it starts with "true" (case-insensitive)."""
    return float(verdict.strip().lower().startswith("true"))


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not None; None when there are none."""
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


# support and citations ------------------------------------------------------------------------------------------

def support_recall(gold_ids: Sequence[str], found_ids: Iterable[str]) -> float | None:
    """Share of the gold passages among `found_ids` (the run's evidence, or everything it retrieved); None when
    the question names no gold passages."""
    gold = set(gold_ids)
    return len(gold & set(found_ids)) / len(gold) if gold else None


def citation_precision(supported: Sequence[bool]) -> float | None:
    """Share of the cited passages the verifier found to support the claim; None without citations."""
    return sum(supported) / len(supported) if supported else None


def citation_recall(gold_ids: Sequence[str], cited_ids: Iterable[str]) -> float | None:
    """Share of the gold passages that the answer cites; None when no gold passages are known."""
    return support_recall(gold_ids, cited_ids)


# calibration ----------------------------------------------------------------------------------------------------

def expected_calibration_error(confidences: Sequence[float], correct: Sequence[float], bins: int = 10) -> float:
    """ECE with `bins` equal-width bins [i/bins, (i+1)/bins), the last one closed: Σ |B|/n · |acc(B) − conf(B)|."""
    _check(confidences, correct)
    grouped: dict[int, list[tuple[float, float]]] = {}
    for c, y in zip(confidences, correct, strict=True):
        grouped.setdefault(min(int(c * bins), bins - 1), []).append((c, y))
    n = len(confidences)
    return sum(len(items) / n * abs(sum(y for _, y in items) / len(items) - sum(c for c, _ in items) / len(items))
               for items in grouped.values())


def brier_score(confidences: Sequence[float], correct: Sequence[float]) -> float:
    _check(confidences, correct)
    return sum((c - y) ** 2 for c, y in zip(confidences, correct, strict=True)) / len(confidences)


def accuracy_by_coverage(confidences: Sequence[float], correct: Sequence[float]) -> list[tuple[float, float]]:
    """The coverage–accuracy curve: answering the m most confident of n questions (m = 1…n), the points
    (m/n, expected accuracy of those m). Ties in confidence are spread evenly (see the module docstring)."""
    _check(confidences, correct)
    groups: dict[float, list[float]] = {}
    for c, y in zip(confidences, correct, strict=True):
        groups.setdefault(c, []).append(y)
    n, points, taken, right = len(confidences), [], 0, 0.0
    for c in sorted(groups, reverse=True):
        rate = sum(groups[c]) / len(groups[c])
        for j in range(1, len(groups[c]) + 1):
            points.append(((taken + j) / n, (right + j * rate) / (taken + j)))
        taken += len(groups[c])
        right += sum(groups[c])
    return points


def auroc(confidences: Sequence[float], correct: Sequence[float]) -> float | None:
    """The chance that a right answer gets a higher confidence than a wrong one (ties count half): 0.5 says
    nothing, 1 separates them perfectly. None when all answers are right or all wrong."""
    _check(confidences, correct)
    right = [c for c, ok in zip(confidences, correct, strict=True) if ok]
    wrong = [c for c, ok in zip(confidences, correct, strict=True) if not ok]
    if not right or not wrong:
        return None
    wins = sum((r > w) + 0.5 * (r == w) for r in right for w in wrong)
    return wins / (len(right) * len(wrong))


def aurc(confidences: Sequence[float], correct: Sequence[float]) -> float:
    """Area under the risk–coverage curve: the mean over m = 1…n of the error rate of the m most confident."""
    points = accuracy_by_coverage(confidences, correct)
    return sum(1 - acc for _, acc in points) / len(points)


def selective_accuracy(confidences: Sequence[float], correct: Sequence[float], coverage: float) -> float:
    """Accuracy over the ⌈coverage·n⌉ most confident questions."""
    points = accuracy_by_coverage(confidences, correct)
    m = max(1, math.ceil(coverage * len(points) - 1e-9))
    return points[m - 1][1]


def abstention_precision_recall(abstained: Sequence[bool], unanswerable: Sequence[bool]
                                ) -> tuple[float | None, float | None]:
    """(share of abstentions that were on unanswerable questions, share of unanswerable questions abstained on);
    each None when its denominator is 0."""
    both = sum(a and u for a, u in zip(abstained, unanswerable, strict=True))
    n_abstained, n_unanswerable = sum(abstained), sum(unanswerable)
    return (both / n_abstained if n_abstained else None, both / n_unanswerable if n_unanswerable else None)


def _check(confidences: Sequence[float], correct: Sequence[float]) -> None:
    if len(confidences) != len(correct) or not confidences:
        raise ValueError(f"need equally long, non-empty lists (got {len(confidences)} and {len(correct)})")


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact sign test (ties dropped): the probability, if neither system were better, of a split at
    least this uneven."""
    n = wins + losses
    if n == 0:
        return 1.0
    k = min(wins, losses)
    tail: float = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)

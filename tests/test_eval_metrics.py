"""Evaluation metrics against hand-computed values, and the golden predictions fixture."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from conftest import scent

from scent.eval import metrics as m
from scent.eval.calibration import fit_isotonic, fit_platt, in_fit_part
from scent.eval.datasets import DatasetError, load_beir, load_questions
from scent.eval.retrieval import evaluate_run, ndcg_at_k, ranked, recall_at_k
from scent.eval.score import score_predictions, score_row


def test_normalisation_is_the_official_hotpotqa_one():
    assert m.normalize_answer("The  Eiffel-Tower, in Paris!") == "eiffeltower in paris"
    assert m.normalize_answer("An apple a day") == "apple day"


def test_exact_match_f1_and_cover_em():
    assert m.exact_match("the Beatles", "Beatles") == 1.0
    assert m.exact_match("The Beatles band", "Beatles") == 0.0
    # prediction "beatles band" vs gold "beatles": precision 1/2, recall 1/1 → F1 2/3
    assert m.f1_score("The Beatles band", "Beatles") == pytest.approx(2 / 3)
    assert m.f1_score("red blue", "blue green red") == pytest.approx(2 * 1 * (2 / 3) / (1 + 2 / 3))
    assert m.f1_score("no", "yes") == 0.0 and m.f1_score("yes", "yes") == 1.0
    assert m.f1_score("yes it is", "yes") == 0.0  # gold is yes and the normalised strings differ
    assert m.cover_exact_match("It was Chief of Protocol.", "chief of protocol") == 1.0
    assert m.cover_exact_match("Protocol", "Chief of Protocol") == 0.0
    assert m.best_over_golds("em", "NYC", ["New York City", "NYC"]) == 1.0


def test_answer_scores_treat_abstention_and_unanswerable():
    assert m.answer_scores("Paris", ["Paris"], abstained=False) == {"em": 1.0, "f1": 1.0, "cover_em": 1.0}
    assert m.answer_scores("Paris", ["Paris"], abstained=True) == {"em": 0.0, "f1": 0.0, "cover_em": 0.0}
    assert m.answer_scores("Not found", ["unanswerable"], abstained=True)["em"] == 1.0
    assert m.answer_scores("Paris", ["Unanswerable"], abstained=False)["f1"] == 0.0


def test_judge_verdicts():
    assert m.judge_says_true(" True.") == 1.0 and m.judge_says_true("TRUE") == 1.0
    assert m.judge_says_true("False") == 0.0 and m.judge_says_true("not true") == 0.0


def test_support_and_citation_metrics():
    assert m.support_recall(["a", "b"], ["b", "c"]) == 0.5
    assert m.support_recall([], ["a"]) is None
    assert m.citation_precision([True, False, True, True]) == 0.75
    assert m.citation_precision([]) is None
    assert m.citation_recall(["a", "b"], ["a", "b", "z"]) == 1.0


def test_ece_brier_by_hand():
    conf, correct = [0.9, 0.9, 0.2, 0.65], [1, 0, 0, 1]
    # bins: 0.9 → bin 9 {1, 0}: acc 0.5, conf 0.9 → gap 0.4, weight 2/4; 0.2 → bin 2: gap 0.2, weight 1/4;
    # 0.65 → bin 6: gap 0.35, weight 1/4
    assert m.expected_calibration_error(conf, correct) == pytest.approx(0.5 * 0.4 + 0.25 * 0.2 + 0.25 * 0.35)
    assert m.brier_score(conf, correct) == pytest.approx((0.01 + 0.81 + 0.04 + 0.1225) / 4)
    assert m.expected_calibration_error([1.0, 0.0], [1, 0]) == 0.0  # 1.0 falls in the last bin, 0.0 in the first
    with pytest.raises(ValueError):
        m.brier_score([], [])


def test_coverage_curve_aurc_and_selective_accuracy():
    conf, correct = [0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0]
    points = m.accuracy_by_coverage(conf, correct)
    assert points == [(0.25, 1.0), (0.5, 0.5), (0.75, pytest.approx(2 / 3)), (1.0, 0.5)]
    assert m.aurc(conf, correct) == pytest.approx((0 + 0.5 + 1 / 3 + 0.5) / 4)
    assert m.selective_accuracy(conf, correct, 0.5) == 0.5
    assert m.selective_accuracy(conf, correct, 0.8) == 0.5  # ⌈0.8·4⌉ = 4
    assert m.selective_accuracy(conf, correct, 0.75) == pytest.approx(2 / 3)


def test_ties_in_confidence_are_spread_evenly():
    # two tied at 0.5, one right one wrong: the first point is the expectation over both orders
    assert m.accuracy_by_coverage([0.5, 0.5], [1, 0]) == [(0.5, 0.5), (1.0, 0.5)]
    assert m.accuracy_by_coverage([0.5, 0.5], [0, 1]) == m.accuracy_by_coverage([0.5, 0.5], [1, 0])


def test_abstention_precision_recall():
    abstained = [True, True, False, False, True]
    unanswerable = [True, False, True, False, True]
    assert m.abstention_precision_recall(abstained, unanswerable) == (2 / 3, 2 / 3)
    assert m.abstention_precision_recall([False], [False]) == (None, None)


def test_ndcg_and_recall_as_trec_eval():
    judgements = {"a": 2, "b": 0, "c": 1, "z": 1}
    scores = {"a": 1.0, "b": 1.0, "c": 0.5, "x": 0.2}
    assert ranked(scores) == ["b", "a", "c", "x"]  # tie on score: document id descending
    dcg = 0 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4)
    idcg = 2 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(scores, judgements, 10) == pytest.approx(dcg / idcg)  # 0.56272725…, as pytrec_eval
    assert ndcg_at_k(scores, judgements, 1) == 0.0
    assert recall_at_k(scores, judgements, 100) == pytest.approx(2 / 3)  # grade-0 "b" is not relevant
    assert recall_at_k(scores, judgements, 2) == pytest.approx(1 / 3)
    result = evaluate_run({"q1": scores, "q2": {}}, {"q1": judgements, "q2": {"a": 1}})
    assert result["queries"] == 1 and result["queries_without_results"] == 1
    assert result["ndcg@10"] == pytest.approx(dcg / idcg)


def test_platt_fit_moves_towards_the_data_and_isotonic_is_monotone():
    from scent.agent.calibrate import Calibrator

    prior = Calibrator()
    signals = [{"grounded": 1.0, "agreement": 1.0, "coverage": 0.9}] * 6 + [{"grounded": 1.0, "coverage": 0.9}] * 6
    labels = [1.0] * 6 + [0.0] * 6
    bias, weights = fit_platt(signals, labels, prior, strength=0.01)
    fitted = Calibrator(bias=bias, weights=weights)
    assert fitted.confidence(signals[0]) > 0.9 and fitted.confidence(signals[-1]) < 0.1
    assert fit_isotonic([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1]) == [(0.1, 0.0), (0.2, 0.5), (0.4, 1.0)]
    share = sum(in_fit_part(f"q{i}", 0.5) for i in range(1000)) / 1000
    assert 0.4 < share < 0.6 and in_fit_part("q1", 1.0)


def test_platt_keeps_support_signals_from_lowering_confidence_and_cross_validates():
    from scent.agent.calibrate import Calibrator
    from scent.eval.calibration import cross_validate

    neutral = Calibrator(bias=0.0, weights={})
    # in this sample, more names found goes with wrong answers (noise): the fit pins that weight at 0
    signals = [{"grounded": 1.0, "agreement": 1.0, "names": 0.0}] * 8 + [{"grounded": 1.0, "names": 1.0}] * 8
    labels = [1.0] * 7 + [0.0] + [0.0] * 7 + [1.0]
    _, weights = fit_platt(signals, labels, neutral, strength=0.1)
    assert weights["names"] == 0.0 and weights["agreement"] > 1.0
    _, free = fit_platt([{**s, "yes_no": s["names"]} for s in signals], labels, neutral, strength=0.1)
    assert free["yes_no"] < 0  # yes_no may go either way
    rows = [{"id": f"q{i}", "signals": s, "metrics": {"draft_correct": y}}
            for i, (s, y) in enumerate(zip(signals, labels, strict=True))]
    cv = cross_validate(rows, folds=4, strength=0.1, prior=neutral)
    assert cv["n"] == 16 and len(cv["confidences"]) == 16 and 0 <= cv["held_out"]["ece"] <= 1
    assert cv["held_out"]["brier"] < cv["prior"]["brier"]  # the fits beat a constant 0.5 on held-out folds


def test_datasets(tmp_path: Path):
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"id": "1", "question": "Q?", "golden_answers": ["unanswerable"],
                                "metadata": {"type": "bridge", "supporting_ids": ["p1"]}}) + "\n"
                    + json.dumps({"id": "2", "question": "R?", "golden_answers": ["x"]}) + "\n")
    q1, q2 = load_questions(path)
    assert q1.unanswerable and q1.subset == "bridge" and q1.supporting_ids == ["p1"]
    assert not q2.unanswerable and q2.subset == "all" and q2.supporting_ids == []
    assert len(load_questions(path, limit=1)) == 1
    path.write_text('{"id": "1", "question": "Q?"}\n')
    with pytest.raises(DatasetError, match=r"q\.jsonl:1"):
        load_questions(path)
    beir = tmp_path / "beir"
    (beir / "qrels").mkdir(parents=True)
    (beir / "corpus.jsonl").write_text('{"_id": "d1", "title": "T", "text": "x"}\n')
    (beir / "queries.jsonl").write_text('{"_id": "q1", "text": "x"}\n{"_id": "q2", "text": "y"}\n')
    (beir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t2\n")
    loaded = load_beir(beir)
    assert loaded.queries == {"q1": "x"} and loaded.qrels == {"q1": {"d1": 2}}


def test_score_row():
    assert score_row({"question": "q", "answer": "Paris", "pred_ans": " paris ", "gpt4o_output": "False"}) == {
        "em": 1.0, "f1": 1.0, "cover_em": 1.0, "judge": 0.0}
    assert "judge" not in score_row({"question": "q", "answer": ["a", "b"], "pred_ans": "b"})


def test_golden_fixture_reproduces_the_published_numbers(shared_data: Path):
    fixture = shared_data / "fixtures" / "hotpotqa_predictions_500.jsonl"
    result = score_predictions(fixture)
    assert result["n"] == 500
    for key, expected in (("em", 57.6), ("f1", 71.3), ("cover_em", 65.0), ("judge", 75.0)):
        assert result[key] == pytest.approx(expected, abs=0.05), key
    out = json.loads(scent("score", "--predictions", fixture, "--json").stdout)
    assert out == result


def test_calibrate_splits_fits_and_records_the_questions(tmp_path: Path):
    from scent.agent.calibrate import IsotonicCalibrator, load_calibrator
    from scent.eval.calibration import calibrate

    good = {"grounded": 1.0, "sources": 1 / 3, "agreement": 1.0, "coverage": 0.9}
    bad = {"grounded": 1.0, "coverage": 0.9}
    rows = [{"id": f"q{i}", "system": "agent", "signals": good if i % 2 else bad, "error": None,
             "metrics": {"draft_correct": float(i % 2)}} for i in range(40)]
    rows.append({"id": "q0", "system": "rag", "signals": None, "error": None, "metrics": {"draft_correct": 1.0}})
    (tmp_path / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    fitted, report = calibrate(tmp_path, "platt", fit_share=0.5, strength=0.1)
    fit_ids = {f"q{i}" for i in range(40) if in_fit_part(f"q{i}", 0.5)}
    assert set(fitted.question_ids) == fit_ids and 0 < len(fit_ids) < 40
    assert report["held_out_before"]["n"] == 40 - len(fit_ids)
    assert report["held_out_after"]["brier"] < report["held_out_before"]["brier"]
    fitted.save(tmp_path / "c.json")
    assert load_calibrator(tmp_path / "c.json").question_ids == fitted.question_ids  # type: ignore[attr-defined]
    iso, _ = calibrate(tmp_path, "isotonic")
    assert isinstance(iso, IsotonicCalibrator) and len(iso.question_ids) == 40
    assert iso.confidence(good) == 1.0 and iso.confidence(bad) == 0.0 and iso.confidence({"grounded": 0}) == 0.0
    iso.save(tmp_path / "i.json")
    assert isinstance(load_calibrator(tmp_path / "i.json"), IsotonicCalibrator)


def test_auroc_is_the_chance_a_right_answer_outranks_a_wrong_one():
    assert m.auroc([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0]) == 1.0
    assert m.auroc([0.1, 0.3, 0.8, 0.9], [1, 1, 0, 0]) == 0.0
    assert m.auroc([0.5, 0.5], [1, 0]) == 0.5  # a tie counts half
    assert m.auroc([0.9, 0.2, 0.6], [1, 0, 0]) == 1.0
    assert m.auroc([0.9, 0.8], [1, 1]) is None  # nothing to separate

"""Likelihood reading on recorded runs (issue 22): the candidates of each recorded agent answer — the writer's
grounded views and their fuller forms — scored by the embedded model (`scent.agent.likelihood`), without
re-running the search. The passages are the run's own (`evidence_ids`), the views its recorded replies, so the
scores are those the agent computes live on the same passages.

    python -m bench.likelihood_replay score RUN:INDEX [RUN:INDEX …] --out scores.jsonl   # model calls
    python -m bench.likelihood_replay report scores.jsonl                                  # rules, per half
    python -m bench.likelihood_replay apply scores.jsonl --rule fuller --out OUT             # rescored runs

`report` compares, per question set and tune/test half (a hash of the id, `bench.calibration_split.half`), the
answer as run (the views' vote) with the rules of `scent.agent.likelihood.choose`. `apply` writes each run's
results as the agent would have given them under a rule — the answer read again, its metrics recomputed, the
likelihood signals added — as OUT/RUN/results.jsonl, for `bench/calibration_split.py`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.calibration_split import half, rows_of
from scent.agent.answer import Candidate, agreement_with, is_yes_no, recorded_candidates
from scent.agent.likelihood import RULES, UNKNOWN, Reading, candidates, choose, scoring_prompt
from scent.agent.likelihood import signals as likelihood_signals
from scent.eval.metrics import answer_scores


def score(runs: list[str], out: Path) -> None:
    from scent.app import open_index
    from scent.llm.llamacpp import LlamaCppLLM

    llm = LlamaCppLLM()
    done = {(r["run"], r["id"]) for r in map(json.loads, out.read_text().splitlines())} if out.exists() else set()
    with out.open("a") as f:
        for spec in runs:
            run, index_path = spec.split(":", 1)
            with open_index(index_path) as index:
                for row in rows_of(Path(run)):
                    if row["system"] != "agent" or (run, row["id"]) in done:
                        continue
                    passages = [p for i in row.get("evidence_ids") or [] if (p := index.get(i)) is not None]
                    views = recorded_candidates(row.get("views") or [])
                    found = candidates(row["question"], views, passages) if passages else []
                    asks_unknown = bool(found) and not is_yes_no(row["question"])
                    logprobs = llm.score(scoring_prompt(row["question"], passages, len(views), 1500),
                                         [c.text for c in found] + [UNKNOWN] * asks_unknown) if found else []
                    unknown = logprobs.pop() if asks_unknown else None
                    f.write(json.dumps({"run": run, "id": row["id"], "question": row["question"],
                                        "golden": row["golden_answers"], "unanswerable": row.get("unanswerable"),
                                        "prediction": row["prediction"], "draft": row.get("draft") or "",
                                        "abstained": row["abstained"], "reason": row.get("abstain_reason"),
                                        "decided_by": row.get("decided_by"), "signals": row.get("signals") or {},
                                        "texts": [c.text for c in found], "logprobs": logprobs,
                                        "unknown": unknown}) + "\n")
                    f.flush()
                    print(run, row["id"], found and found[0].text, logprobs[:3], file=sys.stderr)


def right(answer: str, golden: list[str]) -> dict[str, float]:
    return dict(answer_scores(answer, golden, not answer))


def report(path: Path) -> None:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    table: dict[tuple[str, str, str], list[dict[str, float]]] = defaultdict(list)
    for r in rows:
        name = Path(r["run"]).name
        answerable = not r["unanswerable"]
        for rule in RULES:  # "vote" is the answer as run
            answer = choose(rule, r["draft"], Reading.ranked(r["texts"], r["logprobs"])) \
                if r["decided_by"] == "writer" else r["draft"]
            if answerable:
                table[(name, half(r["id"]), "as-run" if rule == "vote" else rule)].append(right(answer, r["golden"]))
    print("| set | half | rule | n | EM | cover-EM |")
    print("|---|---|---|--:|--:|--:|")
    for (name, part, rule), scores in sorted(table.items()):
        n = len(scores)
        em = sum(s["em"] for s in scores) / n
        cover = sum(s["cover_em"] for s in scores) / n
        print(f"| {name} | {part} | {rule} | {n} | {em:.3f} | {cover:.3f} |")


def apply(path: Path, rule: str, out: Path) -> None:
    from scent.agent.likelihood import contains
    from scent.text import normalize_answer

    scored = {(r["run"], r["id"]): r for r in map(json.loads, path.read_text().splitlines())}
    for run in dict.fromkeys(r for r, _ in scored):
        rows = []
        for row in rows_of(Path(run)):
            s = scored.get((run, row["id"])) if row["system"] == "agent" else None
            if s is not None and s["decided_by"] == "writer" and s["texts"] and row.get("draft"):
                reading = Reading.ranked(s["texts"], s["logprobs"], s.get("unknown"))
                draft = choose(rule, row["draft"], reading)
                at = next((i for i, t in enumerate(reading.texts) if normalize_answer(t) == normalize_answer(draft)),
                          None)
                if at is not None:
                    signals = {**row["signals"], **likelihood_signals(reading, at)}
                    if not contains(draft, row["draft"]):  # another answer than the vote: its own agreement
                        views = recorded_candidates(row.get("views") or [])
                        signals["agreement"] = agreement_with(views, Candidate(0, draft, draft))
                    row = rescored(row, draft, signals)
            rows.append(row)
        folder = out / Path(run).name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def rescored(row: dict[str, Any], draft: str, signals: dict[str, float]) -> dict[str, Any]:
    """The row with another draft: the prediction follows it unless the run abstained; metrics recomputed as
    `scent.eval.run.row_metrics` does (cover-EM is what counts as right)."""
    abstained = row["abstained"]
    prediction = row["prediction"] if abstained else draft
    metrics = dict(row["metrics"])
    metrics.update(answer_scores(prediction, row["golden_answers"], abstained))
    metrics["correct"] = metrics["cover_em"]
    metrics["draft_correct"] = 0.0 if row.get("unanswerable") else \
        answer_scores(draft, row["golden_answers"], False)["cover_em"]
    return {**row, "draft": draft, "prediction": prediction, "signals": signals, "metrics": metrics}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("score")
    s.add_argument("runs", nargs="+", help="RUN_FOLDER:INDEX")
    s.add_argument("--out", type=Path, required=True)
    r = sub.add_parser("report")
    r.add_argument("scores", type=Path)
    a = sub.add_parser("apply")
    a.add_argument("scores", type=Path)
    a.add_argument("--rule", choices=RULES, required=True)
    a.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "score":
        score(args.runs, args.out)
    elif args.command == "apply":
        apply(args.scores, args.rule, args.out)
    else:
        report(args.scores)


if __name__ == "__main__":
    main()


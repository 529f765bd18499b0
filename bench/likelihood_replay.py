"""Likelihood reading on recorded runs (issue 22): the candidates of each recorded agent answer — the writer's
grounded views and their fuller forms — scored by the embedded model (`scent.agent.likelihood`), without
re-running the search. The passages are the run's own (`evidence_ids`), the views its recorded replies, so the
scores are those the agent computes live on the same passages.

    python -m bench.likelihood_replay score RUN:INDEX [RUN:INDEX …] --out scores.jsonl   # model calls
    python -m bench.likelihood_replay report scores.jsonl                                  # rules, per half

`report` compares, per question set and tune/test half (a hash of the id, `bench.calibration_split.half`), the
answer as run (the views' vote) with the rules of `scent.agent.likelihood.choose`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from bench.calibration_split import half, rows_of
from scent.agent.answer import recorded_candidates
from scent.agent.likelihood import RULES, Reading, candidates, choose, scoring_prompt
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
                    logprobs = llm.score(scoring_prompt(row["question"], passages, len(views), 600),
                                         [c.text for c in found]) if found else []
                    f.write(json.dumps({"run": run, "id": row["id"], "question": row["question"],
                                        "golden": row["golden_answers"], "unanswerable": row.get("unanswerable"),
                                        "prediction": row["prediction"], "draft": row.get("draft") or "",
                                        "abstained": row["abstained"], "reason": row.get("abstain_reason"),
                                        "decided_by": row.get("decided_by"), "signals": row.get("signals") or {},
                                        "texts": [c.text for c in found], "logprobs": logprobs}) + "\n")
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
        vote = r["draft"] if r["decided_by"] == "writer" else ""
        for rule in ("as-run", *RULES):
            if rule == "as-run" or r["decided_by"] != "writer" or not r["texts"]:
                answer = r["draft"]
            else:
                answer = choose(rule, vote, Reading(r["texts"], r["logprobs"]))
            if answerable:
                table[(name, half(r["id"]), rule)].append(right(answer, r["golden"]))
    print("| set | half | rule | n | EM | cover-EM |")
    print("|---|---|---|--:|--:|--:|")
    for (name, part, rule), scores in sorted(table.items()):
        n = len(scores)
        em = sum(s["em"] for s in scores) / n
        cover = sum(s["cover_em"] for s in scores) / n
        print(f"| {name} | {part} | {rule} | {n} | {em:.3f} | {cover:.3f} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("score")
    s.add_argument("runs", nargs="+", help="RUN_FOLDER:INDEX")
    s.add_argument("--out", type=Path, required=True)
    r = sub.add_parser("report")
    r.add_argument("scores", type=Path)
    args = parser.parse_args(argv)
    if args.command == "score":
        score(args.runs, args.out)
    else:
        report(args.scores)


if __name__ == "__main__":
    main()


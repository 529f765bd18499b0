"""Ablations of the agent's answer step, replayed from one `scent eval` run's recorded writer views.

Writer calls run at temperature 0, so view 1 alone is exactly what `agent.views=1` would have answered over the
same passages; the other rows re-decide from the same recorded replies. "replayed" is today's rules over the
recorded replies, without `abstain_below` (the confidence needs the run's citations); with `--index`, ties are
broken by the answers' context as the agent does. Questions the program decided (dates, options, "same X") are
decided before any view and keep the program's answer; switching the program's decisions off needs a run of its
own (`--set agent.compare=false`). Each row switches one capability off:
- no voting: view 1's grounded answer only;
- no grounding: the raw replies vote (an answer found in no passage counts);
- no tie-break views: the first three views only;
- no doubt abstention: the top-voted answer is given even when more views say "unknown" than back it;
- abstain when contested (the rule before 2026-11-26): also abstain when fewer than half the views agree and,
  after tie-break views, no strict plurality of two or more backs the answer.

    .venv/bin/python bench/agent_views.py --results bench/out/eval/hotpotqa-dev [--index bench/out/miniwiki-idx]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scent.agent.answer import recorded_candidates, tally, views_abstain
from scent.agent.relevance import context_relevance
from scent.config import AgentConfig
from scent.eval.metrics import answer_scores
from scent.types import Passage

MIN_AGREEMENT = AgentConfig().min_agreement  # the agent's default share of views that settles an answer
PASSAGES: dict[str, list[Passage]] = {}  # question id → its evidence passages, when --index is given


def context(row: dict[str, Any]) -> Callable[[str], float] | None:
    passages = PASSAGES.get(row["id"])
    return None if passages is None else lambda answer: context_relevance(row["question"], answer, passages)


def decide(row: dict[str, Any], ablation: str) -> str:
    """The answer the agent would give with one capability off ("" = abstain)."""
    if row.get("decided_by") == "program":  # decided before any writer view: the program's answer stands
        return str(row["draft"])
    views = row["views"]
    if not views:  # abstained before writing (a key term absent from the corpus)
        return ""
    if ablation == "no voting":
        return str(views[0]["grounded"])
    if ablation == "no tie-break views":
        views = views[:3]

    def text(v: dict[str, Any]) -> str:
        raw = "" if str(v["answer"]).lower() in ("", "unknown") else str(v["answer"])
        return raw if ablation == "no grounding" else str(v["grounded"])

    # replies recorded before echoes of the prompt were dropped are dropped here, as the agent now does
    votes = tally(recorded_candidates(views, text), context=context(row))
    why = views_abstain(votes)
    if votes.winner is None or (why is not None and ablation != "no doubt abstention"):
        return ""
    contested = len(views) >= 3 and not (votes.agreement >= MIN_AGREEMENT or (len(views) > 3 and votes.settled))
    if contested and ablation == "abstain when contested":
        return ""
    return votes.winner.text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--index", type=Path, help="the run's index: ties broken by context as the agent does")
    args = parser.parse_args()
    rows = [json.loads(line) for line in (args.results / "results.jsonl").read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r["system"] == "agent" and not r.get("error")]
    if args.index:
        from scent.index import Index

        with Index.open(args.index) as idx:
            for r in rows:
                PASSAGES[r["id"]] = [p for p in map(idx.get, r["evidence_ids"]) if p is not None]
    print(f"{len(rows)} agent rows of {args.results}")
    print("| agent | EM (%) | F1 (%) | answered (%) |\n|---|--:|--:|--:|")
    for ablation in ("as run", "replayed", "no voting", "no grounding", "no tie-break views", "no doubt abstention",
                     "abstain when contested"):
        em = f1 = answered = 0.0
        for r in rows:
            answer = r["prediction"] if ablation == "as run" and not r["abstained"] else (
                "" if ablation == "as run" else decide(r, ablation))
            scores = answer_scores(answer, r["golden_answers"], not answer)
            em, f1, answered = em + scores["em"], f1 + scores["f1"], answered + bool(answer)
        n = len(rows)
        print(f"| {ablation} | {100 * em / n:.1f} | {100 * f1 / n:.1f} | {100 * answered / n:.1f} |")


if __name__ == "__main__":
    main()

"""Ablations of the agent's answer step, replayed from one `scent eval` run's recorded writer views.

Writer calls run at temperature 0, so view 1 alone is exactly what `agent.views=1` would have answered over the
same passages; the other rows re-decide from the same recorded replies. Questions the program decided (dates,
options, "same X") are decided before any view and keep the program's answer; switching the program's decisions
off needs a run of its own (`--set agent.compare=false`). Each row switches one capability off:
- no voting: view 1's grounded answer only;
- no grounding: the raw replies vote (an answer found in no passage counts);
- no tie-break views: the first three views only (a disagreement among them abstains);
- no disagreement abstention: the top-voted answer is given even when the views disagree (fewer than half agree,
  and after tie-break views no strict plurality of two or more).

    .venv/bin/python bench/agent_views.py --results bench/out/eval/hotpotqa-dev
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from scent.agent.answer import Candidate, plurality, vote  # noqa: E402
from scent.eval.metrics import answer_scores  # noqa: E402


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

    candidates = [Candidate(v["view"], v["answer"], text(v)) for v in views]
    winner, agreement = vote(candidates)
    if winner is None:
        return ""
    settled = agreement >= 0.5 or (len(views) > 3 and plurality(candidates, winner))  # after tie-break views
    if len(views) >= 3 and not settled and ablation != "no disagreement abstention":
        return ""
    return winner.text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, required=True)
    args = parser.parse_args()
    rows = [json.loads(line) for line in (args.results / "results.jsonl").read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r["system"] == "agent" and not r.get("error")]
    print(f"{len(rows)} agent rows of {args.results}")
    print("| agent | EM (%) | F1 (%) | answered (%) |\n|---|--:|--:|--:|")
    for ablation in ("as run", "no voting", "no grounding", "no tie-break views", "no disagreement abstention"):
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

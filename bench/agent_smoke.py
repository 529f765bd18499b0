"""Smoke numbers for the research agent on HotpotQA dev questions against the shared miniwiki corpus.

    .venv/bin/python bench/agent_smoke.py --limit 20 [--model SPEC] [--index DIR] [--out bench/out/agent_smoke]

Per question: the answer, EM against the gold answers (HotpotQA normalisation), searches, whether both gold
passages are in the run's evidence (support recall) or among the retrieved passages, seconds. The evaluation
harness (`scent eval`) will supersede this; it is here to report the agent's first numbers honestly.
"""

from __future__ import annotations

import argparse
import json
import re
import string
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def normalize(text: str) -> str:
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--model", default="llamacpp:default")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--index", type=Path, default=REPO / "bench" / "out" / "miniwiki-index")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "agent_smoke")
    args = parser.parse_args(argv)

    from scent.agent import Agent
    from scent.config import ROLES
    from scent.index import Index
    from scent.ingest.pipeline import build
    from scent.llm import load_llm
    from scent.trace import TraceWriter, read_trace

    data = args.shared / "data"
    build(args.index, [data / "miniwiki" / "corpus.jsonl"])
    questions = [json.loads(line) for line in (data / "hotpotqa" / "dev.jsonl").open()][: args.limit]
    llm = load_llm(args.model)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    with Index.open(args.index) as index:
        agent = Agent(index, dict.fromkeys(ROLES, llm))
        for q in questions:
            trace_path = args.out / f"{q['id']}.jsonl"
            trace_path.unlink(missing_ok=True)
            trace = TraceWriter(trace_path)
            started = time.monotonic()
            answer = agent.run(q["question"], trace)
            trace.close()
            events = read_trace(trace_path)
            gold = set(q["metadata"]["supporting_ids"])
            evidence = {e["passage_id"] for e in events if e["type"] == "note"}
            retrieved = {i for e in events if e["type"] == "tool_result" for i in e["ids"]}
            row = {"id": q["id"], "type": q["metadata"]["type"], "question": q["question"],
                   "gold": q["golden_answers"], "answer": answer.answer, "abstained": answer.abstained,
                   "confidence": answer.confidence,
                   "em": float(normalize(answer.answer) in {normalize(g) for g in q["golden_answers"]}),
                   "searches": answer.usage.searches, "opens": answer.usage.opens,
                   "support_both": float(gold <= evidence), "support_any": float(bool(gold & evidence)),
                   "retrieved_both": float(gold <= retrieved), "llm_calls": answer.usage.llm_calls,
                   "tokens": answer.usage.prompt_tokens + answer.usage.completion_tokens,
                   "seconds": round(time.monotonic() - started, 1)}
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    (args.out / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    n = len(rows)
    mean = {k: sum(r[k] for r in rows) / n for k in ("em", "searches", "opens", "support_both", "support_any",
                                                     "retrieved_both", "llm_calls", "tokens", "seconds")}
    abstained = sum(r["abstained"] for r in rows)
    print(f"| questions | EM | abstained | searches/q | opens/q | support both gold | support ≥1 gold | "
          f"retrieved both gold | LLM calls/q | tokens/q | s/q |\n|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n"
          f"| {n} | {mean['em']:.2f} | {abstained} | {mean['searches']:.1f} | {mean['opens']:.1f} | "
          f"{mean['support_both']:.2f} | {mean['support_any']:.2f} | {mean['retrieved_both']:.2f} | "
          f"{mean['llm_calls']:.1f} | {mean['tokens']:.0f} | {mean['seconds']:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The agent's retrieval and passage choice without a model: evidence-pool recall, gold passages in what the
writer reads, and each capability switched off in turn — against one-shot top-k retrieval, one run.

Everything here is the program's (no LLM call is made), so it runs in seconds and its ablations are exact:
- pool recall: share of gold passages among every passage a tool returned;
- writer recall: share of gold passages among the `passages` the writer reads; both-gold: both of a question's
  gold passages there;
- rag@k: the same for one search of the question at k (what the rag baseline reads).

    .venv/bin/python bench/agent_retrieval.py --index bench/out/miniwiki-idx [--retriever bm25] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from scent.agent import select
from scent.agent.context import RunContext
from scent.agent.retrieve import gather
from scent.config import AgentConfig, RetrievalConfig
from scent.index import Index
from scent.tools import Tools
from scent.trace import TraceWriter

ROOT = Path(__file__).resolve().parents[1]

ABLATIONS: dict[str, dict[str, Any]] = {
    "agent (all on)": {},
    "no phrase lookups": {"variants": False},
    "no entity hop": {"entity_hops": 0},
    "no document hop": {"document_hops": False},
    "no set rerank": {"pair_rerank": False},
    "narrow first hop (k=5)": {"wide_k": 5},
}


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def run(index: Index, questions: list[dict[str, Any]], config: AgentConfig) -> dict[str, float]:
    pool_hits = writer_hits = both = golds = 0
    absent = searches = 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for q in questions:
            gold = set(q["metadata"]["supporting_ids"])
            trace = TraceWriter(Path(tmp) / f"{q['id']}.jsonl")
            ctx = RunContext(q["question"], Tools(index), {}, trace, config)
            pool = gather(ctx, q["question"])
            chosen = {s.passage.id for s in select.choose(q["question"], pool.scored(q["question"]),
                                                          config.passages, config.pair_rerank)}
            trace.close()
            golds += len(gold)
            pool_hits += len(gold & set(ctx.retrieved))
            writer_hits += len(gold & chosen)
            both += gold <= chosen
            absent += bool(pool.absent)
            searches += ctx.counts["searches"]
    n = len(questions)
    return {"pool_recall": pool_hits / golds, "writer_recall": writer_hits / golds, "writer_both": both / n,
            "absent": absent / n, "searches": searches / n,
            "ms_per_question": 1000 * (time.perf_counter() - started) / n}


def rag(index: Index, questions: list[dict[str, Any]], k: int) -> dict[str, float]:
    hits = both = golds = 0
    for q in questions:
        gold = set(q["metadata"]["supporting_ids"])
        got = {h.id for h in index.search(q["question"], k)}
        golds += len(gold)
        hits += len(gold & got)
        both += gold <= got
    return {"writer_recall": hits / golds, "writer_both": both / len(questions)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--questions", type=Path, default=ROOT.parent / "shared/data/hotpotqa/dev.jsonl")
    parser.add_argument("--retriever", default="auto")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--sensitivity", action="store_true", help="Also rerun with each selection constant "
                        "halved and doubled (PRIOR_WEIGHT, LINK_BONUS, TITLE_BONUS), and with 3 and 5 passages.")
    args = parser.parse_args()
    questions = load(args.questions)
    rows: dict[str, dict[str, float]] = {}
    with Index.open(args.index, retrieval=RetrievalConfig(retriever=args.retriever)) as index:
        retriever = index.resolve()
        for k in (5, 10):
            rows[f"rag top-{k}"] = rag(index, questions, k)
        for name, change in ABLATIONS.items():
            rows[name] = run(index, questions, AgentConfig(**change))
        if args.sensitivity:
            for constant in ("PRIOR_WEIGHT", "LINK_BONUS", "TITLE_BONUS"):
                base = getattr(select, constant)
                for factor in (0.0, 0.5, 2.0):
                    setattr(select, constant, base * factor)
                    rows[f"{constant} × {factor:g}"] = run(index, questions, AgentConfig())
                setattr(select, constant, base)
            for n in (3, 5):
                rows[f"{n} passages"] = run(index, questions, AgentConfig(passages=n))
    print(f"{len(questions)} questions · {args.index} · retriever {retriever}")
    print("| | pool recall | writer recall | both gold in writer's | searches | absent | ms/q |")
    print("|---|--:|--:|--:|--:|--:|--:|")
    for name, r in rows.items():
        print(f"| {name} | {r.get('pool_recall', float('nan')):.3f} | {r['writer_recall']:.3f} | "
              f"{r['writer_both']:.2f} | {r.get('searches', 1):.1f} | {r.get('absent', 0):.2f} | "
              f"{r.get('ms_per_question', 0):.0f} |")
    if args.json:
        args.json.write_text(json.dumps({"retriever": retriever, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()

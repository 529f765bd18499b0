"""Does the agent gain from dense? Its retrieval (no model: the program's search phase and passage choice, as
bench/agent_retrieval.py and bench/passage_choice.py run them) on HotpotQA dev against miniwiki and on the
PostgreSQL questions, with each retriever, one run (issue 25, point 4).

Per retriever — BM25, dense, hybrid by the default fusion (CombMAX 0.3 : 0.7) and by the last default (RRF k=60
0.1 : 0.9) — through `Index.open(…, retrieval=…)`, i.e. the same `fuse` the agent's search tool calls:
- HotpotQA (50 questions, gold passage ids): the share of gold passages anywhere in the agent's evidence pool, in
  the 4 passages the writer reads, both gold read; one-shot top-5 of the question (what rag reads);
- PostgreSQL (the 40 answerable of bench/data/pg-questions.jsonl, no gold ids): bench/passage_choice's proxy for
  "the answer's passage" (holds a golden answer and the question's two rarest words) in the pool, read, top-5.
EM needs model runs (a minute a question on 2 cores) and is not measured here.

    flock /tmp/scent-cpu.lock .venv/bin/python -m bench.agent_fusion --miniwiki IDX --pg IDX --json OUT
(both indexes with vectors: `scent index ../shared/data/miniwiki/corpus.jsonl --index IDX`, `scent index
/usr/share/doc/postgresql-doc-15/html --index IDX`)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bench.agent_retrieval import run as agent_gold
from bench.passage_choice import SETS, load, measure
from scent.config import AgentConfig, RetrievalConfig
from scent.index import Index

RETRIEVERS: dict[str, RetrievalConfig] = {
    "bm25": RetrievalConfig(retriever="bm25"),
    "dense": RetrievalConfig(retriever="dense"),
    "hybrid, max 0.3:0.7 (default)": RetrievalConfig(retriever="hybrid"),
    "hybrid, rrf k=60 0.1:0.9 (last default)": RetrievalConfig(retriever="hybrid", fusion="rrf", bm25_weight=0.1,
                                                                dense_weight=0.9),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--miniwiki", type=Path, required=True)
    ap.add_argument("--pg", type=Path, required=True)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    table: dict[str, Any] = {"hotpotqa": {}, "pg": {}}
    hotpot, pg = load(SETS["hotpot"]), load(SETS["pg"])
    for name, retrieval in RETRIEVERS.items():
        with Index.open(args.miniwiki, retrieval=retrieval) as index:
            gold = agent_gold(index, hotpot, AgentConfig())
            proxy = measure(index, hotpot, AgentConfig())
        table["hotpotqa"][name] = {"pool gold": gold["pool_recall"], "read gold": gold["writer_recall"],
                                   "both read": gold["writer_both"], "top-5 gold": proxy["gold_top5"],
                                   "both top-5": proxy["both_top5"], "searches": gold["searches"],
                                   "ms/q": gold["ms_per_question"]}
        with Index.open(args.pg, retrieval=retrieval) as index:
            row = measure(index, pg, AgentConfig())
        table["pg"][name] = {"pool": row["pool"], "read": row["read"], "top-5": row["top5"],
                             "ms/q": row["ms_per_question"]}
        print(f"{name:40s} hotpot {table['hotpotqa'][name]}\n{'':40s} pg {table['pg'][name]}", file=sys.stderr)
    table["questions"] = {"hotpotqa": len(hotpot), "pg": len(pg)}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(table, indent=2))


if __name__ == "__main__":
    main()

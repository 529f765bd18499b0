"""`scent research` on broad questions over the PostgreSQL and Python docs (bench/data/research-questions.jsonl).

Per question and on average: sub-topic coverage (the share of the expected sub-topics — the sections of the chapter
that answers the question — under whose heading the report cites a verified quote), distinct passages and
documents cited, the share of the report's sentences (summary and sections) that carry a citation whose quote is
re-found verbatim in its passage here (and, for a shortened claim, whose words are the quote's), searches,
minutes, tokens.

    flock /tmp/scent-cpu.lock .venv/bin/python bench/research_bench.py \
        --index pg=bench/out/pg-idx --index py=bench/out/py-idx [--model SPEC] [--no-model] [--only ID]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from scent.agent import Agent, AgentConfig  # noqa: E402
from scent.agent.ledger import find_verbatim  # noqa: E402
from scent.agent.relevance import terms  # noqa: E402
from scent.index import Index  # noqa: E402
from scent.trace import TraceWriter  # noqa: E402

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"“])")


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(" ".join(text.split())) if s.strip()]


def score(report: dict[str, Any], subtopics: list[str], index: Index) -> dict[str, Any]:
    refs = {r["n"]: r for r in report["references"]}
    verified = {}
    for n, r in refs.items():
        passage = index.get(r["passage_id"])
        verified[n] = passage is not None and find_verbatim(passage.text, r["quote"]) is not None
    claims = [c for s in report["sections"] for c in s["claims"]] + report["summary"]
    total = cited = 0
    for c in claims:
        quotes = [refs[n]["quote"] for n in c["refs"] if verified.get(n)]
        for sentence in sentences(c["text"]):
            total += 1
            own = terms(sentence)
            cited += any(" ".join(sentence.split()).rstrip(".") in " ".join(q.split()) or
                         (own and len(own & terms(q)) / len(own) >= 0.9) for q in quotes)
    where = [(" › ".join(r["headings"]) + " " + r["title"]).lower() for n, r in refs.items() if verified[n]]
    covered = [t for t in subtopics if any(t.lower() in w for w in where)]
    return {"coverage": round(len(covered) / len(subtopics), 3), "covered": covered,
            "passages": len({r["passage_id"] for n, r in refs.items() if verified[n]}),
            "documents": len({r["path"] + "#" + str(r["source_id"]) for n, r in refs.items() if verified[n]}),
            "sentences": total, "cited_share": round(cited / total, 3) if total else 0.0,
            "sections": report["counts"]["sections"], "gaps": report["counts"]["gaps"],
            "cut": report["counts"]["claims_cut"], "status": report["status"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", type=Path, default=ROOT / "bench/data/research-questions.jsonl")
    ap.add_argument("--index", action="append", default=[], help="CORPUS=PATH (pg=…, py=…)")
    ap.add_argument("--model", default="llamacpp:default", help="model spec for every role")
    ap.add_argument("--no-model", action="store_true", help="the program alone (no writer choice of claims)")
    ap.add_argument("--set", action="append", default=[], help="research FIELD=VALUE (JSON value)")
    ap.add_argument("--only", action="append", default=[], help="question ids to run")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/out/research")
    args = ap.parse_args()
    indexes = dict(item.split("=", 1) for item in args.index)
    research: dict[str, Any] = {"choose_claims": not args.no_model}
    for item in args.set:
        key, value = item.split("=", 1)
        research[key] = json.loads(value)
    config = AgentConfig.model_validate({"research": research})
    if args.no_model:
        from scent.llm.scripted import ScriptedLLM

        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "empty.jsonl").write_text("")
        llm: Any = ScriptedLLM(args.out / "empty.jsonl")
        spec = "none"
    else:
        from scent.config import LLMConfig
        from scent.llm import load_llm

        llm = load_llm(args.model, LLMConfig(), False)
        spec = args.model
    llms = {role: llm for role in ("planner", "searcher", "reader", "writer", "judge")}
    rows = []
    args.out.mkdir(parents=True, exist_ok=True)
    for line in args.questions.read_text().splitlines():
        q = json.loads(line)
        if (args.only and q["id"] not in args.only) or q["corpus"] not in indexes:
            continue
        with Index.open(indexes[q["corpus"]]) as index:
            trace = TraceWriter(args.out / f"{q['id']}.trace.jsonl")
            started = time.monotonic()
            answer = Agent(index, llms, config).run(q["question"], trace, "report")
            minutes = (time.monotonic() - started) / 60
            trace.close()
            report = answer.report_data or {"references": [], "sections": [], "summary": [], "status": "empty",
                                            "counts": {"sections": 0, "gaps": 0, "claims_cut": 0}}
            (args.out / f"{q['id']}.md").write_text(answer.report or "")
            row = {"id": q["id"], **score(report, q["subtopics"], index), "searches": answer.usage.searches,
                   "minutes": round(minutes, 2),
                   "tokens": answer.usage.prompt_tokens + answer.usage.completion_tokens}
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    keys = ["coverage", "passages", "documents", "cited_share", "searches", "minutes", "tokens"]
    mean = {k: round(sum(r[k] for r in rows) / len(rows), 3) for k in keys} if rows else {}
    (args.out / "results.json").write_text(json.dumps({"model": spec, "config": config.research.model_dump(),
                                                       "rows": rows, "mean": mean}, indent=2))
    print(f"model: {spec}\n")
    print("| question | coverage | passages cited | documents cited | sentences cited | searches | minutes | tokens |")
    print("|---|---|---|---|---|---|---|---|")
    for r in [*rows, {"id": "**mean**", **mean}]:
        print(f"| {r['id']} | {r['coverage']:.2f} | {r['passages']} | {r['documents']} | {r['cited_share']:.2f} | "
              f"{r['searches']} | {r['minutes']} | {r['tokens']} |")


if __name__ == "__main__":
    main()

"""`scent research` on broad questions over the PostgreSQL and Python docs (bench/data/research-questions.jsonl).

Each question has hand-written expected sections (`match`: words a section's title or heading path holds when it
is that section), the words of its subject (a section whose title or heading path holds none of them, and that is
no expected section, is off topic) and its facets (what each section must say, with the cue words of a sentence
that says it; no cue words: any cited sentence of the section). Per report:
- on topic: the share of the report's sections that are an expected section or name the subject;
- facet coverage: per expected section and facet, whether a cited sentence of a report section that is that
  section answers the facet (a missing section answers none);
- sentences cited: the share of the report's sentences (summary and sections) that carry a citation whose quote
  is re-found verbatim in its passage here (and, for a shortened claim, whose words are the quote's);
- documents and passages cited, searches, minutes, tokens.
Questions are split into a tuning half and a held-back half by a hash of their id (`half`); report them apart.

    flock /tmp/scent-cpu.lock .venv/bin/python bench/research_bench.py \
        --index pg=bench/out/pg-idx --index py=bench/out/py-idx [--model SPEC] [--no-model] [--only ID] [--half test]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

from scent.agent import Agent, AgentConfig
from scent.agent.ledger import find_verbatim
from scent.agent.relevance import terms
from scent.index import Index
from scent.research.run import Researcher
from scent.trace import TraceWriter

ROOT = Path(__file__).resolve().parents[1]

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"“])")


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(" ".join(text.split())) if s.strip()]


def half(question_id: str) -> str:
    """tune | test: the question's half, by a hash of its id (stable, not chosen by hand)."""
    return "tune" if int(hashlib.sha1(question_id.encode()).hexdigest(), 16) % 2 == 0 else "test"


def _holds(text: str, words: list[str]) -> bool:
    text = " " + re.sub(r"[^a-z0-9_+-]+", " ", text.lower()) + " "
    return any(re.search(r"(?<![a-z0-9])" + re.escape(w.lower()), text) for w in words)


def _answers(sentence: str, cues: list[str]) -> bool:
    return not cues or any(re.search(r"\b" + re.escape(c) + r"\b", sentence, re.I) for c in cues)


def score(report: dict[str, Any], q: dict[str, Any], index: Any) -> dict[str, Any]:
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
    written = [s for s in report["sections"] if s["claims"]]

    def where(s: dict[str, Any]) -> str:
        return f"{s['title']} {' '.join(s['heading'])}"

    def expected(s: dict[str, Any], e: dict[str, Any]) -> bool:
        return _holds(where(s), e["match"])

    on_topic = [s["title"] for s in written if any(expected(s, e) for e in q["sections"])
                or _holds(where(s), q["subject"])]
    answered = 0
    missing: list[str] = []
    for e in q["sections"]:
        said = [c["text"] for s in written if expected(s, e) for c in s["claims"]
                if any(verified.get(n) for n in c["refs"])]
        for f in q["facets"]:
            ok = any(_answers(t, f["cues"]) for t in said)
            answered += ok
            if not ok:
                missing.append(f"{e['title']}: {f['name']}")
    facets = len(q["sections"]) * len(q["facets"])
    return {"on_topic": round(len(on_topic) / len(written), 3) if written else 0.0,
            "off_topic": [s["title"] for s in written if s["title"] not in on_topic],
            "facet_coverage": round(answered / facets, 3) if facets else 0.0, "facets_missing": missing,
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
    ap.add_argument("--half", choices=["tune", "test"], help="only the questions of this half (by id hash)")
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
        if (args.only and q["id"] not in args.only) or q["corpus"] not in indexes or (
                args.half and half(q["id"]) != args.half):
            continue
        with Index.open(indexes[q["corpus"]]) as index:
            trace = TraceWriter(args.out / f"{q['id']}.trace.jsonl")
            started = time.monotonic()
            answer = Researcher(Agent(index, llms, config)).run(q["question"], trace)
            minutes = (time.monotonic() - started) / 60
            trace.close()
            report = answer.report_data or {"references": [], "sections": [], "summary": [], "status": "empty",
                                            "counts": {"sections": 0, "gaps": 0, "claims_cut": 0}}
            (args.out / f"{q['id']}.md").write_text(answer.report or "")
            row = {"id": q["id"], "half": half(q["id"]), **score(report, q, index),
                   "searches": answer.usage.searches,
                   "minutes": round(minutes, 2),
                   "tokens": answer.usage.prompt_tokens + answer.usage.completion_tokens}
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    keys = ["on_topic", "facet_coverage", "cited_share", "passages", "documents", "searches", "minutes", "tokens"]
    means = {h: {k: round(sum(r[k] for r in rs) / len(rs), 3) for k in keys}
             for h in ("tune", "test") if (rs := [r for r in rows if r["half"] == h])}
    (args.out / "results.json").write_text(json.dumps({"model": spec, "config": config.research.model_dump(),
                                                       "rows": rows, "mean": means}, indent=2))
    print(f"model: {spec}\n")
    print("| question | half | on topic | facet coverage | sentences cited | passages cited | documents cited | "
          "searches | minutes | tokens |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in [*rows, *({"id": f"**mean, {h}**", "half": h, **m} for h, m in means.items())]:
        print(f"| {r['id']} | {r['half']} | {r['on_topic']:.2f} | {r['facet_coverage']:.2f} | {r['cited_share']:.2f} "
              f"| {r['passages']} | {r['documents']} | {r['searches']} | {r['minutes']} | {r['tokens']} |")


if __name__ == "__main__":
    main()

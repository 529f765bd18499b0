"""BM25's heading field (issue 23): the one-field layout against API signatures as headings plus a weighted
`heading` field, side by side in one run, on every corpus at hand; the weight is chosen on the tune halves.

Indexes (BM25 only, `--no-vectors`), built beforehand by `scent index`:
- before: the code before the change (one `text` field, no signature headings), e.g. from a `git worktree`;
- after: this code (signature headings in HTML, the `heading` field), searched at each weight of `--weights`
  (0 = the text field alone over the new passages: what the signature headings alone do).

Measures, each per half (tune/test by `scent.eval.calibration.in_fit_part(id, 0.5)`, as the other benches split):
- dbpedia: BEIR DBpedia-Entity 5k, nDCG@10 and recall@100 (`bench/retrieval_bench.py`'s pytrec_eval semantics);
- hotpot: HotpotQA dev (50) on miniwiki (12,110 passages): recall@10 of each gold passage, both gold in top 10;
- pg, py: the PostgreSQL / Python docs question sets (answerable ones): share of questions with the answer's
  passage (`bench/passage_choice.py`'s proxy and hand verdicts) in the top 5 / 10 of `Index.search` (duplicate
  groups collapsed, as users and the agent see it);
- probes: rank of the page expected for a few API queries on the Python docs (issue 23: "logging basicConfig").

    flock /tmp/scent-cpu.lock .venv/bin/python bench/heading_field.py --before /work/idx23/before- \\
        --after /work/idx23/after- [--weights 0,0.25,0.5,1,2] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from passage_choice import JUDGED, SETS, answer_passage, half, load, rare_words
from retrieval_bench import ndcg, recall

from scent.index import Index

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
PROBES = {"logging basicConfig": "library/logging.html", "lru_cache maxsize": "library/functools.html",
          "subprocess run shell": "library/subprocess.html", "asyncio gather": "library/asyncio-task.html",
          "json dumps indent": "library/json.html", "heapq heappush": "library/heapq.html"}


def mean(values: list[float]) -> float:
    return round(statistics.mean(values), 4) if values else float("nan")


def by_half(rows: list[tuple[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    out = {}
    for part in ("tune", "test", "all"):
        chosen = [m for qid, m in rows if part == "all" or half(qid) == part]
        out[part] = {key: mean([m[key] for m in chosen]) for key in rows[0][1]} | {"n": len(chosen)}
    return out


def dbpedia(idx: Index) -> dict[str, dict[str, float]]:
    from scent.eval.datasets import load_beir

    beir = load_beir(SHARED / "beir-dbpedia-5k")
    qrels = beir.qrels
    rows = []
    for qid, text in beir.queries.items():
        run = dict(idx.ranked(text, 100, "bm25"))
        rows.append((qid, {"ndcg@10": ndcg(run, qrels[qid]), "recall@100": recall(run, qrels[qid])}))
    return by_half(rows)


def hotpot(idx: Index) -> dict[str, dict[str, float]]:
    rows = []
    for q in map(json.loads, (SHARED / "hotpotqa" / "dev.jsonl").open()):
        gold = q["metadata"]["supporting_ids"]
        top10 = {pid for pid, _ in idx.ranked(q["question"], 10, "bm25")}
        rows.append((q["id"], {"recall@10 each": mean([float(g in top10) for g in gold]),
                               "both@10": float(all(g in top10 for g in gold))}))
    return by_half(rows)


def docs(idx: Index, name: str) -> dict[str, dict[str, float]]:
    rows = []
    for q in load(SETS[name]):
        rare, judged = rare_words(q["question"]), JUDGED.get(q["id"], {})
        hits = idx.search(q["question"], 10, retriever="bm25")
        marks = [answer_passage(h, q["golden_answers"], rare, judged) for h in hits]
        rows.append((q["id"], {"answer@5": float(any(marks[:5])), "answer@10": float(any(marks))}))
    return by_half(rows)


def probes(idx: Index) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for query, page in PROBES.items():
        paths = [h.path for h in idx.search(query, 20, retriever="bm25")]
        out[query] = paths.index(page) + 1 if page in paths else None
    return out


def pg(idx: Index) -> dict[str, dict[str, float]]:
    return docs(idx, "pg")


def py(idx: Index) -> dict[str, dict[str, float]]:
    return docs(idx, "py")


CORPORA: dict[str, Callable[[Index], dict[str, Any]]] = {"dbpedia": dbpedia, "hotpot": hotpot, "pg": pg, "py": py}
INDEX_OF = {"dbpedia": "dbpedia", "hotpot": "miniwiki", "pg": "pg", "py": "py"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True, help="prefix of the before indexes (PREFIX{py,pg,dbpedia,miniwiki})")
    ap.add_argument("--after", required=True, help="prefix of the after indexes")
    ap.add_argument("--weights", default="0,0.25,0.5,1,2")
    ap.add_argument("--corpora", default="dbpedia,hotpot,pg,py")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    weights = [float(w) for w in args.weights.split(",")]
    report: dict[str, Any] = {}
    for corpus in args.corpora.split(","):
        measure = CORPORA[corpus]
        name = INDEX_OF[corpus]
        result: dict[str, Any] = {}
        with Index.open(args.before + name) as before:
            before.bm25_fields = ("text",)
            result["before"] = measure(before)
            if corpus == "py":
                result["before"]["probes"] = probes(before)
        with Index.open(args.after + name) as after:
            for w in weights:
                after.heading_weight = w
                result[f"after w={w:g}"] = measure(after)
                if corpus == "py":
                    result[f"after w={w:g}"]["probes"] = probes(after)
        report[corpus] = result
        for variant, halves in result.items():
            cells = "  ".join(f"{part}: " + " ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                                      for k, v in m.items())
                              for part, m in halves.items() if part != "probes")
            print(f"{corpus:8} {variant:12} {cells}", flush=True)
            if "probes" in halves:
                print(f"{'':8} {'':12} probes (rank of the page): {halves['probes']}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

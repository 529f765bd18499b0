"""Index build and BM25 query speed: scent vs raw tantivy, bm25s and SQLite FTS5, side by side in one run.

    .venv/bin/python bench/index_bench.py [--size 200000] [--queries 1000] [--skip-large] [--json OUT]
        [--engines scent,tantivy,bm25s,fts5] [--shared ../shared] [--rounds 2] [--build-rounds 2] [--workdir DIR]

Every engine gets exactly the same passages (id, title, text), read from the same JSONL file, and indexes
title + "\\n" + text as one field. Build time includes reading and parsing that JSONL file (scent's `build` reads
the file itself, so the others do too); writing the file is not timed. Corpora:

- miniwiki: `<shared>/data/miniwiki/corpus.jsonl` (12,110 Wikipedia passages);
- synthetic: `--size` passages (default 200,000) generated deterministically from miniwiki sentences;
- beir-dbpedia-5k: retrieval quality only (nDCG@10, recall@100 as pytrec_eval computes them).

Queries (speed): `--queries` deterministic keyword queries of 3-6 content words drawn from random passages of the
corpus, the same list for every engine; single-query, top-10, after a warm-up of 50. Builds and query passes are
repeated round-robin over the engines (`--build-rounds`, `--rounds`) and the fastest counts, so that load from other
processes hits every engine alike: the ratios to raw tantivy within one run are what count. Progress goes to
stderr, a markdown report to stdout.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import re
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

REPO = Path(__file__).resolve().parent.parent
HEAP_MB = 256  # the same writer memory budget as scent's default (SearchConfig.writer_heap_mb)
WARMUP = 50
SEED = 20240601

Record = tuple[str, str, str]  # (id, title, text)
Search = Callable[[str, int], list[str]]

# Query generation only: keeps generated queries to content words (a user's keywords, not "of the and").
_STOPWORDS_TEXT = """a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from further had has have having
he her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now
of off on once only or other our ours ourselves out over own same she should so some such than that the their theirs
them themselves then there these they this those through to too under until up very was we were what when where which
while who whom why will with would you your yours yourself yourselves one two three first second new later became
known many may might must since upon within without among around however although"""
_QUERY_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_WORD = re.compile(r"[^\W\d_]{3,}")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- retrieval metrics (pytrec_eval / BEIR definitions) ----------------------------------------------------------


def ndcg_at_k(ranked: Sequence[str], qrels: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k as trec_eval's `ndcg_cut`: gain = graded relevance (linear), discount log2(rank + 1), ideal DCG
    from the judged grades sorted best first. 0 when no judgement has a positive grade."""
    dcg = sum(qrels.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranked[:k]))
    ideal = sorted((g for g in qrels.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 2) for rank, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(ranked: Sequence[str], qrels: Mapping[str, int], k: int = 100) -> float:
    """Share of the documents judged relevant (grade > 0) found in the top k."""
    relevant = {doc for doc, g in qrels.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def _check_metrics() -> None:
    """A hand-computed example: qrels d1=2, d2=1, d3=0, d4=1; ranking d3, d1, d5, d2.
    DCG = 0/log2(2) + 2/log2(3) + 0/log2(4) + 1/log2(5) = 1.26186 + 0.43068 = 1.69254;
    IDCG = 2/log2(2) + 1/log2(3) + 1/log2(4) = 2 + 0.63093 + 0.5 = 3.13093; nDCG = 0.54059.
    recall = |{d1, d2}| / |{d1, d2, d4}| = 2/3; recall@2 = 1/3 (only d1 in the top 2)."""
    qrels = {"d1": 2, "d2": 1, "d3": 0, "d4": 1}
    ranked = ["d3", "d1", "d5", "d2"]
    assert abs(ndcg_at_k(ranked, qrels, 10) - 0.540590) < 1e-5, ndcg_at_k(ranked, qrels, 10)
    assert abs(recall_at_k(ranked, qrels, 100) - 2 / 3) < 1e-12
    assert abs(recall_at_k(ranked, qrels, 2) - 1 / 3) < 1e-12
    assert ndcg_at_k(["d1", "d2", "d4"], qrels) == 1.0
    assert ndcg_at_k(["x"], {"x": 0}) == 0.0 and recall_at_k(["x"], {"x": 0}) == 0.0


# -- corpora and queries ---------------------------------------------------------------------------------------


def read_jsonl(path: Path) -> Iterator[Record]:
    """(id, title, text) of each line of a scent or BEIR corpus file."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                obj = json.loads(line)
                yield str(obj.get("_id", obj.get("id"))), (obj.get("title") or "").strip(), obj["text"]


def write_jsonl(path: Path, records: Sequence[Record]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for pid, title, text in records:
            f.write(json.dumps({"id": pid, "title": title, "text": text}, ensure_ascii=False) + "\n")


def generate_corpus(source: Sequence[Record], size: int, seed: int = SEED) -> list[Record]:
    """`size` passages of 100-200 words, each made of real sentences drawn at random from `source`, titled with a
    source title plus a number. Deterministic for a given source, size and seed."""
    rng = random.Random(seed)
    sentences = [s for _, _, text in source for s in _SENTENCE_END.split(text) if len(s.split()) >= 4]
    titles = sorted({title for _, title, _ in source if title})
    records = []
    for i in range(size):
        target, words, parts = rng.randint(100, 200), 0, []
        while words < target:
            s = sentences[rng.randrange(len(sentences))]
            parts.append(s)
            words += len(s.split())
        records.append((f"gen-{i:07d}", f"{rng.choice(titles)} {rng.randrange(1000)}", " ".join(parts)))
    return records


def make_queries(records: Sequence[Record], n: int, seed: int = SEED) -> list[str]:
    """`n` keyword queries: 3-6 distinct content words, in passage order, from a random passage's title + text."""
    rng = random.Random(seed)
    queries: list[str] = []
    while len(queries) < n:
        _, title, text = records[rng.randrange(len(records))]
        words = list(dict.fromkeys(w for w in _WORD.findall(f"{title} {text}".lower()) if w not in _QUERY_STOPWORDS))
        if len(words) < 3:
            continue
        picked = sorted(rng.sample(range(len(words)), min(len(words), rng.randint(3, 6))))
        queries.append(" ".join(words[i] for i in picked))
    return queries


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# -- engines: build(jsonl, dir) then search(query, k) -> ids -------------------------------------------------------


class Engine(Protocol):
    name: str
    notes: str

    def build(self, jsonl: Path, workdir: Path) -> None: ...

    def search(self, query: str, k: int) -> list[str]: ...

    def query_modes(self) -> dict[str, Search]: ...

    def size_bytes(self) -> int: ...

    def close(self) -> None: ...


class ScentEngine:
    """scent's own pipeline: `scent.ingest.pipeline.build` on the JSONL file, `Index.search` to query."""

    name = "scent"
    notes = ("`build()` on the JSONL file (passage store in SQLite + tantivy); size = whole index folder; "
             "QPS via `Index.search` (reload + BM25 + SQLite fetch + snippet)")

    def build(self, jsonl: Path, workdir: Path) -> None:
        from scent.config import IngestConfig
        from scent.index import Index
        from scent.ingest.pipeline import build

        self.dir = workdir / "scent"
        # the default 50 MB file-size limit would skip a large corpus file: lift it, nothing else changes
        summary = build(self.dir, [jsonl], config=IngestConfig(max_file_mb=1 << 20), progress=None)
        if summary.skipped or summary.partial:
            raise RuntimeError(f"scent skipped or partially read the corpus: {summary}")
        self.index = Index.open(self.dir)

    def search(self, query: str, k: int) -> list[str]:
        return [hit.id for hit in self.index.search(query, k)]

    def search_bm25_only(self, query: str, k: int) -> list[str]:
        from scent.index import bm25

        return [pid for pid, _ in bm25.search(self.index.tantivy, query, k)]

    def query_modes(self) -> dict[str, Search]:
        return {"scent": self.search, "scent, BM25 only": self.search_bm25_only}

    def size_bytes(self) -> int:
        return dir_size(self.dir)

    def tantivy_bytes(self) -> int:
        return dir_size(self.dir / "tantivy")

    def close(self) -> None:
        self.index.close()


class TantivyEngine:
    """A minimal tantivy script: id (raw, stored) + text (en_stem), one writer, one commit."""

    name = "tantivy"
    notes = "raw tantivy 0.27: id raw/stored + text en_stem, heap 256 MB, one commit; one searcher reused"

    def build(self, jsonl: Path, workdir: Path) -> None:
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("text", stored=False, tokenizer_name="en_stem")
        self.dir = workdir / "tantivy"
        self.dir.mkdir(parents=True)
        self.index = tantivy.Index(builder.build(), path=str(self.dir))
        writer = self.index.writer(HEAP_MB * 1024 * 1024)
        for pid, title, text in read_jsonl(jsonl):
            writer.add_document(tantivy.Document(id=pid, text=f"{title}\n{text}"))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()

    def search(self, query: str, k: int) -> list[str]:
        parsed, _errors = self.index.parse_query_lenient(query, ["text"])
        result = self.searcher.search(parsed, k, count=False)
        return [self.searcher.doc(address)["id"][0] for _score, address in result.hits]

    def query_modes(self) -> dict[str, Search]:
        return {self.name: self.search}

    def size_bytes(self) -> int:
        return dir_size(self.dir)

    def close(self) -> None:
        pass


class Bm25sEngine:
    """bm25s (default method "lucene", k1=1.5, b=0.75) with PyStemmer English stemming and English stopwords."""

    name = "bm25s"
    notes = "bm25s 0.3.16, numpy backend, PyStemmer english + english stopwords; size = `save()` folder + ids"

    def build(self, jsonl: Path, workdir: Path) -> None:
        import bm25s
        import Stemmer

        self.stemmer = Stemmer.Stemmer("english")
        records = list(read_jsonl(jsonl))
        self.ids = [pid for pid, _, _ in records]
        texts = [f"{title}\n{text}" for _, title, text in records]
        del records
        tokens = bm25s.tokenize(texts, stopwords="en", stemmer=self.stemmer, show_progress=False)
        del texts
        self.retriever = bm25s.BM25()
        self.retriever.index(tokens, show_progress=False)
        self.dir = workdir / "bm25s"
        self.retriever.save(str(self.dir), show_progress=False)
        (self.dir / "ids.json").write_text(json.dumps(self.ids))

    def search(self, query: str, k: int) -> list[str]:
        import bm25s

        tokens = bm25s.tokenize([query], stopwords="en", stemmer=self.stemmer, return_ids=False, show_progress=False)
        if not any(t in self.retriever.vocab_dict for t in tokens[0]):
            return []
        docs, scores = self.retriever.retrieve(tokens, k=min(k, len(self.ids)), show_progress=False)
        return [self.ids[int(d)] for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    def query_modes(self) -> dict[str, Search]:
        return {self.name: self.search}

    def size_bytes(self) -> int:
        return dir_size(self.dir)

    def close(self) -> None:
        pass


class Fts5Engine:
    """SQLite FTS5, contentless, porter stemming; a query is the OR of its quoted terms, ranked by bm25()."""

    name = "fts5"
    notes = ("SQLite FTS5, tokenize='porter unicode61', content='' (ids in a side table), 'optimize' after "
             "loading; OR of quoted terms, ORDER BY bm25() LIMIT k (scent/tantivy/bm25s are OR queries too)")
    _TERM = re.compile(r"\w+")

    def build(self, jsonl: Path, workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.path = workdir / "fts5.sqlite"
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("CREATE VIRTUAL TABLE p USING fts5(body, content='', tokenize='porter unicode61')")
        self.db.execute("CREATE TABLE ids (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL)")
        self.db.execute("BEGIN")
        for rowid, (pid, title, text) in enumerate(read_jsonl(jsonl), start=1):
            self.db.execute("INSERT INTO ids VALUES (?, ?)", (rowid, pid))
            self.db.execute("INSERT INTO p (rowid, body) VALUES (?, ?)", (rowid, f"{title}\n{text}"))
        self.db.execute("COMMIT")
        self.db.execute("INSERT INTO p (p) VALUES ('optimize')")

    def search(self, query: str, k: int) -> list[str]:
        terms = self._TERM.findall(query)
        if not terms:
            return []
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        rows = self.db.execute(
            "SELECT ids.id FROM (SELECT rowid, bm25(p) AS score FROM p WHERE p MATCH ? ORDER BY score LIMIT ?) AS r "
            "JOIN ids ON ids.rowid = r.rowid ORDER BY r.score", (match, k))
        return [row[0] for row in rows]

    def query_modes(self) -> dict[str, Search]:
        return {self.name: self.search}

    def size_bytes(self) -> int:
        return self.path.stat().st_size

    def close(self) -> None:
        self.db.close()


ENGINES: dict[str, Callable[[], Engine]] = {
    "tantivy": TantivyEngine, "scent": ScentEngine, "bm25s": Bm25sEngine, "fts5": Fts5Engine}


# -- measuring ---------------------------------------------------------------------------------------------------


@dataclass
class SpeedRow:
    engine: str
    passages: int
    build_s: float | None = None
    passages_per_s: float | None = None
    size_mb: float | None = None
    qps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    top10_overlap: float | None = None  # mean share of raw tantivy's top-10 in this engine's top-10
    build_ratio: float | None = None
    qps_ratio: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def time_queries(search: Search, queries: Sequence[str], k: int = 10) -> tuple[list[float], list[list[str]]]:
    for q in queries[:WARMUP]:
        search(q, k)
    latencies, results = [], []
    for q in queries:
        t0 = time.perf_counter()
        ids = search(q, k)
        latencies.append(time.perf_counter() - t0)
        results.append(ids)
    return latencies, results


def count_records(jsonl: Path) -> int:
    with open(jsonl, "rb") as f:
        return sum(1 for line in f if line.strip())


def bench_corpus(label: str, jsonl: Path, queries: Sequence[str], engines: Sequence[str], workdir: Path,
                 rounds: int = 2, build_rounds: int = 2) -> list[SpeedRow]:
    """Build every engine in turn, `build_rounds` times round-robin (each build from scratch), then time the queries
    of every engine, `rounds` times round-robin, so that a burst of load from other processes on this shared machine
    hits all engines alike; each engine keeps its fastest build and its fastest pass over the queries."""
    n = count_records(jsonl)  # also brings the file into the page cache before the first timed build
    built: dict[str, tuple[Engine, float]] = {}  # name -> (latest build, fastest build seconds)
    for round_ in range(1, build_rounds + 1):
        for name in engines:
            if name in built:  # rebuild from scratch
                built[name][0].close()
                shutil.rmtree(workdir / name, ignore_errors=True)
            engine = ENGINES[name]()
            gc.collect()
            log(f"{label}: build round {round_}: {name} on {n:,} passages")
            t0 = time.perf_counter()
            engine.build(jsonl, workdir / name)
            build_s = time.perf_counter() - t0
            log(f"{label}: build round {round_}: {name} built in {build_s:.1f} s ({n / build_s:,.0f} passages/s); "
                f"peak RSS so far {peak_rss_mb():,.0f} MB")
            built[name] = (engine, min(build_s, built[name][1]) if name in built else build_s)
    modes: list[tuple[SpeedRow, Search]] = []
    for name, (engine, build_s) in built.items():
        for mode, search in engine.query_modes().items():
            row = SpeedRow(mode, n)
            if mode == name:
                row.build_s, row.passages_per_s, row.size_mb = build_s, n / build_s, engine.size_bytes() / 1e6
                if isinstance(engine, ScentEngine):
                    row.extra["tantivy_mb"] = engine.tantivy_bytes() / 1e6
            modes.append((row, search))
    best: dict[str, list[float]] = {}
    results: dict[str, list[list[str]]] = {}
    for round_ in range(1, rounds + 1):
        for row, search in modes:
            latencies, results[row.engine] = time_queries(search, queries)
            log(f"{label}: round {round_}: {row.engine}: {len(queries) / sum(latencies):,.0f} queries/s")
            if row.engine not in best or sum(latencies) < sum(best[row.engine]):
                best[row.engine] = latencies
    for engine, _ in built.values():
        engine.close()
    shutil.rmtree(workdir, ignore_errors=True)
    rows = [row for row, _ in modes]
    for row in rows:
        latencies = sorted(best[row.engine])
        row.qps = len(latencies) / sum(latencies)
        row.p50_ms = statistics.median(latencies) * 1e3
        row.p99_ms = latencies[int(0.99 * (len(latencies) - 1))] * 1e3
    base = next((r for r in rows if r.engine == "tantivy"), None)
    for row in rows:
        if base is not None:
            row.qps_ratio = row.qps / base.qps
            if row.passages_per_s and base.passages_per_s:
                row.build_ratio = row.passages_per_s / base.passages_per_s
            row.top10_overlap = statistics.mean(
                overlap(a, b) for a, b in zip(results[row.engine], results["tantivy"], strict=True))
    return rows


def overlap(a: Sequence[str], b: Sequence[str]) -> float:
    """Share of the longer of two result lists found in both (1 when both are empty)."""
    return len(set(a) & set(b)) / max(len(a), len(b)) if a or b else 1.0


@dataclass
class QualityRow:
    engine: str
    ndcg10: float
    recall100: float
    queries: int


def bench_quality(dataset: Path, engines: Sequence[str], workdir: Path) -> list[QualityRow]:
    queries = dict(_queries(dataset / "queries.jsonl"))
    qrels: dict[str, dict[str, int]] = {}
    with open(dataset / "qrels" / "test.tsv", encoding="utf-8") as f:
        next(f)  # header
        for line in f:
            qid, doc, grade = line.rstrip("\n").split("\t")
            qrels.setdefault(qid, {})[doc] = int(grade)
    judged = [qid for qid in qrels if qid in queries]  # pytrec_eval scores the queries that have judgements
    rows = []
    for name in engines:
        engine = ENGINES[name]()
        log(f"{dataset.name}: building {name}")
        engine.build(dataset / "corpus.jsonl", workdir / name)
        ranked = {qid: engine.search(queries[qid], 100) for qid in judged}
        rows.append(QualityRow(name, statistics.mean(ndcg_at_k(ranked[q], qrels[q], 10) for q in judged),
                               statistics.mean(recall_at_k(ranked[q], qrels[q], 100) for q in judged), len(judged)))
        log(f"{dataset.name}: {name}: nDCG@10 {rows[-1].ndcg10:.4f}, recall@100 {rows[-1].recall100:.4f}")
        engine.close()
        shutil.rmtree(workdir / name, ignore_errors=True)
    return rows


def _queries(path: Path) -> Iterator[tuple[str, str]]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                obj = json.loads(line)
                yield str(obj["_id"]), obj["text"]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- report ------------------------------------------------------------------------------------------------------


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def speed_table(rows: Sequence[SpeedRow]) -> str:
    lines = ["| engine | build s | passages/s | build ×tantivy | size MB | QPS | QPS ×tantivy | p50 ms | p99 ms "
             "| top-10 overlap with tantivy |",
             "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for r in rows:
        size = _fmt(r.size_mb, ",.1f") + (f" (tantivy {r.extra['tantivy_mb']:,.1f})" if "tantivy_mb" in r.extra else "")
        lines.append(f"| {r.engine} | {_fmt(r.build_s, ',.1f')} | {_fmt(r.passages_per_s, ',.0f')} "
                     f"| {_fmt(r.build_ratio, '.2f')} | {size} | {r.qps:,.0f} | {_fmt(r.qps_ratio, '.2f')} "
                     f"| {r.p50_ms:.2f} | {r.p99_ms:.2f} | {_fmt(r.top10_overlap, '.3f')} |")
    return "\n".join(lines)


def quality_table(rows: Sequence[QualityRow]) -> str:
    lines = ["| engine | nDCG@10 | recall@100 | queries |", "|---|--:|--:|--:|"]
    lines += [f"| {r.engine} | {r.ndcg10:.4f} | {r.recall100:.4f} | {r.queries} |" for r in rows]
    return "\n".join(lines)


def targets(corpora: Mapping[str, Sequence[SpeedRow]], quality: Sequence[QualityRow]) -> list[str]:
    out = []
    for label, rows in corpora.items():
        scent = next((r for r in rows if r.engine == "scent"), None)
        if scent and scent.build_ratio is not None and scent.qps_ratio is not None:
            out.append(f"- {label}: scent build {scent.build_ratio:.2f}× raw tantivy (target ≥ 0.8: "
                       f"{'met' if scent.build_ratio >= 0.8 else 'missed'}), QPS {scent.qps_ratio:.2f}× "
                       f"(target ≥ 0.8: {'met' if scent.qps_ratio >= 0.8 else 'missed'})")
    by_name = {r.engine: r for r in quality}
    if "scent" in by_name and "bm25s" in by_name:
        s, b = by_name["scent"], by_name["bm25s"]
        out.append(f"- beir-dbpedia-5k: scent nDCG@10 {s.ndcg10:.4f} vs bm25s {b.ndcg10:.4f} (target scent ≥ bm25s: "
                   f"{'met' if s.ndcg10 >= b.ndcg10 else 'missed'}); recall@100 {s.recall100:.4f} vs {b.recall100:.4f}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--size", type=int, default=200_000, help="passages in the generated corpus")
    parser.add_argument("--queries", type=int, default=1000, help="timed queries per corpus and engine")
    parser.add_argument("--skip-large", action="store_true", help="only miniwiki and beir-dbpedia-5k")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--engines", default="scent,tantivy,bm25s,fts5", help="comma-separated subset")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="the shared data folder")
    parser.add_argument("--rounds", type=int, default=2, help="timed passes over the queries; the fastest counts")
    parser.add_argument("--build-rounds", type=int, default=2, help="builds per engine; the fastest counts")
    parser.add_argument("--workdir", type=Path, help="where indexes are built (default: a temporary folder)")
    args = parser.parse_args(argv)
    _check_metrics()
    wanted = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = [e for e in wanted if e not in ENGINES]
    if unknown:
        parser.error(f"unknown engine(s) {unknown}; choose from {list(ENGINES)}")
    engines = [e for e in ENGINES if e in wanted]  # raw tantivy first: the baseline of the ratios
    data = args.shared / "data"
    miniwiki = data / "miniwiki" / "corpus.jsonl"
    if not miniwiki.exists():
        parser.error(f"{miniwiki} not found: pass --shared PATH")

    workroot = Path(tempfile.mkdtemp(prefix="scent-bench-", dir=args.workdir))
    corpora: dict[str, list[SpeedRow]] = {}
    try:
        source = list(read_jsonl(miniwiki))
        corpora[f"miniwiki ({len(source):,} passages)"] = bench_corpus(
            "miniwiki", miniwiki, make_queries(source, args.queries), engines, workroot / "miniwiki", args.rounds,
            args.build_rounds)
        if not args.skip_large:
            log(f"generating {args.size:,} passages (seed {SEED})")
            generated = generate_corpus(source, args.size)
            queries = make_queries(generated, args.queries, seed=SEED + 1)
            jsonl = workroot / "generated.jsonl"
            write_jsonl(jsonl, generated)
            words = sum(len(t.split()) for _, _, t in generated) / len(generated)
            log(f"wrote {jsonl} ({jsonl.stat().st_size / 1e6:,.0f} MB, {words:.0f} words/passage on average)")
            del generated
            corpora[f"generated ({args.size:,} passages)"] = bench_corpus(
                "generated", jsonl, queries, engines, workroot / "generated", args.rounds,
                args.build_rounds)
            jsonl.unlink()
        quality = bench_quality(data / "beir-dbpedia-5k", engines, workroot / "dbpedia")
    finally:
        shutil.rmtree(workroot, ignore_errors=True)

    import tantivy

    print(f"# bench/index_bench.py — {date.today().isoformat()}\n")
    print(f"Machine: {os.cpu_count()} CPUs; Python {sys.version.split()[0]}; "
          f"{getattr(tantivy, '__version__', 'tantivy 0.27')}; SQLite {sqlite3.sqlite_version}. "
          f"{args.queries} single queries, top-10, after {WARMUP} warm-up queries, best of {args.rounds} "
          f"round-robin rounds; build: best of {args.build_rounds}. Build time includes reading "
          f"and parsing the JSONL file for every engine. Peak RSS of the run: {peak_rss_mb():,.0f} MB.\n")
    for label, rows in corpora.items():
        print(f"## {label}\n\n{speed_table(rows)}\n")
    print(f"## beir-dbpedia-5k retrieval quality\n\n{quality_table(quality)}\n")
    print("## Targets\n\n" + "\n".join(targets(corpora, quality)) + "\n")
    print("## Engines\n")
    for name in engines:
        engine_cls: Any = ENGINES[name]
        print(f"- {name}: {engine_cls.notes}")
    print("- scent, BM25 only: `scent.index.bm25.search` on the open index (no reload, store fetch or snippet)")
    if args.json:
        args.json.write_text(json.dumps({
            "date": date.today().isoformat(), "cpus": os.cpu_count(), "queries": args.queries, "size": args.size,
            "corpora": {label: [asdict(r) for r in rows] for label, rows in corpora.items()},
            "quality": [asdict(r) for r in quality]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

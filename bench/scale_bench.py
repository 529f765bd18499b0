"""Scale-out benchmark: the embedded index vs a Milvus Lite server on the same corpora, and `scent eval`
sequential vs `--ray`, side by side in one run.

    flock /tmp/scent-cpu.lock .venv/bin/python -m bench.scale_bench [--parts dbpedia,miniwiki,gen200k,eval]
        [--shared ../shared] [--size 200000] [--vectors-from bench/out/miniwiki-idx] [--json OUT]

- dbpedia: BEIR DBpedia-5k, both backends with BM25, dense and hybrid: nDCG@10 / recall@100 (the judged
  queries, k = 100), p50/p99 latency and QPS of `search(query, 10)` (the queries x 3, one client). The dense
  vectors (bundled all-MiniLM-L6-v2) are computed once — or taken from `--vectors-from`, an embedded miniwiki
  index, since DBpedia-5k's abstracts are miniwiki passages with the same title and text — and the very same
  vectors are fed to both backends (looked up by the digest of the embedded text), so both rank with identical
  vectors and the build times are ingestion only. BM25 by analyzer: tantivy en_stem (scent's), tantivy's
  `default` tokenizer (lower-cased words, no stemming — Milvus Lite's `standard` analyzer does the same), Milvus
  Lite over scent's stems (`index.milvus.stem`, the default) and Milvus Lite's `standard` analyzer alone.
- miniwiki (12,110 passages; all three retrievers with `--vectors-from`, else BM25) and gen200k (`--size`
  passages generated from miniwiki sentences by bench/index_bench.py; BM25 only: embedding 200k passages would
  take ~3 hours on 2 cores at the 17-28 passages/s measured in BENCHMARKS.md), build time, disk and query latency
  of 200 keyword queries x 3.
- eval: `scent eval` on the 50 HotpotQA dev questions over a miniwiki BM25 index, systems closed-book, rag,
  rag-plain and agent, with a scripted model whose replies are all alike (so any order of questions gets the same
  replies): wall time sequential vs `--ray` with 2 workers, and whether the rows match; then 4 questions with the
  embedded model (rag-plain), sequential vs --ray.

The Milvus Lite server (`milvus-lite server`, the pure-Python Milvus Lite 3.x) runs on a free loopback port with a
fresh data folder; both backends run on this machine's 2 cores.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A Milvus Lite gRPC server on loopback with a fresh data folder."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.data = workdir / "milvus-data"
        self.proc = subprocess.Popen([str(BIN / "milvus-lite"), "server", "--data-dir", str(self.data), "--host",
                                      "127.0.0.1", "--port", str(self.port)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("milvus-lite server did not start") from None
                time.sleep(0.1)

    def uri(self, collection: str) -> str:
        return f"milvus://127.0.0.1:{self.port}/{collection}"

    def disk_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.data.rglob("*") if f.is_file())

    def rss_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


class CachedEmbedder:
    """The real embedder's spec and size, with vectors looked up by the digest of the text (computed once for the
    embedded index); a text not seen there is embedded for real (counted)."""

    def __init__(self, real: Any, vectors: dict[str, Any]) -> None:
        self.real, self.vectors, self.spec, self.dim, self.misses = real, vectors, real.spec, real.dim, 0

    def embed(self, texts: Sequence[str]) -> Any:
        import numpy as np

        from scent.index.dense import digest

        rows: list[Any] = [self.vectors.get(digest(t)) for t in texts]
        missing = [i for i, r in enumerate(rows) if r is None]
        if missing:
            self.misses += len(missing)
            fresh = self.real.embed([texts[i] for i in missing])
            for j, i in enumerate(missing):
                rows[i] = fresh[j]
        return np.stack(rows).astype(np.float32)


def folder_vectors(folder: Path) -> dict[str, Any]:
    """digest of the embedded text → vector, from an embedded index's vector shards."""
    import numpy as np

    from scent.index.dense import read_manifest
    from scent.index.layout import VECTORS_DIR

    manifest = read_manifest(folder)
    assert manifest is not None
    out: dict[str, Any] = {}
    for name in manifest["shards"]:
        meta = json.loads((folder / VECTORS_DIR / f"{name}.json").read_text())
        matrix = np.load(folder / VECTORS_DIR / f"{name}.npy")
        out.update(zip(meta["digests"], matrix, strict=True))
    return out


def top10(index: Any, retriever: str) -> Callable[[str], Any]:
    """One query's search of `index`: its top 10 by `retriever`."""
    return lambda query: index.search(query, 10, retriever=retriever)


def latency(search: Callable[[str], Any], queries: Sequence[str], rounds: int = 3) -> dict[str, float]:
    for q in queries[:10]:  # warm-up
        search(q)
    times = []
    started = time.perf_counter()
    for _ in range(rounds):
        for q in queries:
            t = time.perf_counter()
            search(q)
            times.append(time.perf_counter() - t)
    total = time.perf_counter() - started
    times.sort()
    return {"qps": round(len(times) / total, 1), "p50_ms": round(1000 * times[len(times) // 2], 2),
            "p99_ms": round(1000 * times[min(len(times) - 1, math.ceil(0.99 * len(times)) - 1)], 2)}


def quality(index: Any, beir: Any, retriever: str) -> dict[str, float]:
    from scent.eval.retrieval import evaluate_run

    run = {qid: {h.id: h.score for h in index.search(text, 100, retriever=retriever)}
           for qid, text in beir.queries.items()}
    result = evaluate_run(run, beir.qrels)
    return {"ndcg@10": round(result["ndcg@10"], 4), "recall@100": round(result["recall@100"], 4)}


def tantivy_default_ndcg(corpus: Path, beir: Any, workdir: Path) -> float:
    """BM25 over the same text with tantivy's `default` tokenizer (lower-cased words, no stemming)."""
    import tantivy

    from scent.eval.retrieval import evaluate_run
    from scent.index.bm25 import escape_query

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("text", stored=False, tokenizer_name="default")
    (workdir / "tantivy-default").mkdir()
    index = tantivy.Index(builder.build(), path=str(workdir / "tantivy-default"))
    writer = index.writer(256 * 1024 * 1024)
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            writer.add_document(tantivy.Document(id=str(obj.get("_id", obj.get("id"))),
                                                 text=f"{obj.get('title') or ''}\n{obj['text']}"))
    writer.commit()
    index.reload()
    searcher = index.searcher()
    run = {}
    for qid, text in beir.queries.items():
        query, _ = index.parse_query_lenient(escape_query(text), ["text"])
        hits = searcher.search(query, limit=100).hits
        run[qid] = {searcher.doc(a)["id"][0]: float(s) for s, a in hits}
    return round(float(evaluate_run(run, beir.qrels)["ndcg@10"]), 4)


def part_dbpedia(shared: Path, workdir: Path, server: Server, vectors: dict[str, Any]) -> dict[str, Any]:
    from scent import app
    from scent.config import EmbedConfig
    from scent.embed import load_embedder
    from scent.eval.datasets import load_beir
    from scent.index.dense import sync
    from scent.index.layout import STORE_FILE
    from scent.index.store import Store
    from scent.ingest.pipeline import build
    from scent.milvus import parse_uri
    from scent.milvus.ingest import build as milvus_build

    beir_dir = shared / "data" / "beir-dbpedia-5k"
    beir = load_beir(beir_dir, "test")
    folder = workdir / "dbpedia"
    embedder = load_embedder("minilm", EmbedConfig())
    t = time.perf_counter()
    build(folder, [beir.corpus])
    bm25_build = time.perf_counter() - t
    store = Store(folder / STORE_FILE, readonly=True)
    # the same vectors for both backends: from --vectors-from (DBpedia-5k's abstracts are in miniwiki, same
    # title and text, so the same digests), the rest embedded here
    cached = CachedEmbedder(embedder, vectors)
    t = time.perf_counter()
    sync(folder, store, cached)
    embed_seconds = time.perf_counter() - t
    store.close()
    log(f"dbpedia embedded: BM25 build {bm25_build:.1f} s, vectors {embed_seconds:.1f} s ({cached.misses} embedded)")
    embedded_misses = cached.misses
    cached = CachedEmbedder(embedder, folder_vectors(folder))
    uri = server.uri("dbpedia")
    t = time.perf_counter()
    milvus_build(parse_uri(uri), [beir.corpus], embedder=cached)
    milvus_seconds = time.perf_counter() - t
    log(f"dbpedia milvus: ingest {milvus_seconds:.1f} s ({cached.misses} vectors not found in the cache)")
    from scent.config import MilvusConfig

    plain = server.uri("dbpedia_nostem")  # the same without scent's stems: Milvus Lite's standard analyzer alone
    milvus_build(parse_uri(plain), [beir.corpus], milvus=MilvusConfig(stem=False), embedder=cached)
    queries = list(beir.queries.values())
    out: dict[str, Any] = {"passages": 5000, "embedded_bm25_build_s": round(bm25_build, 2),
                           "vectors_s": round(embed_seconds, 1), "embedded_here": embedded_misses,
                           "milvus_ingest_s": round(milvus_seconds, 2), "cache_misses": cached.misses, "rows": []}
    for backend, location in (("embedded", str(folder)), ("milvus", uri), ("milvus-standard-analyzer", plain)):
        with app.open_index(location) as idx:
            for retriever in ("bm25", "dense", "hybrid") if backend != "milvus-standard-analyzer" else ("bm25",
                                                                                                      "hybrid"):
                row = {"backend": backend, "retriever": retriever, **quality(idx, beir, retriever),
                       **latency(top10(idx, retriever), queries)}
                out["rows"].append(row)
                log(str(row))
    out["tantivy_default_bm25_ndcg@10"] = tantivy_default_ndcg(beir.corpus, beir, workdir)
    return out


def part_corpus(name: str, corpus: Path, queries: list[str], workdir: Path, server: Server,
                vectors_from: Path | None = None) -> dict[str, Any]:
    """Build time, disk and query latency of both backends: BM25 only, or all three retrievers when the corpus's
    vectors are taken from `vectors_from` (an embedded index of the same corpus)."""
    from scent import app
    from scent.config import EmbedConfig
    from scent.embed import load_embedder
    from scent.index.layout import VECTORS_DIR
    from scent.ingest.pipeline import build
    from scent.milvus import parse_uri
    from scent.milvus.ingest import build as milvus_build

    folder = workdir / name
    t = time.perf_counter()
    summary = build(folder, [corpus])
    embedded_s = time.perf_counter() - t
    cached = None
    if vectors_from is not None:
        shutil.copytree(vectors_from / VECTORS_DIR, folder / VECTORS_DIR)
        cached = CachedEmbedder(load_embedder("minilm", EmbedConfig()), folder_vectors(folder))
    before = server.disk_bytes()
    t = time.perf_counter()
    milvus_build(parse_uri(server.uri(name)), [corpus], embedder=cached)
    milvus_s = time.perf_counter() - t
    out: dict[str, Any] = {"passages": summary.passages_total, "embedded_build_s": round(embedded_s, 1),
                           "milvus_ingest_s": round(milvus_s, 1),
                           "embedded_disk_mb": round(sum(f.stat().st_size for f in folder.rglob("*")) / 2**20, 1),
                           "milvus_disk_mb": round((server.disk_bytes() - before) / 2**20, 1)}
    log(f"{name}: build embedded {embedded_s:.1f} s, milvus {milvus_s:.1f} s")
    out["cache_misses"] = cached.misses if cached is not None else None
    retrievers = ("bm25", "dense", "hybrid") if cached is not None else ("bm25",)
    for backend, location in (("embedded", str(folder)), ("milvus", server.uri(name))):
        with app.open_index(location) as idx:
            for retriever in retrievers:
                out[f"{backend}_{retriever}"] = latency(top10(idx, retriever), queries)
                log(f"{name} {backend} {retriever}: {out[f'{backend}_{retriever}']}")
    out["milvus_server_rss_mb"] = round(server.rss_mb(), 0)
    return out


def part_eval(shared: Path, workdir: Path) -> dict[str, Any]:
    """scent eval sequential vs --ray (2 workers) with a scripted model, then 4 questions with the embedded one."""
    folder = workdir / "miniwiki"
    if not folder.exists():
        from scent.ingest.pipeline import build

        build(folder, [shared / "data" / "miniwiki" / "corpus.jsonl"])
    script = workdir / "uniform.jsonl"
    reply = json.dumps({"answer": "unknown", "citation": 1, "confidence": 10, "supported": False})
    script.write_text("".join(json.dumps({"response": {"text": reply}}) + "\n" for _ in range(20_000)))
    dataset = shared / "data" / "hotpotqa" / "dev.jsonl"
    out: dict[str, Any] = {}

    def run(name: str, extra: list[str], model: str, systems: str, limit: int) -> float:
        args = [str(BIN / "scent"), "eval", "--dataset", str(dataset), "--index", str(folder), "--systems", systems,
                "--model", model, "--retriever", "bm25", "--quiet", "--no-plots", "--limit", str(limit),
                "--out", str(workdir / name), *extra]
        t = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True, text=True)
        return round(time.perf_counter() - t, 1)

    def rows(name: str) -> list[dict[str, Any]]:
        def untimed(v: Any) -> Any:
            if isinstance(v, dict):
                return {k: untimed(x) for k, x in v.items() if "seconds" not in k}
            return [untimed(x) for x in v] if isinstance(v, list) else v
        return [untimed(json.loads(line)) for line in (workdir / name / "results.jsonl").read_text().splitlines()]

    systems = "closed-book,rag,rag-plain,agent"
    ray = ["--ray", "--set", "ray.num_cpus=2"]
    out["scripted_sequential_s"] = run("eval-seq", [], f"scripted:{script}", systems, 50)
    out["scripted_ray_s"] = run("eval-ray", ray, f"scripted:{script}", systems, 50)
    out["scripted_rows_equal"] = rows("eval-seq") == rows("eval-ray")
    out["scripted_rows"] = len(rows("eval-seq"))
    log(f"eval scripted: {out}")
    out["embedded_sequential_s"] = run("emb-seq", [], "llamacpp:default", "rag-plain", 4)
    out["embedded_ray_s"] = run("emb-ray", ray, "llamacpp:default", "rag-plain", 4)
    out["embedded_rows_equal"] = rows("emb-seq") == rows("emb-ray")
    log(f"eval: {out}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="dbpedia,miniwiki,gen200k,eval")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--vectors-from", type=Path, default=None,
                        help="An embedded index of miniwiki with minilm vectors: its vectors are reused for miniwiki "
                        "and DBpedia-5k (whose abstracts are in miniwiki) instead of embedding them again")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    workdir = Path(tempfile.mkdtemp(prefix="scent-scale-bench-"))
    results: dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count()}
    server = Server(workdir)
    try:
        vectors = folder_vectors(args.vectors_from) if args.vectors_from else {}
        if "dbpedia" in parts:
            results["dbpedia"] = part_dbpedia(args.shared, workdir, server, vectors)
        from bench import index_bench

        mini = args.shared / "data" / "miniwiki" / "corpus.jsonl"
        records = list(index_bench.read_jsonl(mini))
        if "miniwiki" in parts:
            results["miniwiki"] = part_corpus("miniwiki", mini, index_bench.make_queries(records, 200), workdir,
                                              server, args.vectors_from)
        if "gen200k" in parts:
            generated = index_bench.generate_corpus(records, args.size)
            path = workdir / "gen.jsonl"
            index_bench.write_jsonl(path, generated)
            results["gen200k"] = part_corpus("gen200k", path, index_bench.make_queries(generated, 200), workdir,
                                             server)
        if "eval" in parts:
            results["eval"] = part_eval(args.shared, workdir)
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    text = json.dumps(results, indent=2)
    if args.json:
        args.json.write_text(text)
    print(text)


if __name__ == "__main__":
    main()

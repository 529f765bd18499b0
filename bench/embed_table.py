"""The embedder table of issue 25, one run: passages/s on a fixed sample of the PostgreSQL docs and nDCG@10 /
recall@100 on BEIR DBpedia-5k (dense alone), for each way of embedding.

Rows: the bundled MiniLM on its numpy backend (before this issue: the only one) at truncation 256 and 128, 1 vs
2 BLAS threads; on its torch backend (scent.embed.minilm_torch: bf16, which oneDNN runs on this CPU's AMX, and
fp32) at 256 and 128 with batch sizes 16/32/64; dynamic int8 (torch.ao quantize_dynamic of transformers' BertModel
over the same local weights); the static model2vec table distilled locally from MiniLM (scent.embed.static).
Length bucketing is on in every row (a call's texts are sorted by length before batching). Batch size and
threads do not change the vectors, so nDCG is computed once per distinct vector function (the `vectors` column).

Sample: the 1,000 passages of the PostgreSQL docs index with the smallest sha256(passage id) (each passage
embedded as `scent index` does: title, headings, text). Vectors of the BEIR corpus are cached per embedder in
--work (a re-run only measures throughput). Each throughput row runs in a fresh subprocess (BLAS threads are
fixed at import). Reproduce (on a quiet machine: the CPU lock):

    flock /tmp/scent-cpu.lock .venv/bin/python bench/embed_table.py --pg-index .scent --json bench/out/embed.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DBPEDIA = ROOT.parent / "shared" / "data" / "beir-dbpedia-5k"
PG_DOCS = Path("/usr/share/doc/postgresql-doc-15/html")
WORK = ROOT / "bench" / "out" / "embed"

# name -> (vectors, kind, max_tokens, batch, BLAS threads)
ROWS: dict[str, tuple[str, str, int, int, int]] = {
    "numpy 256 b16 2t (before)": ("fp32-256", "numpy", 256, 16, 2),
    "numpy 128 b32 2t": ("fp32-128", "numpy", 128, 32, 2),
    "numpy 128 b32 1t": ("fp32-128", "numpy", 128, 32, 1),
    "torch bf16 256 b32": ("bf16-256", "torch-bf16", 256, 32, 2),
    "torch bf16 128 b32": ("bf16-128", "torch-bf16", 128, 32, 2),
    "torch bf16 128 b64": ("bf16-128", "torch-bf16", 128, 64, 2),
    "torch fp32 256 b32": ("fp32-256", "torch-fp32", 256, 32, 2),
    "transformers int8 256 b32": ("int8-256", "transformers-int8", 256, 32, 2),
    "static model2vec 256-d": ("static", "static", 512, 1024, 2),
}
# vectors -> (corpus embedder kind, max_tokens, query embedder kind). numpy and torch fp32 make the same vectors
# (cosine >= 0.99999, tests/test_embed_torch.py), so the numpy rows share the torch fp32 corpus vectors (the
# faster way to embed the 5k BEIR corpus); MiniLM queries are embedded by numpy, as scent's `auto` backend does.
VECTORS: dict[str, tuple[str, int, str]] = {
    "fp32-256": ("torch-fp32", 256, "numpy"), "fp32-128": ("torch-fp32", 128, "numpy"),
    "bf16-256": ("torch-bf16", 256, "numpy"), "bf16-128": ("torch-bf16", 128, "numpy"),
    "int8-256": ("transformers-int8", 256, "transformers-int8"), "static": ("static", 512, "static"),
}


class TorchMiniLM:
    """MiniLM through torch + transformers from the installed weights (mean pooling, L2): fp32, bf16 or int8."""

    dim = 384

    def __init__(self, max_tokens: int, batch_size: int, precision: str) -> None:
        import torch
        from tokenizers import Tokenizer
        from transformers import AutoModel

        from scent.embed.minilm import model_dir

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
        self.torch = torch
        self.model = AutoModel.from_pretrained(str(model_dir())).eval()
        if precision == "bf16":  # oneDNN runs bf16 matmuls on AMX / AVX512-BF16 where the CPU has them
            self.model = self.model.to(torch.bfloat16)
        if precision == "int8":
            self.model = torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
                self.model, {torch.nn.Linear}, dtype=torch.qint8)
        self.tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.no_padding()  # tokenizer.json pads; the batches below pad each to its own longest
        self.batch_size = batch_size
        self.spec = f"torch-{precision}"

    def embed(self, texts: Sequence[str]) -> Any:
        import numpy as np

        torch = self.torch
        encodings = self.tokenizer.encode_batch(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                rows = order[start : start + self.batch_size]
                length = max(len(encodings[i].ids) for i in rows)
                ids = torch.zeros((len(rows), length), dtype=torch.long)
                mask = torch.zeros((len(rows), length), dtype=torch.long)
                for r, i in enumerate(rows):
                    n = len(encodings[i].ids)
                    ids[r, :n] = torch.tensor(encodings[i].ids)
                    mask[r, :n] = 1
                hidden = self.model(input_ids=ids, attention_mask=mask).last_hidden_state
                pooled = (hidden * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
                out[rows] = torch.nn.functional.normalize(pooled.float(), dim=1).numpy()
        return out


def make_embedder(kind: str, max_tokens: int, batch: int) -> Any:
    """numpy | torch-bf16 | torch-fp32 (scent's MiniLM on each backend), transformers-int8, static."""
    if kind == "numpy" or kind.startswith("torch-"):
        from scent.embed.minilm import MiniLM

        model = MiniLM(max_tokens=max_tokens, batch_size=batch, backend="numpy" if kind == "numpy" else "torch")
        if kind.startswith("torch-"):
            from scent.embed.minilm_torch import TorchForward

            model._torch = TorchForward(model, kind.partition("-")[2])
        return model
    if kind.startswith("transformers-"):
        return TorchMiniLM(max_tokens, batch, kind.partition("-")[2])
    if kind == "static":
        from scent.embed.static import StaticEmbedder

        return StaticEmbedder(max_tokens=max_tokens)
    raise ValueError(kind)


def pg_sample(pg_index: Path, n: int) -> list[str]:
    """The `n` passages with the smallest sha256(id), as `scent index` embeds them."""
    import sqlite3

    from scent.index.dense import embed_text

    if not (pg_index / "passages.sqlite").exists():
        from scent.ingest.pipeline import build

        build(pg_index, [PG_DOCS], progress=None)
    db = sqlite3.connect(f"file:{pg_index / 'passages.sqlite'}?mode=ro", uri=True)
    rows = db.execute("SELECT id, title, headings, text FROM passages").fetchall()
    db.close()
    rows.sort(key=lambda r: hashlib.sha256(r[0].encode()).hexdigest())
    return [embed_text(title, json.loads(headings), text) for _, title, headings, text in rows[:n]]


# -- BEIR DBpedia-5k -----------------------------------------------------------------------------------------------
def halves(query_ids: Sequence[str]) -> dict[str, str]:
    """query id -> tune | test: the half of the ids with the smallest sha256(id) is tune (a fixed, content-free,
    balanced split; the first hex digit alone put 10 of the 40 judged queries in tune)."""
    ordered = sorted(query_ids, key=lambda q: hashlib.sha256(q.encode()).hexdigest())
    return {q: "tune" if i < len(ordered) // 2 else "test" for i, q in enumerate(ordered)}


def beir(folder: Path = DBPEDIA) -> tuple[dict[str, dict[str, int]], dict[str, str]]:
    """(qrels, queries) of the BEIR set; queries without judgements are left out."""
    qrels: dict[str, dict[str, int]] = {}
    for line in (folder / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        qid, doc, grade = line.split("\t")
        qrels.setdefault(qid, {})[doc] = int(grade)
    queries = {}
    for line in (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        if q["_id"] in qrels:
            queries[q["_id"]] = q["text"]
    return qrels, queries


def beir_index(work: Path, folder: Path = DBPEDIA) -> Path:
    """A BM25-only scent index of the BEIR corpus (built once through the normal ingest path)."""
    from scent.ingest.pipeline import build

    index = work / "beir-index"
    if not (index / "passages.sqlite").exists():
        build(index, [folder / "corpus.jsonl"], progress=None)
    return index


def corpus_texts(index: Path) -> tuple[list[str], list[str]]:
    import sqlite3

    from scent.index.dense import embed_text

    db = sqlite3.connect(f"file:{index / 'passages.sqlite'}?mode=ro", uri=True)
    rows = db.execute("SELECT id, title, headings, text FROM passages ORDER BY id").fetchall()
    db.close()
    return [r[0] for r in rows], [embed_text(r[1], json.loads(r[2]), r[3]) for r in rows]


def cached_vectors(work: Path, name: str, make: Callable[[], Any], texts: list[str]) -> tuple[Any, Any]:
    """(embedder, corpus matrix) — the matrix from `work/vectors-NAME.npy` when cached; the embedder lazily."""
    import numpy as np

    path = work / f"vectors-{name}.npy"
    if path.exists():
        matrix = np.load(path)
        if matrix.shape[0] == len(texts):
            return None, matrix
    embedder = make()
    started = time.perf_counter()
    matrix = embedder.embed(texts)
    print(f"  embedded the BEIR corpus with {name}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    work.mkdir(parents=True, exist_ok=True)
    np.save(path, matrix)
    return embedder, matrix


def dense_runs(matrix: Any, ids: list[str], query_vectors: Any, qids: list[str],
               depth: int = 100) -> dict[str, list[tuple[str, float]]]:
    from scent.index.dense import top_k

    runs = {}
    for qid, vector in zip(qids, query_vectors, strict=True):
        rows, scores = top_k(matrix, vector, depth)
        runs[qid] = [(ids[int(r)], float(s)) for r, s in zip(rows, scores, strict=True)]
    return runs


def evaluate(runs: dict[str, list[tuple[str, float]]], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    """nDCG@10 and recall@100 on all queries and on each half (scent.eval.retrieval's pytrec_eval semantics)."""
    from scent.eval.retrieval import evaluate_run

    out = {}
    split = halves(list(qrels))
    for which in ("all", "tune", "test"):
        qs = [q for q in qrels if which == "all" or split[q] == which]
        scored = evaluate_run({q: dict(runs.get(q, [])) for q in qs}, {q: qrels[q] for q in qs})
        out[f"ndcg@10 {which}"] = round(scored["ndcg@10"], 4)
        if which == "all":
            out["recall@100"] = round(scored["recall@100"], 4)
    return out


def vector_runs(work: Path, name: str) -> dict[str, list[tuple[str, float]]]:
    """Dense top-100 of every BEIR query with the vectors `name` (VECTORS; corpus vectors cached)."""
    kind, max_tokens, query_kind = VECTORS[name]
    _, queries = beir()
    ids, texts = corpus_texts(beir_index(work))
    _, matrix = cached_vectors(work, name, lambda: make_embedder(kind, max_tokens, 32), texts)
    qids = list(queries)
    query_vectors = make_embedder(query_kind, max_tokens, 32).embed([queries[q] for q in qids])
    return dense_runs(matrix, ids, query_vectors, qids)


# -- throughput ----------------------------------------------------------------------------------------------------
def throughput_row(row: str, texts: list[str]) -> dict[str, Any]:
    _, kind, max_tokens, batch, _ = ROWS[row]
    started = time.perf_counter()
    embedder = make_embedder(kind, max_tokens, batch)
    embedder.embed(texts[:8])  # warm-up
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    embedder.embed(texts)
    seconds = time.perf_counter() - started
    return {"load_s": round(load_s, 2), "seconds": round(seconds, 2), "passages_per_s": round(len(texts) / seconds, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg-index", type=Path, default=WORK / "pg-index",
                    help="an index of the PostgreSQL docs to sample passages from (built BM25-only if missing)")
    ap.add_argument("--sample", type=int, default=1000)
    ap.add_argument("--work", type=Path, default=WORK)
    ap.add_argument("--rows", default="", help="row names separated by ; (default: all)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--one-row", help=argparse.SUPPRESS)  # the subprocess of one throughput row
    args = ap.parse_args()
    texts = pg_sample(args.pg_index, args.sample)
    if args.one_row:
        print(json.dumps(throughput_row(args.one_row, texts)))
        return
    rows = [r for r in args.rows.split(";") if r] or list(ROWS)
    qrels, _ = beir()
    table: dict[str, Any] = {"sample": len(texts), "cpus": os.cpu_count(), "rows": {}}
    quality: dict[str, dict[str, float]] = {}
    for row in rows:
        vectors, _, _, _, threads = ROWS[row]
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
        done = subprocess.run([sys.executable, __file__, "--pg-index", str(args.pg_index), "--sample",
                               str(args.sample), "--one-row", row], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            table["rows"][row] = {"error": done.stderr.strip().splitlines()[-1:]}
            print(f"{row}: failed {done.stderr[-400:]}", file=sys.stderr)
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        if vectors not in quality:
            quality[vectors] = evaluate(vector_runs(args.work, vectors), qrels)
        table["rows"][row] = {"vectors": vectors, **result, **quality[vectors]}
        print(f"{row:40s} {result['passages_per_s']:7.1f} passages/s  nDCG@10 {quality[vectors]['ndcg@10 all']:.4f}",
              file=sys.stderr, flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(table, indent=2))


if __name__ == "__main__":
    main()

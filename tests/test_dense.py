"""Dense vectors and hybrid fusion: RRF by hand, incremental and resumable embedding, exact vs HNSW search, and
the bad-input cases (dimension mismatch, no vectors, another embedder). A hashing embedder stands in for the
model here; tests/test_embed_integration.py runs the real bundled one."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from conftest import scent

from scent.config import EmbedConfig, RetrievalConfig
from scent.index import Index
from scent.index.dense import DenseIndex, VectorsError, read_manifest, sync, top_k
from scent.index.hybrid import rrf
from scent.index.layout import STORE_FILE, VECTORS_DIR
from scent.index.store import Store
from scent.ingest.pipeline import build


class HashEmbedder:
    """Bag of hashed words: deterministic, fast, and similar texts get similar vectors."""

    def __init__(self, dim: int = 64, fail_after: int | None = None) -> None:
        self.spec = f"test:hash-{dim}"
        self.dim = dim
        self.calls: list[int] = []
        self.fail_after = fail_after

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise KeyboardInterrupt
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                h = int(hashlib.md5(word.encode()).hexdigest(), 16)
                out[i, h % self.dim] += 1.0 if (h >> 64) & 1 else -1.0
        out[:, 0] += 1e-3  # empty text: still a unit vector
        return out / np.linalg.norm(out, axis=1, keepdims=True)


# -- fusion --------------------------------------------------------------------------------------------------
def test_rrf_hand_computed():
    fused = rrf([["a", "b", "c"], ["c", "a", "d"]], k=60)
    assert [d for d, _ in fused] == ["a", "c", "b", "d"]
    expected = {"a": 1 / 61 + 1 / 62, "c": 1 / 63 + 1 / 61, "b": 1 / 62, "d": 1 / 63}
    assert {d: pytest.approx(s) for d, s in expected.items()} == dict(fused)


def test_rrf_weights_and_k():
    fused = dict(rrf([["a", "b", "c"], ["c", "a", "d"]], weights=[2, 1], k=60))
    assert fused == pytest.approx({"a": 2 / 61 + 1 / 62, "c": 2 / 63 + 1 / 61, "b": 2 / 62, "d": 1 / 63})
    # with k = 0 the top of each list dominates: c (1/3 + 1) beats a (1 + 1/2)? no: a = 1.5, c = 1.333
    assert [d for d, _ in rrf([["a", "b", "c"], ["c", "a"]], k=0)] == ["a", "c", "b"]
    # a zero weight removes a ranking's influence but keeps its documents (score 0) at the end
    assert [d for d, _ in rrf([["x", "y"], ["z"]], weights=[1, 0], k=1)] == ["x", "y", "z"]


def test_rrf_ties_limit_duplicates_and_errors():
    # x and y tie (rank 1 in one list each): the earlier ranking wins; z ranks 2 alone
    assert [d for d, _ in rrf([["x", "z"], ["y"]])] == ["x", "y", "z"]
    assert rrf([["a", "a", "b"]], k=0) == [("a", 1.0), ("b", pytest.approx(1 / 3))]  # a repeat counts once
    assert rrf([["a", "b", "c"]], limit=2) == rrf([["a", "b"]])
    assert rrf([]) == [] and rrf([[], []]) == []
    with pytest.raises(ValueError, match="2 weights for 1 rankings"):
        rrf([["a"]], weights=[1, 1])


def test_sync_embeds_in_calls_of_call_texts(tmp_path: Path):
    """The embedder gets calls of max(batch_size, CALL_TEXTS) texts (it sorts each call by length before batching),
    and the progress callback hears each call."""
    corpus = tmp_path / "docs" / "c.jsonl"
    corpus.parent.mkdir()
    corpus.write_text("".join(json.dumps({"id": f"p{i}", "text": f"passage {i}"}) + "\n" for i in range(300)))
    index = tmp_path / "idx"
    build(index, [corpus.parent])
    embedder, heard = HashEmbedder(), []
    store = Store(index / STORE_FILE, readonly=True)
    try:
        sync(index, store, embedder, EmbedConfig(batch_size=16), lambda event, n: heard.append((event, n)))
    finally:
        store.close()
    assert embedder.calls == [128, 128, 44]
    assert heard == [("total", 300), ("embedded", 128), ("embedded", 128), ("embedded", 44)]


def test_top_k_matches_a_full_sort():
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((500, 16)).astype(np.float32)
    query = rng.standard_normal(16).astype(np.float32)
    rows, scores = top_k(matrix, query, 10)
    assert list(rows) == list(np.argsort(-(matrix @ query), kind="stable")[:10])
    assert np.allclose(scores, (matrix @ query)[rows])
    assert len(top_k(matrix, query, 1000)[0]) == 500 and len(top_k(matrix[:0], query, 5)[0]) == 0


# -- the vectors of an index -----------------------------------------------------------------------------------
def _docs(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "otters.txt").write_text("Otters are semiaquatic mammals.\n\nSea otters use rocks as tools to open shells.")
    (root / "beavers.md").write_text("# Beavers\n\nBeavers build dams from branches and mud.\n")
    (root / "herons.txt").write_text("Herons wade in shallow water hunting fish.")
    return root


def _sync(index: Path, embedder: HashEmbedder, **config: int) -> object:
    store = Store(index / STORE_FILE, readonly=True)
    try:
        return sync(index, store, embedder, EmbedConfig(**config))  # type: ignore[arg-type]
    finally:
        store.close()


def _store_ids(index: Path) -> set[str]:
    store = Store(index / STORE_FILE, readonly=True)
    try:
        return {r[0] for r in store.db.execute("SELECT id FROM passages")}
    finally:
        store.close()


def test_incremental_embedding_add_modify_delete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("scent.index.dense.CALL_TEXTS", 1)  # calls of batch_size texts, to see the batching
    root, index = _docs(tmp_path / "docs"), tmp_path / "idx"
    build(index, [root])
    embedder = HashEmbedder()
    first = _sync(index, embedder, batch_size=2)
    assert (first.embedded, first.removed, first.total) == (3, 0, 3)  # type: ignore[attr-defined]
    assert embedder.calls == [2, 1]
    dense = DenseIndex.open(index)
    assert dense is not None and set(dense.ids) == _store_ids(index) and dense.matrix.shape == (3, 64)
    assert read_manifest(index)["embedder"] == "test:hash-64"  # type: ignore[index]

    again = _sync(index, embedder)
    assert (again.embedded, again.removed, again.total) == (0, 0, 3)  # type: ignore[attr-defined]
    assert embedder.calls == [2, 1]

    (root / "herons.txt").write_text("Herons wade in shallow water. They nest in colonies called heronries.")
    (root / "beavers.md").unlink()
    (root / "kingfishers.txt").write_text("Kingfishers dive for fish.")
    build(index, [root])
    embedder.calls.clear()
    changed = _sync(index, embedder)
    assert (changed.embedded, changed.removed, changed.total) == (2, 2, 3)  # type: ignore[attr-defined]
    assert sum(embedder.calls) == 2  # only the new passages were embedded
    dense = DenseIndex.open(index)
    assert dense is not None and set(dense.ids) == _store_ids(index)
    assert [p.name for p in (index / VECTORS_DIR).iterdir() if p.suffix == ".npy"] == [f"{read_manifest(index)['shards'][0]}.npy"]  # type: ignore[index]  # noqa: E501


def test_embedding_resumes_after_a_kill(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("scent.index.dense.CALL_TEXTS", 1)  # calls of batch_size texts: killed after 5 calls
    corpus = tmp_path / "docs" / "c.jsonl"
    corpus.parent.mkdir()
    corpus.write_text("".join(json.dumps({"id": f"p{i}", "title": f"T{i}", "text": f"passage number {i} about "
                                          f"topic {i % 7}"}) + "\n" for i in range(100)))
    index = tmp_path / "idx"
    build(index, [corpus.parent])
    killed = _sync(index, HashEmbedder(fail_after=5), batch_size=10, checkpoint_every=20)
    assert killed.interrupted and killed.embedded == 40  # type: ignore[attr-defined]  # 2 shards of 20 committed
    (index / VECTORS_DIR / "000099.npy").write_bytes(b"half-written shard of a killed run")
    resumed = HashEmbedder()
    done = _sync(index, resumed, batch_size=10, checkpoint_every=20)
    assert (done.embedded, done.total, sum(resumed.calls)) == (60, 100, 60)  # type: ignore[attr-defined]
    assert not (index / VECTORS_DIR / "000099.npy").exists()
    dense = DenseIndex.open(index)
    assert dense is not None and sorted(dense.ids) == sorted(f"p{i}" for i in range(100))
    fresh = HashEmbedder().embed(["T3\npassage number 3 about topic 3"])[0]
    assert dense.search(fresh, 1)[0] == ("p3", pytest.approx(1.0, abs=1e-5))


def test_ann_agrees_with_exact_search(tmp_path: Path):
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(400)]
    corpus = tmp_path / "docs" / "c.jsonl"
    corpus.parent.mkdir()
    corpus.write_text("".join(json.dumps({"id": f"p{i}", "title": "", "text": " ".join(rng.choice(words, 12))})
                              + "\n" for i in range(3000)))
    index = tmp_path / "idx"
    build(index, [corpus.parent])
    embedder = HashEmbedder(dim=32)
    summary = _sync(index, embedder, ann_threshold=1000, batch_size=500)
    assert summary.ann  # type: ignore[attr-defined]
    dense = DenseIndex.open(index, ann_ef=128)
    assert dense is not None and dense.ann is not None
    queries = embedder.embed([" ".join(rng.choice(words, 4)) for _ in range(100)])
    hashed = []  # hashed bags of words tie often: an ANN hit counts when it scores as high as exact's 10th
    for q in queries:
        tenth = dense.search(q, 10, exact=True)[-1][1]
        hashed.append(sum(score >= tenth - 1e-5 for _, score in dense.search(q, 10)) / 10)
    assert np.mean(hashed) >= 0.97
    below = DenseIndex.open(index, use_ann=False)
    assert below is not None and below.ann is None
    _sync(index, embedder, ann_threshold=10_000)  # below the threshold again: the HNSW file goes
    assert not (index / VECTORS_DIR / "ann.usearch").exists()


# -- searching, and the bad-input cases ----------------------------------------------------------------------------
def test_dense_and_hybrid_search_through_the_index(tmp_path: Path):
    root, index = _docs(tmp_path / "docs"), tmp_path / "idx"
    build(index, [root])
    embedder = HashEmbedder()
    _sync(index, embedder)
    with Index.open(index, embedder=embedder) as idx:
        assert idx.resolve() == "hybrid" and idx.resolve("auto") == "hybrid"
        assert idx.search("beavers dams", 1, retriever="dense")[0].path == "beavers.md"
        hybrid = idx.search("sea otters rocks", 3, retriever="hybrid")
        assert hybrid[0].path == "otters.txt" and len(hybrid) == 3  # BM25 finds 1, dense ranks all 3
        assert idx.search("   ", 5, retriever="dense") == []
        assert len(idx.dense() or []) == 3
    with Index.open(index, retrieval=RetrievalConfig(retriever="bm25"), embedder=embedder) as idx:
        assert idx.resolve() == "bm25"
    with Index.open(index, embedder=embedder) as idx, pytest.raises(ValueError, match="unknown retriever"):
        idx.search("x", retriever="splade")


def test_index_without_vectors_refuses_dense_with_a_clear_error(tmp_path: Path):
    root, index = _docs(tmp_path / "docs"), tmp_path / "idx"
    build(index, [root])
    with Index.open(index) as idx:
        assert idx.resolve() == "bm25"  # auto: BM25 when there are no vectors
        assert idx.search("otters", 1)[0].path == "otters.txt"
        for retriever in ("dense", "hybrid"):
            with pytest.raises(VectorsError, match=r"has no vectors.*--vectors.*--retriever bm25"):
                idx.search("otters", 1, retriever=retriever)
    proc = scent("search", "otters", "--index", index, "--retriever", "dense", check=False)
    assert proc.returncode == 2 and "has no vectors" in proc.stderr and "Traceback" not in proc.stderr


def test_dimension_and_embedder_mismatch_say_how_to_rebuild(tmp_path: Path):
    root, index = _docs(tmp_path / "docs"), tmp_path / "idx"
    build(index, [root])
    _sync(index, HashEmbedder(dim=64))
    with Index.open(index, embedder=HashEmbedder(dim=32)) as idx, \
            pytest.raises(VectorsError, match=r"64-d .* gives 32-d vectors: rebuild them with `scent index FOLDER "
                                              r"--index .* --rebuild-vectors`"):
        idx.search("otters", 1, retriever="dense")
    with pytest.raises(VectorsError, match=r"were made by test:hash-64, not test:hash-32.*--rebuild-vectors"):
        _sync(index, HashEmbedder(dim=32))
    store = Store(index / STORE_FILE, readonly=True)
    rebuilt = sync(index, store, HashEmbedder(dim=32), rebuild=True)
    store.close()
    assert (rebuilt.dim, rebuilt.total) == (32, 3)
    assert read_manifest(index)["dim"] == 32  # type: ignore[index]


def test_an_embedder_returning_the_wrong_size_is_refused(tmp_path: Path):
    root, index = _docs(tmp_path / "docs"), tmp_path / "idx"
    build(index, [root])

    class Liar(HashEmbedder):
        def embed(self, texts: Sequence[str]) -> np.ndarray:
            return super().embed(texts)[:, :16]

    with pytest.raises(VectorsError, match="returned 16-d vectors"):
        _sync(index, Liar(dim=64))


def test_cli_index_no_vectors_and_unknown_embedder(tmp_path: Path):
    root, index = _docs(tmp_path / "docs"), tmp_path / "idx"
    proc = scent("index", root, "--index", index, "--no-vectors", "--json")
    assert json.loads(proc.stdout)["vectors"] is None and not (index / VECTORS_DIR).exists()
    proc = scent("index", root, "--index", index, "--embedder", "bogus", check=False)
    assert proc.returncode == 2 and "unknown embedder 'bogus'" in proc.stderr
    proc = scent("index", root, "--index", index, "--embedder", "openai:http://example.com/v1#m", "--local-only",
                 check=False)
    assert proc.returncode == 2 and "local-only" in proc.stderr
    proc = scent("search", "otters", "--index", index, "--retriever", "colbert", check=False)
    assert proc.returncode == 2 and "unknown retriever" in proc.stderr

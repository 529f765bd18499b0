"""Dense vectors of an index folder (`vectors/`, format in docs/index-format.md) and their search.

Files: `manifest.json` names the embedder, the vector size and the committed shards; each shard is
`NNNNNN.npy` (float32, shape (n, dim), L2-normalised rows) + `NNNNNN.json` (`{"ids": [...], "digests": [...]}`,
row i ↔ ids[i]; a digest is 16 hex of sha256 over the text that was embedded). `ann.usearch` is an HNSW index
over the rows of a single compacted shard, present only above `ann_threshold` vectors.

`sync` brings the vectors in line with the passage store: passages whose (id, digest) has no vector are embedded
in batches and written as new shards every `checkpoint_every` passages (a shard and then the manifest are
replaced atomically, so a kill loses at most one shard of work); vectors of passages that left the store are
dropped when the shards are compacted into one at the end of the run.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scent.config import EmbedConfig
from scent.index.bm25 import indexed_text
from scent.index.layout import VECTORS_DIR

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from scent.index.store import Store
    from scent.protocols import Embedder

FORMAT_VERSION = 1
CALL_TEXTS = 128  # passages per embedder call while syncing
MANIFEST = "manifest.json"
ANN_FILE = "ann.usearch"
Progress = Callable[[str, int], None]  # ("total", passages to embed) | ("embedded", passages done in a batch)


class VectorsError(ValueError):
    """Vectors that cannot be used as asked; the message says how to fix it (usually: rebuild)."""


def rebuild_hint(index_dir: Path, spec: str) -> str:
    return f"rebuild them with `scent index FOLDER --index {index_dir} --embedder {spec} --rebuild-vectors`"


def read_manifest(index_dir: Path) -> dict[str, Any] | None:
    path = index_dir / VECTORS_DIR / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    except FileNotFoundError:
        return None


def _write_json(path: Path, value: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(value), encoding="utf-8")
    os.replace(tmp, path)


def _write_shard(folder: Path, name: str, matrix: NDArray[np.float32], ids: list[str], digests: list[str]) -> None:
    import numpy as np

    tmp = folder / f"{name}.npy.tmp"
    with open(tmp, "wb") as f:
        np.save(f, np.ascontiguousarray(matrix, dtype=np.float32))
    os.replace(tmp, folder / f"{name}.npy")
    _write_json(folder / f"{name}.json", {"ids": ids, "digests": digests})


def check_dim(manifest: dict[str, Any], embedder: Embedder, index_dir: Path) -> None:
    if int(manifest["dim"]) != embedder.dim:
        raise VectorsError(f"the vectors in {index_dir} are {manifest['dim']}-d (embedder {manifest['embedder']}) "
                           f"but {embedder.spec} gives {embedder.dim}-d vectors: "
                           f"{rebuild_hint(index_dir, embedder.spec)}, or search with the embedder that made them")


def embed_text(title: str, headings: list[str], text: str) -> str:
    """What a passage's vector is computed from: the text BM25 indexes (title, new headings, text)."""
    from scent.types import Passage

    return indexed_text(Passage(id="", path="", title=title, headings=headings, start=0, end=0, seq=0, text=text))


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@dataclass
class SyncSummary:
    embedder: str = ""
    dim: int = 0
    embedded: int = 0
    removed: int = 0
    total: int = 0
    ann: bool = False
    seconds: float = 0.0
    interrupted: bool = False
    errors: list[str] = field(default_factory=list)


def _store_texts(store: Store) -> Iterator[tuple[str, str]]:
    """(id, text to embed) of every passage in the store."""
    for pid, title, headings, text in store.db.execute("SELECT id, title, headings, text FROM passages"):
        yield pid, embed_text(title, json.loads(headings) if headings != "[]" else [], text)


def sync(index_dir: Path, store: Store, embedder: Embedder, config: EmbedConfig | None = None,
         progress: Progress | None = None, rebuild: bool = False) -> SyncSummary:
    """Embed the store's passages that have no vector yet, drop vectors of passages gone, compact, build ANN.
    Holds the index's writer lock (IndexBusyError when another process writes): the shard clean-up below deletes
    every file the manifest does not name, which is only safe with one writer."""
    from scent.index.lock import writer_lock

    with writer_lock(index_dir):
        return _sync(index_dir, store, embedder, config, progress, rebuild)


def _sync(index_dir: Path, store: Store, embedder: Embedder, config: EmbedConfig | None,
          progress: Progress | None, rebuild: bool) -> SyncSummary:
    import numpy as np

    config = config or EmbedConfig()
    progress = progress or (lambda event, value: None)
    started = time.monotonic()
    folder = index_dir / VECTORS_DIR
    manifest = read_manifest(index_dir)
    if manifest is not None and manifest.get("embedder") != embedder.spec and not rebuild:
        raise VectorsError(f"the vectors in {index_dir} were made by {manifest.get('embedder')}, not {embedder.spec}:"
                           f" {rebuild_hint(index_dir, embedder.spec)}, or keep --embedder {manifest.get('embedder')}")
    if manifest is None or rebuild:
        manifest = {"format": FORMAT_VERSION, "embedder": embedder.spec, "dim": embedder.dim, "shards": [],
                    "ann": None}
        folder.mkdir(parents=True, exist_ok=True)
        _write_json(folder / MANIFEST, manifest)
    check_dim(manifest, embedder, index_dir)
    summary = SyncSummary(embedder=embedder.spec, dim=int(manifest["dim"]))
    committed = set(manifest["shards"])
    for leftover in folder.iterdir():  # shards a killed run wrote but never committed to the manifest
        if leftover.name.split(".")[0] not in committed and leftover.name not in (MANIFEST, ANN_FILE):
            leftover.unlink()
    have: set[tuple[str, str]] = set()
    for name in manifest["shards"]:
        meta = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        have.update(zip(meta["ids"], meta["digests"], strict=True))
    todo: list[tuple[str, str, str]] = []
    current: set[tuple[str, str]] = set()
    for pid, text in _store_texts(store):
        key = (pid, digest(text))
        current.add(key)
        if key not in have:
            todo.append((pid, key[1], text))
    progress("total", len(todo))
    next_shard = max((int(n) for n in manifest["shards"]), default=-1) + 1
    try:
        for start in range(0, len(todo), config.checkpoint_every):
            chunk = todo[start : start + config.checkpoint_every]
            rows = []
            # calls of CALL_TEXTS texts: the embedder sorts a call's texts by length before batching them, so
            # larger calls pad less (and take the bundled model's bulk backend); progress after each call
            step = max(config.batch_size, CALL_TEXTS)
            for b in range(0, len(chunk), step):
                batch = [text for _, _, text in chunk[b : b + step]]
                rows.append(embedder.embed(batch))
                progress("embedded", len(batch))
            matrix = np.concatenate(rows) if rows else np.zeros((0, summary.dim), np.float32)
            if matrix.shape[1] != summary.dim:
                raise VectorsError(f"{embedder.spec} returned {matrix.shape[1]}-d vectors, the index holds "
                                   f"{summary.dim}-d: {rebuild_hint(index_dir, embedder.spec)}")
            name = f"{next_shard:06d}"
            next_shard += 1
            _write_shard(folder, name, matrix, [c[0] for c in chunk], [c[1] for c in chunk])
            manifest["shards"].append(name)
            manifest["ann"] = None
            _write_json(folder / MANIFEST, manifest)
            summary.embedded += len(chunk)
    except KeyboardInterrupt:
        summary.interrupted = True
    if not summary.interrupted:
        summary.removed = _compact(folder, manifest, current, next_shard)
        summary.ann = _build_ann(folder, manifest, config)
    summary.total = len(current) if not summary.interrupted else len(have & current) + summary.embedded
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


def _compact(folder: Path, manifest: dict[str, Any], current: set[tuple[str, str]], next_shard: int) -> int:
    """Merge the shards into one, leaving out vectors of passages no longer in the store; returns how many."""
    import numpy as np

    if not manifest["shards"]:
        return 0
    matrices, ids, digests = [], [], []
    for name in manifest["shards"]:
        meta = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        keep = [i for i, key in enumerate(zip(meta["ids"], meta["digests"], strict=True)) if key in current]
        matrices.append(np.load(folder / f"{name}.npy")[keep])
        ids += [meta["ids"][i] for i in keep]
        digests += [meta["digests"][i] for i in keep]
    removed = sum(len(json.loads((folder / f"{n}.json").read_text())["ids"]) for n in manifest["shards"]) - len(ids)
    if len(manifest["shards"]) == 1 and removed == 0:
        return 0
    old, name = list(manifest["shards"]), f"{next_shard:06d}"
    _write_shard(folder, name, np.concatenate(matrices), ids, digests)
    manifest["shards"], manifest["ann"] = [name], None
    _write_json(folder / MANIFEST, manifest)
    for n in old:
        for suffix in (".npy", ".json"):
            (folder / f"{n}{suffix}").unlink(missing_ok=True)
    return removed


def _build_ann(folder: Path, manifest: dict[str, Any], config: EmbedConfig) -> bool:
    """An HNSW index (usearch, cosine, keys = row numbers) over the single shard, when it is large enough."""
    import numpy as np

    ann_path = folder / ANN_FILE
    if len(manifest["shards"]) != 1:
        return False
    matrix = np.load(folder / f"{manifest['shards'][0]}.npy", mmap_mode="r")
    if matrix.shape[0] < config.ann_threshold:
        ann_path.unlink(missing_ok=True)
        return False
    current = manifest.get("ann") or {}
    if current.get("shard") == manifest["shards"][0] and ann_path.exists():
        return True
    from usearch.index import Index as UIndex

    ann = UIndex(ndim=matrix.shape[1], metric="cos", dtype="f32", connectivity=16, expansion_add=128)
    ann.add(np.arange(matrix.shape[0], dtype=np.uint64), np.asarray(matrix), log=False)
    tmp = folder / (ANN_FILE + ".tmp")
    ann.save(str(tmp))
    os.replace(tmp, ann_path)
    manifest["ann"] = {"kind": "usearch-hnsw", "metric": "cos", "connectivity": 16, "shard": manifest["shards"][0],
                       "count": int(matrix.shape[0])}
    _write_json(folder / MANIFEST, manifest)
    return True


# -- search ---------------------------------------------------------------------------------------------------
def top_k(matrix: NDArray[np.float32], query: NDArray[np.float32], k: int) -> tuple[NDArray[Any], NDArray[Any]]:
    """Exact inner-product search: (row numbers, scores) of the k best rows, best first (ties: lower row)."""
    import numpy as np

    if matrix.shape[0] == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    scores = matrix @ query
    k = min(k, scores.shape[0])
    part = np.argpartition(-scores, k - 1)[:k]
    order = part[np.lexsort((part, -scores[part]))]
    return order, scores[order]


class DenseIndex:
    """The vectors of one index folder opened for search: exact numpy scan, or HNSW when `ann.usearch` exists."""

    def __init__(self, index_dir: Path, manifest: dict[str, Any], ids: list[str], matrix: NDArray[np.float32],
                 ann: Any = None, ann_ef: int = 128) -> None:
        self.dir = index_dir
        self.manifest = manifest
        self.spec = str(manifest["embedder"])
        self.dim = int(manifest["dim"])
        self.ids = ids
        self.matrix = matrix
        self.ann = ann
        self.ann_ef = ann_ef

    @classmethod
    def open(cls, index_dir: Path, ann_ef: int = 128, use_ann: bool = True) -> DenseIndex | None:
        """None when the index has no vectors. A reader takes no lock: when a concurrent `scent index` compacts
        the shards between our reading the manifest and opening them, the manifest is read again."""
        for attempt in range(5):
            try:
                return cls._open(index_dir, ann_ef, use_ann)
            except FileNotFoundError:
                if attempt == 4:
                    raise
                time.sleep(0.05 * (attempt + 1))
        return None  # not reached

    @classmethod
    def _open(cls, index_dir: Path, ann_ef: int, use_ann: bool) -> DenseIndex | None:
        import numpy as np

        manifest = read_manifest(index_dir)
        if manifest is None or not manifest["shards"]:
            return None
        folder = index_dir / VECTORS_DIR
        ids: list[str] = []
        matrices = []
        for name in manifest["shards"]:
            ids += json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))["ids"]
            matrices.append(np.load(folder / f"{name}.npy", mmap_mode="r"))
        matrix = matrices[0] if len(matrices) == 1 else np.concatenate(matrices)
        ann = None
        info = manifest.get("ann")
        if use_ann and info and info.get("shard") == manifest["shards"][0] and len(manifest["shards"]) == 1:
            from usearch.index import Index as UIndex

            ann = UIndex.restore(str(folder / ANN_FILE), view=True)
            if ann is None:
                raise VectorsError(f"{folder / ANN_FILE} is unreadable: "
                                   f"{rebuild_hint(index_dir, manifest['embedder'])}")
            ann.expansion_search = ann_ef  # type: ignore[misc]  # the property has a setter
        return cls(index_dir, manifest, ids, matrix, ann, ann_ef)

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, query: NDArray[np.float32], k: int, exact: bool = False) -> list[tuple[str, float]]:
        """(passage id, cosine) pairs, best first."""
        if query.shape[-1] != self.dim:
            raise VectorsError(f"the query vector is {query.shape[-1]}-d but the vectors in {self.dir} are "
                               f"{self.dim}-d ({self.spec}): {rebuild_hint(self.dir, '<spec>')}")
        k = min(k, len(self.ids))
        if self.ann is not None and not exact and k > 0:
            found = self.ann.search(query, k)
            return [(self.ids[int(key)], 1.0 - float(d)) for key, d in zip(found.keys, found.distances, strict=True)]
        rows, scores = top_k(self.matrix, query, k)
        return [(self.ids[int(r)], float(s)) for r, s in zip(rows, scores, strict=True)]

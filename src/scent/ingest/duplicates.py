"""Duplicate groups: documents that say the same thing (a Sphinx page and its `_sources/*.rst.txt`, the same PDF
saved twice, a page and its printable copy) are grouped when indexed, and a search shows one member per group
with the others as "also in" (`scent.index.groups`). Every document keeps its own passages: grouping hides
nothing a search could not otherwise find.

Two rules form groups (union of both, transitively):
- **near duplicates**: a MinHash of the document's 5-word shingles (lower-cased words); two documents whose
  estimated Jaccard similarity is at least `THRESHOLD` are duplicates. Candidates come from LSH (`BANDS` bands of
  `ROWS` values: a pair at similarity 0.8 is a candidate with probability 0.9998, one at 0.3 with 0.12), each
  then checked on the whole signature.
- **Sphinx sources**: `P/_sources/NAME.rst.txt` (also `.md.txt`, `.txt`) is the source of `P/NAME.html` in the
  same root, whatever their similarity (rendered roles and expanded tables of contents put a page and its
  source as low as 0.26 on shingles).

The member that stands for a group is the best formatted (`preference`): HTML over documents (PDF, Office)
over plain text over Sphinx sources; then a name that is not a copy's (`x (1).pdf`, `Copy of x`, `x - Copy`,
`x.bak`); then the shorter path, then the path and root (so the choice never depends on the order of indexing).

Signatures are computed from the stored text of every document that has none (new, changed, or indexed before
signatures existed), after the run's documents are committed; the groups are then recomputed from all
signatures at once. Both are derived data, rebuilt by the next run if a run is killed. Pure functions here; the
store tables (`signatures`, `duplicates`) are described in docs/index-format.md.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import numpy as np

    from scent.index.store import Store

SHINGLE = 5  # words per shingle
PERMUTATIONS = 64  # MinHash values per document (standard error of the estimate ~0.05 at similarity 0.8)
BANDS, ROWS = 16, 4  # LSH: BANDS * ROWS == PERMUTATIONS
THRESHOLD = 0.8  # estimated Jaccard similarity of shingles above which two documents are one group

_WORD = re.compile(r"\w+")
_SPHINX_SOURCE = re.compile(r"^(?P<prefix>(?:.*/)?)_sources/(?P<name>.+?)(?:\.rst|\.md)?\.txt$")
_COPY = re.compile(r"(?i)(?:\(\d+\)|\bcopy\b|\bkopie\b|\bcopie\b|~$|\.bak$|\.orig$)")
_HTML = {"html", "htm", "xhtml"}
_DOCUMENTS = {"pdf", "docx", "odt", "epub", "pptx", "odp", "xlsx", "ods", "rtf"}
K = TypeVar("K", bound=Hashable)  # a document's key: the store's number, Milvus's doc key


def _hash_coefficients() -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    rng = np.random.default_rng(0x5CE27)  # fixed: signatures are stored and compared across runs
    a = rng.integers(1, 2**63, PERMUTATIONS, dtype=np.uint64) | np.uint64(1)  # odd multipliers
    b = rng.integers(0, 2**63, PERMUTATIONS, dtype=np.uint64)
    return a, b


_COEFFICIENTS: tuple[np.ndarray, np.ndarray] | None = None


def signature(text: str) -> bytes:
    """The MinHash of a text's 5-word shingles: PERMUTATIONS little-endian uint32 values. Words are `\\w+` runs,
    lower-cased, so markup punctuation, quoting (`> `) and line breaks do not matter; a text of fewer than 5
    words is one shingle; a text without words hashes the empty shingle."""
    import numpy as np

    global _COEFFICIENTS
    if _COEFFICIENTS is None:
        _COEFFICIENTS = _hash_coefficients()
    a, b = _COEFFICIENTS
    words = _WORD.findall(text.lower())
    ids = {w: zlib.crc32(w.encode("utf-8", "surrogatepass")) for w in set(words)}
    w = np.fromiter((ids[x] for x in words), dtype=np.uint64, count=len(words))
    n = len(w) - SHINGLE + 1
    if n < 1:  # short text: one shingle of all its words
        w, n = np.concatenate([w, np.zeros(SHINGLE - len(w), dtype=np.uint64)]), 1
    shingles = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):  # arithmetic modulo 2**64 is the point
        for i in range(SHINGLE):  # polynomial hash of the shingle's word hashes
            shingles = shingles * np.uint64(0x100000001B3) + w[i : i + n]
        # multiply-shift hashing (Dietzfelbinger): the top 32 bits of a*x + b, one (a, b) per permutation
        mixed = (a[:, None] * shingles[None, :] + b[:, None]) >> np.uint64(32)
    return bytes(mixed.min(axis=1).astype("<u4").tobytes())


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two documents' shingle sets: the share of equal MinHash values."""
    import numpy as np

    return float(np.mean(np.frombuffer(a, "<u4") == np.frombuffer(b, "<u4")))


def sphinx_page(path: str) -> str | None:
    """The HTML page a Sphinx source file (`_sources/NAME.rst.txt`) was rendered to, else None."""
    m = _SPHINX_SOURCE.match(path)
    return f"{m['prefix']}{m['name']}.html" if m else None


def preference(root: str, path: str) -> tuple[int, int, int, str, str]:
    """Sort key of the member that stands for its group (smallest first): see the module docstring."""
    name = path.rsplit("/", 1)[-1]
    stem, _, ext = name.rpartition(".")
    ext = ext.lower() if stem else ""
    rank = 3 if sphinx_page(path) else 0 if ext in _HTML else 1 if ext in _DOCUMENTS else 2
    copy = int(bool(_COPY.search(stem or name) or _COPY.search(name)))
    return rank, copy, len(path), path, root


def near_pairs(docs: Sequence[K], signatures: Sequence[bytes]) -> list[tuple[K, K]]:
    """Pairs of documents whose signatures are at least THRESHOLD similar (LSH candidates, then checked)."""
    import numpy as np

    if len(docs) < 2:
        return []
    matrix = np.frombuffer(b"".join(signatures), "<u4").reshape(len(docs), PERMUTATIONS)
    candidates: set[tuple[int, int]] = set()
    for band in range(BANDS):  # documents whose ROWS values of a band are all equal are candidates
        keys = np.ascontiguousarray(matrix[:, band * ROWS : (band + 1) * ROWS]).view(f"V{4 * ROWS}").ravel()
        _, bucket, size = np.unique(keys, return_inverse=True, return_counts=True)
        shared = np.flatnonzero(size[bucket] > 1)
        shared = shared[np.argsort(bucket[shared], kind="stable")]
        for same in np.split(shared, np.flatnonzero(np.diff(bucket[shared])) + 1) if len(shared) else []:
            first, *rest = same.tolist()
            if len(same) > 32:  # many copies of one text: a star is enough to join them
                candidates.update((first, x) for x in rest)
            else:
                candidates.update((x, y) for k, x in enumerate(same.tolist()) for y in same.tolist()[k + 1 :])
    if not candidates:
        return []
    pairs = np.array(sorted(candidates))
    shared = (matrix[pairs[:, 0]] == matrix[pairs[:, 1]]).mean(axis=1)
    return [(docs[x], docs[y]) for (x, y), s in zip(pairs.tolist(), shared.tolist(), strict=True) if s >= THRESHOLD]


def groups(documents: dict[K, tuple[str, str]], pairs: Sequence[tuple[K, K]]) -> dict[K, K]:
    """Member → the document that stands for its group, for every document in a group of two or more (the
    standing one excluded). `documents`: doc → (root, path); `pairs`: duplicates, joined transitively."""
    parent = {d: d for pair in pairs for d in pair}

    def find(d: K) -> K:
        while parent[d] != d:
            parent[d] = parent[parent[d]]
            d = parent[d]
        return d

    for x, y in pairs:
        parent[find(x)] = find(y)
    members: dict[K, list[K]] = {}
    for d in parent:
        members.setdefault(find(d), []).append(d)
    standing: dict[K, K] = {}
    for group in members.values():
        best = min(group, key=lambda d: preference(*documents[d]))
        standing.update({d: best for d in group if d != best})
    return standing


def sphinx_pairs(documents: dict[K, tuple[str, str]]) -> list[tuple[K, K]]:
    """(source, page) for every Sphinx source whose rendered page is indexed in the same root."""
    by_path = {key: doc for doc, key in documents.items()}
    pairs = []
    for doc, (root, path) in documents.items():
        page = sphinx_page(path)
        if page is not None and (root, page) in by_path:
            pairs.append((doc, by_path[(root, page)]))
    return pairs


def regroup(store: Store) -> int:
    """Sign the documents that have no signature yet, then recompute every duplicate group; returns how many
    documents were signed. Cheap when nothing changed: one query, no transaction."""
    db = store.db
    unsigned = [r[0] for r in db.execute(
        "SELECT doc FROM documents d WHERE text IS NOT NULL AND state != 'deleting' "
        "AND NOT EXISTS (SELECT 1 FROM signatures s WHERE s.doc = d.doc)")]
    if not unsigned and store.meta("groups") != "stale":
        return 0
    store.begin()
    for start in range(0, len(unsigned), 500):
        part = unsigned[start : start + 500]
        rows = db.execute(f"SELECT doc, text FROM documents WHERE doc IN ({','.join('?' * len(part))})", part)
        db.executemany("INSERT OR REPLACE INTO signatures VALUES (?, ?)",
                       [(doc, signature(text)) for doc, text in rows])
    documents: dict[int, tuple[str, str]] = {}
    signatures: dict[int, bytes] = {}
    for doc, root, path, minhash in db.execute(
            "SELECT doc, root, path, minhash FROM signatures JOIN documents USING (doc) WHERE state != 'deleting'"):
        documents[doc], signatures[doc] = (root, path), minhash
    docs = list(signatures)
    pairs = near_pairs(docs, [signatures[d] for d in docs]) + sphinx_pairs(documents)
    db.execute("DELETE FROM duplicates")
    db.executemany("INSERT INTO duplicates VALUES (?, ?)", sorted(groups(documents, pairs).items()))
    store.set_meta("groups", "current")
    store.commit()
    return len(unsigned)

"""The conformance suite every index backend must pass, run against each one through the registry
(`scent.backends`): the embedded folder (tantivy + SQLite + vectors), a Milvus collection on a real Milvus Lite
server (tests/milvus_fixtures.py), and the skeleton in-memory backend (tests/skeleton_backend.py) that shows a new
backend is one module plus one registry line. Whatever the agent, the servers and
the evaluation rely on — search in the three modes, provenance, neighbours, documents, incremental re-indexing —
must behave the same on both."""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docs_factory import small_corpus
from test_dense import HashEmbedder

from scent.config import IndexConfig, RetrievalConfig, ScentConfig
from scent.types import IngestSummary

_names = itertools.count()
ODD_ID = "<dbpedia:Miller's_\"Crossing\"\\x>"  # quotes and a backslash: ids are data, never filter syntax


def _corpus(root: Path) -> Path:
    small_corpus(root)  # the formats of test_index.py, and records of a corpus file
    records = [{"id": "r1", "title": "Swans", "text": "Mute swans are large white birds of lakes."},
               {"id": "r2", "title": "Geese", "text": "Barnacle geese nest on cliffs."},
               {"id": ODD_ID, "title": "Whooper's", "text": "Whooper swans winter in Ireland."}]
    (root / "birds.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return root


class Backend:
    """Build and open one index of the given kind through the registry (`scent.backends.backend_for`), with the
    hashing embedder for its vectors."""

    def __init__(self, kind: str, tmp: Path, server: tuple[str, int] | None) -> None:
        from scent.backends import backend_for

        self.kind, self.tmp = kind, tmp
        self.embedder = HashEmbedder()
        self.opened: list[Any] = []
        name = f"suite_{os.getpid()}_{next(_names)}"
        self.location = {"embedded": str(tmp / "idx"), "memory": f"memory://{name}",
                         "milvus": f"milvus://{server[0]}:{server[1]}/{name}" if server else ""}[kind]
        self.backend = backend_for(self.location)

    def build(self, paths: list[Path]) -> IngestSummary:
        return self.backend.build(self.location, paths, embedder=self.embedder)

    def open(self, retriever: str | None = None, cfg: ScentConfig | None = None) -> Any:
        index = self.backend.open(self.location, cfg, retriever or "auto", embedder=self.embedder)
        self.opened.append(index)
        return index


@pytest.fixture(params=["embedded", "milvus", "memory"])
def backend(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Backend]:
    from scent import backends

    # the skeleton backend's one registry line (tests/skeleton_backend.py)
    monkeypatch.setitem(backends.BACKENDS, "memory", "skeleton_backend:MemoryBackend")
    server = request.getfixturevalue("milvus_server") if request.param == "milvus" else None
    b = Backend(request.param, tmp_path, server)
    yield b
    for index in b.opened:
        index.close()


def test_every_format_searchable_with_provenance(backend: Backend, tmp_path: Path):
    root = _corpus(tmp_path / "docs")
    summary = backend.build([root])
    assert (summary.added, summary.skipped, summary.documents_total) == (6, 0, 6)
    idx = backend.open("bm25")
    top = {q: idx.search(q, 1)[0] for q in ["sea otters tools", "beaver dams", "herons wade", "dippers",
                                             "ducks dabble", "barnacle geese"]}
    assert top["sea otters tools"].path == "otters.txt"
    assert (top["beaver dams"].path, top["beaver dams"].headings) == ("guide.md", ["Beaver guide", "Dams"])
    assert top["herons wade"].path == "sub/page.html" and top["herons wade"].title == "Herons"
    assert (top["dippers"].path, top["dippers"].page) == ("report.pdf", 2)
    assert top["ducks dabble"].headings == ["Policy", "Ducks"]
    geese = top["barnacle geese"]
    assert (geese.path, geese.source_id, geese.title, geese.id) == ("birds.jsonl", "r2", "Geese", "r2")
    text = (root / "otters.txt").read_text()
    hit = top["sea otters tools"]
    assert text[hit.start : hit.end] == hit.text
    # provenance round trip: a passage read back by id is the hit, field for field
    for h in top.values():
        got = idx.get(h.id)
        assert got is not None
        assert {k: v for k, v in h.to_dict().items() if k not in ("score", "snippet")} == got.to_dict()
    assert idx.get("no-such-id") is None
    odd = idx.search("whooper swans ireland", 1)[0]
    assert odd.id == ODD_ID and idx.get(ODD_ID) == idx.get_many([ODD_ID, "x'y"])[ODD_ID]
    assert [p.id for p in idx.neighbours(ODD_ID, 1, 1)] == [ODD_ID]
    assert idx.search("", 5) == [] and idx.search("zzzqqq", 5) == [] and idx.search("?!", 5) == []
    # English stems on both backends: "kingfisher diving" finds "Kingfishers dive"
    assert idx.search("kingfisher diving", 1)[0].path == "report.pdf"


def test_neighbours_documents_and_stats(backend: Backend, tmp_path: Path):
    root = tmp_path / "docs"
    root.mkdir()
    (root / "long.md").write_text("\n\n".join(f"Paragraph {n} about topic{n}. " + "filler words here. " * 40
                                              for n in range(6)))
    _corpus(root)
    backend.build([root])
    idx = backend.open("bm25")
    middle = idx.search("topic3", 1)[0]
    around = idx.neighbours(middle.id, 1, 1)
    assert [p.seq for p in around] == [middle.seq - 1, middle.seq, middle.seq + 1]
    assert all(p.path == "long.md" for p in around)
    record = idx.search("mute swans", 1)[0]
    assert [p.id for p in idx.neighbours(record.id, 3, 3)] == [record.id]  # a record is a document of its own
    assert idx.neighbours("missing", 1, 1) == []
    whole = idx.document_passages("long.md")
    assert [p.seq for p in whole] == list(range(len(whole))) and len(whole) >= 3
    assert [p.id for p in idx.document_passages("birds.jsonl#r1")] == ["r1"]
    assert idx.document_passages("nothing.md") == []
    total, page = idx.list_documents(3, 0)
    assert total == 7 and [d["path"] for d in page] == ["birds.jsonl", "guide.md", "long.md"]
    assert page[0]["passages"] == 3 and page[0]["kind"] == "jsonl"
    assert [d["path"] for d in idx.list_documents(10, 5)[1]] == ["report.pdf", "sub/page.html"]
    passages = sum(d["passages"] for d in idx.list_documents(100, 0)[1])
    assert idx.stats() == {"documents": 7, "passages": passages}
    assert idx.get_many([middle.id, "missing"]).keys() == {middle.id}


def test_three_retrievers(backend: Backend, tmp_path: Path):
    backend.build([_corpus(tmp_path / "docs")])
    idx = backend.open()
    assert idx.has_vectors() and idx.resolve() == "hybrid" and idx.resolve("dense") == "dense"
    with pytest.raises(ValueError, match="unknown retriever"):
        idx.resolve("magic")
    for retriever in ("bm25", "dense", "hybrid"):
        hits = idx.search("beavers build dams from branches", 3, retriever=retriever)
        assert hits[0].path == "guide.md", retriever
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    # hybrid fuses the two rankings (default: CombMAX of min-max scores, 0.3 : 0.7): its top k come from them,
    # its scores are a weight times a normalised score (0.7 at most)
    query = "otters rocks"
    depth = {h.id for r in ("bm25", "dense") for h in idx.search(query, 100, retriever=r)}
    fused = idx.search(query, 5, retriever="hybrid")
    assert {h.id for h in fused} <= depth
    assert 0 < fused[0].score <= 0.7 + 1e-6
    snippets = idx.search("herons", 1, snippets=True, retriever="bm25")
    assert "Herons" in snippets[0].snippet


def test_incremental_reindex_add_change_delete(backend: Backend, tmp_path: Path):
    root = _corpus(tmp_path / "docs")
    backend.build([root])
    before = {h.id for h in backend.open("bm25").search("otters OR beavers OR herons", 50)}
    again = backend.build([root])
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 6)
    time.sleep(0.01)
    (root / "otters.txt").write_text("Otters are semiaquatic mammals.\n\nRiver otters eat crayfish.")
    (root / "new.md").write_text("# Newts\n\nNewts are amphibians.")
    (root / "guide.md").unlink()
    os.utime(root / "report.pdf")  # touched but unchanged: hashed, not re-read
    s = backend.build([root])
    assert (s.added, s.updated, s.removed, s.unchanged) == (1, 1, 1, 4)
    idx = backend.open()
    for retriever in ("bm25", "dense", "hybrid"):
        assert idx.search("river otters crayfish", 1, retriever=retriever)[0].path == "otters.txt"
        assert idx.search("newts amphibians", 1, retriever=retriever)[0].path == "new.md"
        paths = {h.path for h in idx.search("beaver dams branches mud", 20, retriever=retriever)}
        assert "guide.md" not in paths, retriever
    assert idx.search("rocks shells", 5, retriever="bm25") == []  # the old text of the changed file is gone
    assert idx.document_passages("guide.md") == []
    assert idx.stats()["documents"] == 6
    assert before  # the first build was searchable


def test_exact_phrase_lookup(backend: Backend, tmp_path: Path):
    """The agent's `lookup` (a quoted phrase, BM25): only passages holding the words in that order, so a term
    absent from the documents finds nothing — on every backend."""
    from scent.tools import Tools

    backend.build([_corpus(tmp_path / "docs")])
    idx = backend.open()
    hits = idx.search('"barnacle geese"', 5, retriever="bm25")
    assert [h.id for h in hits] == ["r2"]
    assert idx.search('"cliffs nest"', 5, retriever="bm25") == []  # both words, not as a phrase
    assert idx.search('"Barnacle Geese" cliffs', 5, retriever="bm25")[0].id == "r2"
    tools = Tools(idx)
    found = tools.lookup("barnacle geese")
    assert found.ids == ["r2"] and not found.error
    absent = tools.lookup("cliffs nest")  # each word is in the corpus, the phrase is not
    assert absent.ids == [] and "No passage contains" in absent.text


@pytest.mark.parametrize(("bm25_weight", "dense_weight", "alone"), [(1.0, 0.0, "bm25"), (0.0, 1.0, "dense")])
def test_hybrid_fusion_weights(backend: Backend, tmp_path: Path, bm25_weight: float, dense_weight: float,
                               alone: str):
    """Hybrid follows `retrieval.fusion` (here weighted RRF: `bm25_weight`, `dense_weight`, `rrf_k`) on every
    backend: with one weight at 0 it ranks as the other retriever alone, with scores weight / (rrf_k + rank)."""
    backend.build([_corpus(tmp_path / "docs")])
    retrieval = RetrievalConfig(fusion="rrf", bm25_weight=bm25_weight, dense_weight=dense_weight, rrf_k=10)
    cfg = ScentConfig(index=IndexConfig(retrieval=retrieval))
    idx = backend.open(cfg=cfg)
    query = "otters beavers herons"
    single = idx.search(query, 3, retriever=alone)
    fused = idx.search(query, 3, retriever="hybrid")
    assert len(single) == 3 and [h.id for h in fused] == [h.id for h in single]
    assert [h.score for h in fused] == pytest.approx([1 / 11, 1 / 12, 1 / 13])

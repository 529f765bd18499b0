"""The Milvus backend groups duplicate documents as the folder index does (issue 23): one member per group in a
search, the others as `also_in`; a change that ends a duplicate ends its group; a collection made before groups
is grouped by its next run."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from conftest import scent

from scent.index import Index
from scent.milvus import parse_uri
from scent.milvus.client import Client
from scent.milvus.index import MilvusIndex

pytestmark = pytest.mark.integration
_names = itertools.count()

WORDS = " ".join(f"word{i}" for i in range(80))


def _folder(root: Path) -> Path:
    root.mkdir()
    (root / "notes.txt").write_text(f"Release notes of the beaver project. {WORDS}")
    (root / "notes (1).txt").write_text(f"Release notes of the beaver project. {WORDS}")  # a copy
    (root / "page.html").write_text("<html><title>Dams</title><body><h1>Dams</h1><p>Beavers build dams of "
                                    "branches and mud across streams.</p></body></html>")
    (root / "_sources").mkdir()
    (root / "_sources" / "page.rst.txt").write_text("Dams\n====\n\nBeavers build dams of branches and mud "
                                                    "across streams, says the source.\n")
    (root / "other.md").write_text("# Otters\n\nOtters build no dams; they fish in streams.\n")
    filler = " ".join(f"filler{i}" for i in range(150))  # the page's passage is long, its source's short
    (root / "queue.html").write_text(f"<html><title>Queues</title><body><p>Workers gather results. {filler}</p>"
                                     "</body></html>")
    (root / "_sources" / "queue.rst.txt").write_text(f"Workers gather results.\n\n{filler}\n")
    return root


def _shown(index: Index | MilvusIndex, query: str) -> list[tuple[str, list[str]]]:
    return [(h.path, h.also_in) for h in index.search(query, 5, retriever="bm25")]


def test_milvus_groups_duplicates_as_the_folder_index(milvus_server: tuple[str, int], tmp_path: Path):
    docs = _folder(tmp_path / "docs")
    uri = f"milvus://{milvus_server[0]}:{milvus_server[1]}/groups_{os.getpid()}_{next(_names)}"
    scent("index", docs, "--index", uri, "--no-vectors", "-q")
    scent("index", docs, "--index", tmp_path / "idx", "--no-vectors", "-q")
    location = parse_uri(uri)
    with Index.open(tmp_path / "idx") as folder, MilvusIndex.open(location) as milvus:
        for query in ("beaver release notes", "beavers dams streams"):
            assert _shown(milvus, query) == _shown(folder, query), query
        assert _shown(milvus, "beaver release notes")[0] == ("notes.txt", ["notes (1).txt"])
        shown = _shown(milvus, "beavers dams streams")
        assert ("page.html", ["_sources/page.rst.txt"]) in shown and ("other.md", []) in shown
        assert not [p for p, _ in shown if p.startswith("_sources/")]
        assert "says the source" in milvus.document_passages("_sources/page.rst.txt")[0].text  # still a document
        # only the source's passage ranks: the page's best passage takes its place, in both backends
        gather = [(h.path, h.also_in) for h in milvus.search("gather", 1, retriever="bm25")]
        assert gather == [(h.path, h.also_in) for h in folder.search("gather", 1, retriever="bm25")]
        assert gather == [("queue.html", ["_sources/queue.rst.txt"])]

    (docs / "notes (1).txt").write_text("A different text about otters and their dens. " * 5)  # no longer a copy
    scent("index", docs, "--index", uri, "--no-vectors", "-q")
    with MilvusIndex.open(location) as milvus:
        assert _shown(milvus, "beaver release notes")[0] == ("notes.txt", [])

    client = Client(location)  # a collection of before (no groups collection): grouped by its next run
    client.milvus.drop_collection(location.groups)
    client.close()
    with MilvusIndex.open(location) as milvus:
        assert not milvus.grouped  # searched without groups: the source shows
        assert ("_sources/page.rst.txt", []) in _shown(milvus, "beavers dams streams")
    scent("index", docs, "--index", uri, "--no-vectors", "-q")
    with MilvusIndex.open(location) as milvus:
        assert ("page.html", ["_sources/page.rst.txt"]) in _shown(milvus, "beavers dams streams")

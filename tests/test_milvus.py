"""The Milvus backend's own cases, on real Milvus Lite servers started on loopback: the index URI, the CLI end to
end, kill -9 during ingestion then resume, a server that is down or goes down, and collections that do not fit.
The retrieval behaviour shared with the embedded index is tested once for both in tests/test_backends.py."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import scent
from milvus_fixtures import free_port, milvus_lite_server, require_milvus_lite

from scent import app
from scent.config import MilvusConfig, load_config
from scent.milvus import MilvusError, MilvusSchemaError, MilvusUnavailable, is_milvus_uri, parse_uri

_names = itertools.count()


def _uri(server: tuple[str, int], name: str = "") -> str:
    return f"milvus://{server[0]}:{server[1]}/{name or 'c'}_{os.getpid()}_{next(_names)}"


def _docs(root: Path, n: int = 3) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (root / f"doc{i}.md").write_text("\n\n".join(f"# Part {j}\n\nDocument {i} part {j} mentions "
                                                      f"word{i}x{j} and " + "more text here. " * 60
                                                      for j in range(4)))
    return root


def _config(tmp: Path, **milvus: object) -> Path:
    path = tmp / "scent.toml"
    path.write_text("[index.milvus]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in milvus.items()))
    return path


def test_uri_parsing():
    where = parse_uri("milvus://db.example:19530/wiki_2024")
    assert (where.host, where.port, where.collection, where.uri) == ("db.example", 19530, "wiki_2024",
                                                                    "http://db.example:19530")
    assert str(parse_uri(Path("milvus://127.0.0.1:1/x"))) == "milvus://127.0.0.1:1/x"  # a Path collapses "//"
    assert is_milvus_uri(Path("milvus://h:1/x")) and not is_milvus_uri(Path(".scent"))
    for bad in ("milvus://h/x", "milvus://h:0/x", "milvus://h:1/", "milvus://h:1/9x", "milvus://h:1/a-b"):
        with pytest.raises(MilvusError, match="milvus://HOST:PORT/COLLECTION"):
            parse_uri(bad)
    with pytest.raises(app.IndexProblem, match="milvus://HOST:PORT/COLLECTION"):
        app.open_index("milvus://nowhere/x")
    assert app.index_label("milvus://h:1/x") == "milvus://h:1/x"
    assert app.traces_folder("milvus://h:1/x") == Path(".scent/traces/milvus-h-1-x")


@pytest.mark.integration
def test_cli_index_search_show_and_reindex(milvus_server: tuple[str, int], tmp_path: Path):
    docs = _docs(tmp_path / "docs")
    uri = _uri(milvus_server)
    out = json.loads(scent("index", docs, "--index", uri, "--no-vectors", "--json").stdout)
    assert (out["added"], out["documents_total"], out["vectors"]) == (3, 3, None)
    hits = json.loads(scent("search", "word1x2", "--index", uri, "--json").stdout)
    assert hits[0]["path"] == "doc1.md" and hits[0]["headings"] == ["Part 2"]
    shown = json.loads(scent("show", hits[0]["id"], "--index", uri, "--json").stdout)
    assert shown["id"] == hits[0]["id"] and [p["seq"] for p in shown["before"]] == [hits[0]["seq"] - 1]
    (docs / "doc0.md").unlink()
    again = json.loads(scent("index", docs, "--index", uri, "--json").stdout)  # vectors follow the collection
    assert (again["removed"], again["unchanged"], again["documents_total"]) == (1, 2, 2)
    assert json.loads(scent("search", "word0x1", "--index", uri, "--json").stdout) == []
    refused = scent("search", "x", "--index", uri, "--retriever", "dense", check=False)
    assert refused.returncode == 2 and "has no vectors" in refused.stderr
    missing = scent("search", "x", "--index", _uri(milvus_server, "absent"), check=False)
    assert missing.returncode == 2 and "no scent index in milvus://" in missing.stderr


@pytest.mark.integration
def test_kill_9_during_ingestion_then_resume(milvus_server: tuple[str, int], tmp_path: Path):
    """Killed right after a first batch of a document's passages was written: the next run finishes the index,
    which then equals one built in a single run."""
    docs = _docs(tmp_path / "docs", 4)
    config = _config(tmp_path, insert_batch=2)
    uri, clean = _uri(milvus_server, "killed"), _uri(milvus_server, "clean")
    env = {**os.environ, "SCENT_PAUSE_AT": "milvus-batch-inserted"}
    proc = subprocess.Popen([sys.executable, "-m", "scent", "index", str(docs), "--index", uri, "--no-vectors",
                             "--config", str(config), "-q"], stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stderr is not None
    assert proc.stderr.readline() == "paused at milvus-batch-inserted\n"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with app.open_index(uri) as idx:  # the killed run left a pending document with part of its passages
        partial = idx.stats()["passages"]
        assert idx.list_documents()[0] == 0 and partial == 2
    resumed = json.loads(scent("index", docs, "--index", uri, "--no-vectors", "--config", config, "--json").stdout)
    assert resumed["added"] + resumed["updated"] == 4 and resumed["documents_total"] == 4
    scent("index", docs, "--index", clean, "--no-vectors", "-q")
    with app.open_index(uri) as a, app.open_index(clean) as b:
        assert a.stats() == b.stats()
        assert a.list_documents() == b.list_documents()
        for doc in ("doc0.md", "doc3.md"):
            assert [p.to_dict() for p in a.document_passages(doc)] == [p.to_dict() for p in b.document_passages(doc)]
        assert [h.id for h in a.search("word2x3 text", 10)] == [h.id for h in b.search("word2x3 text", 10)]


def test_server_down_is_a_clear_error(tmp_path: Path):
    require_milvus_lite()
    uri = f"milvus://127.0.0.1:{free_port()}/nothing"
    cfg = load_config(_config(tmp_path, max_retries=0))
    with pytest.raises(app.IndexProblem, match=r"cannot reach the Milvus server at 127\.0\.0\.1:\d+ .*start it"):
        app.open_index(uri, cfg)
    proc = scent("search", "x", "--index", uri, "--config", tmp_path / "scent.toml", check=False)
    assert proc.returncode == 2 and "cannot reach the Milvus server" in proc.stderr and "Traceback" not in proc.stderr
    proc = scent("index", tmp_path, "--index", uri, "--config", tmp_path / "scent.toml", "--no-vectors", check=False)
    assert proc.returncode == 1 and "cannot reach the Milvus server" in proc.stderr


@pytest.mark.integration
def test_server_going_down_mid_session_and_mismatched_collections(tmp_path: Path):
    from test_dense import HashEmbedder

    from scent.milvus.client import Client
    from scent.milvus.index import MilvusIndex
    from scent.milvus.ingest import build

    docs = _docs(tmp_path / "docs", 2)
    with milvus_lite_server(tmp_path / "data") as (host, port, proc):
        where = parse_uri(f"milvus://{host}:{port}/coll")
        build(where, [docs], embedder=HashEmbedder(32))
        with pytest.raises(MilvusSchemaError, match=r"made with the embedder test:hash-32 \(32-d\).*asks for no "
                                                    r"vectors"):
            build(where, [docs])
        with pytest.raises(MilvusSchemaError, match="test:hash-16"):
            build(where, [docs], embedder=HashEmbedder(16))
        client = Client(parse_uri(f"milvus://{host}:{port}/foreign"))  # a collection scent did not make
        client.milvus.create_collection("foreign", dimension=4)
        client.close()
        with pytest.raises(app.IndexProblem, match="was not made by scent"):
            app.open_index(f"milvus://{host}:{port}/foreign")
        idx = MilvusIndex.open(where, config=MilvusConfig(max_retries=1), embedder=HashEmbedder(32))
        assert idx.search("word1x1", 1, retriever="hybrid")[0].path == "doc1.md"
        proc.terminate()
        proc.wait()
        with pytest.raises(MilvusUnavailable, match="stopped answering"):
            idx.search("word1x1", 1)
        idx.close()


@pytest.mark.integration
def test_eval_retrieval_into_milvus(milvus_server: tuple[str, int], tmp_path: Path):
    beir = tmp_path / "beir"
    (beir / "qrels").mkdir(parents=True)
    docs = {"d1": "Widgets are blue.", "d2": "Gadgets are red.", "d3": "Widgets and gadgets are toys."}
    (beir / "corpus.jsonl").write_text("".join(json.dumps({"_id": i, "title": "", "text": t}) + "\n"
                                               for i, t in docs.items()))
    (beir / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "blue widgets"}) + "\n")
    (beir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td3\t1\n")
    uri = _uri(milvus_server, "beir")
    for _ in range(2):  # the second run reuses the collection (nothing re-indexed)
        out = json.loads(scent("eval-retrieval", "--beir", beir, "--index", uri, "--json").stdout)
        assert (out["queries"], out["documents"], out["retriever"]) == (1, 3, "bm25")
        assert out["ndcg@10"] == 1.0 and out["recall@100"] == 1.0


@pytest.mark.integration
def test_the_servers_tools_over_a_milvus_index(milvus_server: tuple[str, int], tmp_path: Path):
    """What `scent serve` / `scent mcp` open for `--index milvus://…`: search, read, get_document, list_sources."""
    from scent.serve.library import parse_named
    from scent.serve.server import open_served

    docs = _docs(tmp_path / "docs", 2)
    uri = _uri(milvus_server, "served")
    scent("index", docs, "--index", uri, "--no-vectors", "-q")
    (name, where), = parse_named([uri])
    library = open_served([(name, where)], load_config(None), None, agent=False)
    corpus = library.corpus(name)
    assert corpus.stats()["documents"] == 2 and corpus.stats()["retriever"] == "bm25"
    hit = corpus.search("word1x3", 3)[0]
    assert (hit.path, hit.docid) == ("doc1.md", "doc1.md")
    read = corpus.read(hit.id, 1)
    assert read.passage.id == hit.id and len(read.before) == 1
    document = corpus.get_document("doc1.md")
    assert [p.seq for p in document.passages] == list(range(len(document.passages)))
    assert corpus.get_document(hit.id).docid == "doc1.md"
    listed = corpus.list_sources(10, 0)
    assert listed.total == 2 and [s.path for s in listed.sources] == ["doc0.md", "doc1.md"]
    assert corpus.verify_citation(hit.id, "mentions word1x3").verbatim


@pytest.mark.integration
def test_bm25_quality_matches_the_embedded_index_on_dbpedia(milvus_server: tuple[str, int], shared_data: Path):
    """BM25 over scent's stems in Milvus ranks DBpedia-5k as well as the embedded index (0.385 vs 0.374 nDCG@10
    when written; Milvus Lite's standard analyzer alone: 0.334)."""
    embedded = json.loads(scent("eval-retrieval", "--beir", shared_data / "beir-dbpedia-5k", "--json").stdout)
    milvus = json.loads(scent("eval-retrieval", "--beir", shared_data / "beir-dbpedia-5k", "--index",
                              _uri(milvus_server, "dbpedia"), "--json").stdout)
    assert (milvus["documents"], milvus["queries"], milvus["retriever"]) == (5000, 40, "bm25")
    assert abs(milvus["ndcg@10"] - embedded["ndcg@10"]) <= 0.02
    assert abs(milvus["recall@100"] - embedded["recall@100"]) <= 0.02

"""The agent's tools over a real index: schemas from docstrings, results, and errors as observations."""

from __future__ import annotations

from pathlib import Path

import pytest

from scent.index import Index
from scent.ingest.pipeline import build
from scent.tools import Tools, tool_schema


@pytest.fixture()
def tools(tmp_path: Path):
    root = tmp_path / "docs"
    root.mkdir()
    sections = "\n\n".join(f"## Part {i}\n\n" + " ".join(f"Filler sentence {i}.{j}." for j in range(60))
                           for i in range(4))
    (root / "manual.md").write_text(f"# Manual\n\n{sections}\n\n## Limits\n\nThe default limit is 42 widgets.\n")
    (root / "other.txt").write_text("Widgets are small. Nothing about limits here.")
    build(tmp_path / "idx", [root])
    with Index.open(tmp_path / "idx") as index:
        yield Tools(index)


def test_schemas_come_from_signatures_and_docstrings(tools: Tools):
    schema = tool_schema(tools.search)["function"]
    assert schema["name"] == "search" and schema["description"].startswith("Search the documents")
    params = schema["parameters"]
    assert params["required"] == ["query"] and params["properties"]["k"] == {
        "type": "integer", "description": "how many passages to return (1-20)", "default": 5}
    assert [s["function"]["name"] for s in tools.schemas()] == ["search", "lookup", "open_document",
                                                                "find_in_document"]


def test_search_open_find(tools: Tools):
    found = tools.search("default limit widgets", k=3)
    assert found.ids and "42 widgets" in found.text and "Manual › Limits" in found.text
    limit_id = found.ids[0]
    opened = tools.open_document(limit_id, window=1)
    assert opened.ids[-1] == limit_id and len(opened.ids) == 2 and "Filler sentence 3" in opened.text
    located = tools.find_in_document(opened.ids[0], "42 WIDGETS")
    assert located.ids == [limit_id] and "42 widgets" in located.text
    assert "does not occur" in tools.find_in_document(limit_id, "zebra").text


@pytest.mark.parametrize("name,args,message", [
    ("delete_everything", {}, "Unknown tool"),
    ("search", {}, "missing argument(s) ['query']"),
    ("search", {"query": "x", "limit": 3}, "unknown argument(s) ['limit']"),
    ("search", {"query": "x", "k": "many"}, "Bad call to search"),
    ("open_document", {"passage_id": "nope"}, "No passage with id 'nope'"),
    ("find_in_document", {"passage_id": "nope", "pattern": "x"}, "No passage with id 'nope'"),
    ("find_in_document", {"passage_id": "nope", "pattern": " "}, "The pattern is empty"),
])
def test_bad_calls_come_back_as_error_observations(tools: Tools, name: str, args: dict[str, object], message: str):
    observation = tools.call(name, args)
    assert observation.error and message in observation.text


def test_call_converts_json_arguments(tools: Tools):
    assert tools.call("search", {"query": "widgets", "k": "1"}).ids == tools.search("widgets", 1).ids


def test_lookup_finds_exact_phrases_only_and_says_when_nothing_holds_them(tools: Tools):
    found = tools.lookup("default limit")
    assert found.ids and "42 widgets" in found.text
    assert tools.lookup("limit default").ids != found.ids or "42 widgets" in tools.lookup("limit default").text
    missing = tools.lookup("innodb_buffer_pool_size")
    assert missing.ids == [] and not missing.error and "No passage contains" in missing.text
    assert tools.call("lookup", {"phrase": ' " '}).error


def test_each_record_of_a_corpus_file_is_a_document_of_its_own(tmp_path: Path):
    import json

    rows = [{"id": "r1", "title": "Alpha", "text": "Alpha is a widget maker."},
            {"id": "r2", "title": "Beta", "text": "Beta sells gadgets and widgets."},
            {"_id": "r3", "title": "Gamma", "text": "Gamma repairs widgets."}]
    root = tmp_path / "docs"
    root.mkdir()
    (root / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    build(tmp_path / "idx", [root])
    with Index.open(tmp_path / "idx") as index:
        tools = Tools(index)
        beta = index.search("Beta gadgets", 1)[0]
        assert beta.source_id == "r2" and beta.document == "corpus.jsonl#r2"
        opened = tools.open_document(beta.id, window=3)
        assert opened.ids == [beta.id] and "Alpha" not in opened.text  # not the neighbouring rows of the file
        assert "does not occur" in tools.find_in_document(beta.id, "repairs").text  # Gamma's words, another record


def test_the_server_shares_the_agents_declaration_of_every_parameter_they_both_take():
    """One tool surface: the server's corpus tools describe (and limit) query, passage_id and window as the agent's
    tools do; the read window is the agent's."""
    from scent.serve.corpus import Corpus
    from scent.tools import MAX_WINDOW, arg_descriptions

    pairs = [(Corpus.search, Tools.search), (Corpus.read, Tools.open_document)]
    for server, agent in pairs:
        shared = arg_descriptions(server).keys() & arg_descriptions(agent).keys() - {"k"}  # k: 1-50 vs 1-20
        assert shared and all(arg_descriptions(server)[n] == arg_descriptions(agent)[n] for n in shared)
    assert f"(0-{MAX_WINDOW})" in arg_descriptions(Tools.open_document)["window"]
    assert tool_schema(Corpus.read)["function"]["parameters"] == tool_schema(Tools.open_document)["function"][
        "parameters"]

"""Reference entries: the writer reads the entry the question names, and a signature's default is read by the
program (`scent.agent.entries`); the unit parts on passages of real manuals' shapes, the agent's use of them with
scripted models over a real index."""

from __future__ import annotations

from pathlib import Path

from test_agent import calls, run

from scent.agent import entries
from scent.agent.answer import excerpt
from scent.types import Passage

SETTINGS = ("Also, in a heavily-cached database you should lower both values.\n\n"
            "cpu_tuple_cost (floating point)\n\n"
            "Sets the planner's estimate of the cost of processing each row during a query. The default is 0.01.\n\n"
            "cpu_index_tuple_cost (floating point)\n\n"
            "Sets the planner's estimate of the cost of processing each index entry. The default is 0.005.\n\n"
            "cpu_operator_cost (floating point)\n\nSets the cost of each operator. The default is 0.0025.")
METHODS = ("   See :meth:`str.removesuffix` for a method that will remove a single suffix.\n\n"
           ".. method:: str.rsplit(sep=None, maxsplit=-1)\n\n   Return a list of the words, from the right.\n\n"
           ".. method:: str.split(sep=None, maxsplit=-1)\n\n   Return a list of the words in the string.\n\n"
           ".. method:: str.splitlines(keepends=False)\n\n   Return a list of the lines in the string.")


def passage(text: str, pid: str = "p1") -> Passage:
    return Passage(id=pid, path="doc.txt", title="Reference", text=text, start=0, end=len(text), seq=0)


def test_heads_are_name_lines_with_a_signature_or_a_type_and_never_a_sentence_or_a_bare_word():
    found = entries.heads(SETTINGS + "\n\nTip\n\nExamples\n\nThe default is fine (mostly).")
    assert [(h.name, h.args) for h in found] == [("cpu_tuple_cost", "(floating point)"),
                                                  ("cpu_index_tuple_cost", "(floating point)"),
                                                  ("cpu_operator_cost", "(floating point)")]
    assert [h.name for h in entries.heads(METHODS)] == ["str.rsplit", "str.split", "str.splitlines"]
    assert entries.heads("class queue.Queue(maxsize=0)\n\nConstructor.")[0].name == "queue.Queue"
    assert entries.heads("pg_size_pretty ( bigint ) → text")[0].args == "( bigint )"
    assert [h.name for h in entries.heads("exception UnboundLocalError\n\nRaised when…\n\nclass Foo:\n\n"
                                          "def f(x):")] == ["UnboundLocalError"]  # code lines end with ":"


def test_the_writer_reads_only_the_entry_the_question_names_in_any_case():
    for question in ("What is the default value of cpu_tuple_cost?", "what is the default of CPU_TUPLE_COST"):
        scoped = entries.scope(question, SETTINGS)
        assert scoped.startswith("cpu_tuple_cost (floating point)") and scoped.endswith("The default is 0.01.")
        assert "0.005" not in excerpt(passage(SETTINGS), question, 1500)
    both = entries.scope("Which is larger, cpu_tuple_cost or cpu_operator_cost?", SETTINGS)
    assert "0.01" in both and "0.0025" in both and "0.005" not in both  # a comparison reads both entries
    assert entries.scope("Which setting lowers the cost of rows?", SETTINGS) == SETTINGS  # names no entry
    # the last part of a dotted name counts, a relation word never does
    assert entries.scope("What does split return?", METHODS).startswith(".. method:: str.split(")
    assert entries.scope("What is the default value?", "Enum.value(x)\n\nThe value.\n\nEnum.name(y)\n\nIt.") == \
        "Enum.value(x)\n\nThe value.\n\nEnum.name(y)\n\nIt."


def test_a_parameters_default_is_read_from_the_signature_of_the_entry_the_question_names():
    decision = entries.decide_default("What is the default value of the maxsplit parameter of str.split?",
                                      [passage(METHODS)])
    assert decision is not None and decision.answer == "-1" and decision.passages == ["p1"]
    lower = entries.decide_default("what does keepends default to in splitlines", [passage(METHODS)])
    assert lower is not None and lower.answer == "False"
    queue = passage("class queue.Queue(maxsize=0)\n\nFIFO.\n\nclass queue.LifoQueue(maxsize=5)\n\nLIFO.", "q")
    assert entries.decide_default("What is the default maxsize of queue.Queue?", [queue]).answer == "0"  # type: ignore[union-attr]
    # the text's own default wins over a placeholder in the signature; a text that repeats the signature's keeps it
    ftp = passage("FTP.connect(host='', port=0, timeout=None)\n\nConnect to the given host and port. The default "
                  "port number is 21, as specified by the FTP protocol specification.", "f")
    assert entries.decide_default("What is the default port number used by ftplib's FTP.connect?", [ftp]) is None
    counted = passage("enumerate(iterable, start=0)\n\nReturns a tuple containing a count (from start which "
                      "defaults to 0) and the values.", "e")
    assert entries.decide_default("what does the start argument of enumerate default to", [counted]).answer == "0"  # type: ignore[union-attr]
    # not a default question; a parameter the signature does not declare; two entries that disagree
    assert entries.decide_default("What does maxsplit of str.split do?", [passage(METHODS)]) is None
    assert entries.decide_default("What is the default sep of str.partition?", [passage(METHODS)]) is None
    other = passage(".. method:: str.split(sep=None, maxsplit=0)\n\n   Another version.", "p2")
    assert entries.decide_default("What is the default maxsplit of str.split?", [passage(METHODS), other]) is None


API = {"api.md": "# String methods\n\n" + METHODS.replace("   ", "") + "\n",
       "settings.md": "# Query planning\n\n" + SETTINGS + "\n"}


def test_the_agent_answers_a_signature_default_by_program_and_cites_the_signature(tmp_path: Path):
    answer, events, _ = run(tmp_path, {"writer": []}, "What is the default value of the maxsplit argument of "
                            "str.split?", extra=API)
    assert not answer.abstained and answer.answer == "-1" and answer.decided_by == "program"
    assert "str.split(sep=None, maxsplit=-1)" in answer.citations[0].quote
    assert not calls(events)  # no model call: the signature says it


def test_the_agents_writer_sees_the_named_entry_not_its_neighbours(tmp_path: Path):
    answer, events, _ = run(tmp_path, {"writer": ["0.01", "0.01", "0.01"]}, "What is the default value of "
                            "cpu_tuple_cost?", extra=API)
    assert answer.answer == "0.01" and answer.decided_by == "writer"
    prompts = [m["content"] for e in calls(events) for m in e["messages"] if m["role"] == "user"]
    assert prompts and all("0.005" not in p and "The default is 0.01" in p for p in prompts)


def test_the_first_hop_looks_up_the_identifiers_and_qualified_names_the_question_gives(tmp_path: Path):
    _, events, _ = run(tmp_path, {"writer": ["0.01"] * 3}, "what is the default of cpu_tuple_cost and str.split",
                       extra=API)
    lookups = [e["args"]["phrase"] for e in calls(events, "tool_call") if e["tool"] == "lookup"]
    assert lookups[:2] == ["cpu_tuple_cost", "str.split"]  # in any case: the question is typed in lower case

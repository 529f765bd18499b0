"""Answerability from meaning (scent.agent.answerability): the absent-subject check reads any case, forgives
typos and ignores word order; the evidence signals see an answer read from a passage about another subject."""

from __future__ import annotations

from pathlib import Path

import pytest
from agent_fixtures import make_index, scripts

from scent.agent import Agent
from scent.agent.answerability import edits, near, relation, subject_coverage, subject_terms, type_match
from scent.text import content_words
from scent.trace import TraceWriter, read_trace
from scent.types import Passage

EXTRA = {"ports.md": "# Server ports\n\nThe widget server listens on port 7070 by default. Change it in widget.conf."}


def ask(tmp_path: Path, question: str, writer: list[str] | None = None):
    index = make_index(tmp_path, EXTRA)
    agent = Agent(index, scripts(tmp_path, {"writer": writer or []}))
    trace = TraceWriter(tmp_path / "run.jsonl")
    answer = agent.run(question, trace)
    trace.close()
    return answer, read_trace(tmp_path / "run.jsonl")


@pytest.mark.parametrize("question", [
    "What is the default port of the zorblax server?",
    "what is the default port of the zorblax server?",
    "WHAT IS THE DEFAULT PORT OF THE ZORBLAX SERVER?",
    "the zorblax server: its default port is what?",
])
def test_a_made_up_subject_is_absent_in_any_case_and_word_order(tmp_path: Path, question: str):
    answer, events = ask(tmp_path, question)
    assert answer.abstained and answer.abstain_reason == "absent"
    assert not [e for e in events if e["type"] == "llm_call"]  # decided before any model call
    assert [e["terms"] for e in events if e["type"] == "stop"] == [["zorblax"]]


@pytest.mark.parametrize("question", [
    "What is the default port of the widget server?",
    "what is the default port of the widget server?",
    "what is the defualt port of the widgett server?",  # typos of words the passages hold
])
def test_a_question_the_corpus_answers_is_not_absent_whatever_its_case_or_typos(tmp_path: Path, question: str):
    answer, events = ask(tmp_path, question, ["7070", "7070", "7070"])
    assert not [e for e in events if e["type"] == "stop"]
    assert answer.answer == "7070" and not answer.abstained


def test_common_words_the_corpus_lacks_decide_nothing():
    assert subject_terms("What nationality was the inventor of the telephone?") == []  # all common words
    assert subject_terms("what does pg_hyperlog do in postgresql?") == ["pg_hyperlog", "postgresql"]
    assert subject_terms("WHAT DOES PG_HYPERLOG DO IN POSTGRESQL?") == ["pg_hyperlog", "postgresql"]
    assert content_words("What's the default value of Ada's max_connections?") == [
        "default", "value", "ada", "max_connections"]


def test_typos_are_one_or_two_edits_and_swaps_count_once():
    assert edits("defualt", "default", 2) == 1
    assert edits("conections", "connections", 2) == 1
    assert near("max_conections", {"max_connections", "port"}) == "max_connections"
    assert near("zorblax", {"zebra", "widget"}) is None
    assert near("cat", {"car"}) is None  # short words are not guessed


def test_evidence_signals_see_an_answer_read_about_another_subject():
    port = Passage(id="p", path="ports.md", title="Server ports", text="The widget server listens on port 7070 by "
                   "default.", headings=["Server ports"], start=0, end=40, seq=0)
    assert subject_coverage("what is the default port of the zorblax server?", [port]) == 0.0
    assert subject_coverage("What is the default port of the widget server?", [port]) == 1.0
    full = relation("What is the default port of the widget server?", port.text, port)
    assert full == 1.0
    assert relation("What is the maximum size of the widget server's cache?", port.text, port) < full


def test_answer_type_match():
    assert type_match("How many widgets does a gadget hold?", "three") == 1.0
    assert type_match("How many widgets does a gadget hold?", "blue") == 0.0
    assert type_match("When was the widget invented?", "1843") == 1.0
    assert type_match("Who invented the widget?", "Ada Lovelace") == 1.0
    assert type_match("What colour are widgets?", "blue") == 0.5


def test_the_new_signals_are_recorded_with_the_answer(tmp_path: Path):
    answer, events = ask(tmp_path, "What is the default port of the widget server?", ["7070", "7070", "unknown"])
    signals = answer.signals
    assert signals["subject"] == 1.0 and signals["relation"] > 0.5
    assert signals["unknown"] == pytest.approx(1 / 3, abs=1e-4)
    assert next(e for e in events if e["type"] == "calibrate")["signals"] == signals

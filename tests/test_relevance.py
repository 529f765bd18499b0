"""Sentence ranking for the reader, and the coverage signal: hand-checked cases."""

from __future__ import annotations

import math

from scent.agent.relevance import context_relevance, idf, rank_spans, relevance, terms
from scent.types import Passage


def passage(pid: str, text: str, title: str = "") -> Passage:
    return Passage(id=pid, path=f"{pid}.html", title=title, text=text, start=0, end=len(text), seq=0)


def test_terms_drop_stopwords_strip_plurals_and_split_identifiers() -> None:
    assert terms("What is the default value of max_connections?") == {
        "default", "value", "max_connection", "max", "connection"}
    assert terms("The class passes") == {"class", "passe"}  # "ss" endings keep their s; a crude stem is enough
    assert terms("in 1998 a b") == {"1998"}


def test_idf_is_smoothed_bm25_idf_over_the_pool() -> None:
    weights = idf([{"a", "b"}, {"a"}, {"c"}])
    assert math.isclose(weights["a"], math.log(1 + 1.5 / 2.5))
    assert math.isclose(weights["b"], math.log(1 + 2.5 / 1.5))
    assert weights["b"] > weights["a"]


PG = passage("pg", "Port: the server listens on 5432 by default. "
                   "Connections: max_connections (integer) determines the maximum number of concurrent connections. "
                   "The default is typically 100 connections. This parameter can only be set at server start.",
             title="Connection Settings")
LOCKS = passage("locks", "The default, 64, has been sufficient. Raise this value if clients touch many tables. "
                         "This parameter can only be set at server start.", title="Lock Management")


def test_the_sentence_that_answers_comes_with_the_sentence_that_names_its_subject() -> None:
    spans = rank_spans("What is the default value of max_connections?", [LOCKS, PG], limit=3)
    best = spans[0]
    assert best.passage.id == "pg"
    assert best.text == ("Connections: max_connections (integer) determines the maximum number of concurrent "
                         "connections. "
                         "The default is typically 100 connections.")
    assert (best.first, best.last) == (1, 2)
    assert [s.score for s in spans] == sorted((s.score for s in spans), reverse=True)


def test_spans_do_not_overlap_and_unrelated_sentences_are_left_out() -> None:
    spans = rank_spans("What is the default value of max_connections?", [PG], limit=10)
    ranges = [(s.first, s.last) for s in spans]
    for i, (a, b) in enumerate(ranges):
        assert all(b < c or d < a for c, d in ranges[i + 1:])
    assert all("server start" not in s.text for s in spans)  # shares no content word with the question


def test_a_flattened_table_does_not_win_by_containing_every_word() -> None:
    table = passage("table", "Name | Description | Values " + " | ".join(f"col{i} default value" for i in range(40))
                    + " max_connections")
    spans = rank_spans("What is the default value of max_connections?", [table, PG], limit=2)
    assert spans[0].passage.id == "pg"


def test_coverage_of_the_question_by_text() -> None:
    assert relevance("Who won the 1998 FIFA World Cup final?", "World Cup 1998: France won the final") == 5 / 6
    assert relevance("Who won the 1998 FIFA World Cup final?", "Hello world") == 1 / 6
    assert relevance("the of", "anything") == 0.0


def test_context_relevance_scores_the_sentence_that_holds_the_answer() -> None:
    planner = passage("p", "The seq_page_cost setting is the cost of a sequential fetch; the default is 1.0. "
                           "Random fetches are costed by random_page_cost, whose default is 4.0.",
                      title="Query Planning")
    question = "What is the default value of random_page_cost?"
    # "1.0" and "4.0" both sit next to "default", only "4.0" in the sentence that names the setting asked about
    assert context_relevance(question, "4.0", [planner]) == relevance(
        question, "Query Planning Random fetches are costed by random_page_cost, whose default is 4.0.")
    assert context_relevance(question, "4.0", [planner]) > context_relevance(question, "1.0", [planner]) > 0
    assert context_relevance(question, "7.5", [planner]) == 0.0  # held by no sentence

"""Passage choice on documentation (issue 22), one hand-built pool per mechanism, no model: copies of one text take
one seat (dedup-aware), the first search's best passage is read (rank-aware), section headings are words and the
best passage's section is preferred (section-aware), and a manual's entry for a name the question asks about is
about it (as an article is about its title)."""

from __future__ import annotations

import pytest

from scent.agent import select
from scent.agent.retrieve import Pool
from scent.types import Passage


def passage(pid: str, path: str, text: str, title: str = "", headings: list[str] | None = None) -> Passage:
    return Passage(id=pid, path=path, title=title or path, text=text, start=0, end=len(text), seq=0,
                   headings=headings or [])


def chosen(question: str, pool: Pool, n: int) -> list[str]:
    return [s.passage.id for s in select.choose(question, pool.scored(question), n)]


ENTRY_HTML = ("subprocess.run(args, *, stdin=None, input=None, stdout=None, capture_output=False, shell=False, "
              "cwd=None, timeout=None)\n\nRun the command described by args. Wait for the command to complete, then "
              "return a CompletedProcess instance.")
ENTRY_RST = (".. function:: run(args, *, stdin=None, input=None, stdout=None, capture_output=False, shell=False, "
             "cwd=None, timeout=None)\n\n   Run the command described by *args*.  Wait for the command to complete, "
             "then return a :class:`CompletedProcess` instance.")


def test_two_copies_of_one_text_are_one_passage_with_the_better_rank() -> None:
    html = passage("html", "library/subprocess.html", ENTRY_HTML, headings=["subprocess", "Using the module"])
    rst = passage("rst", "_sources/library/subprocess.rst.txt", ENTRY_RST)
    other = passage("other", "library/shlex.html", "shlex.split(s) splits the string s using shell-like syntax.")
    kept, _, documents, found = select.collapse([rst, other, html], {"html": 0.1, "other": 0.08, "rst": 0.05})
    assert [p.id for p in kept] == ["other", "html"]  # the copy goes; roles and markup do not hide it
    assert found["html"] == 0  # the earlier place in the order found of the two
    assert documents[rst.document] == documents[html.document] != documents[other.document]
    assert select.shingles("a b c d e f") == {"a b c d e", "b c d e f"}


def test_a_copy_that_holds_more_is_the_one_read_under_its_twins_sections() -> None:
    short = passage("short", "page.html", ENTRY_HTML, headings=["subprocess", "Using the module"])
    longer = passage("long", "_sources/page.rst.txt", ENTRY_RST + "\n\n" + " ".join(
        f"Further word{i} about the call." for i in range(40)))
    kept, prior, _, _ = select.collapse([short, longer], {"short": 0.1, "long": 0.05})
    assert [p.id for p in kept] == ["long"] and kept[0].headings == ["subprocess", "Using the module"]
    assert prior["long"] == 0.1  # with the better rank of the two


def test_a_copy_does_not_take_a_second_seat() -> None:
    question = "What is the default value of the shell argument of subprocess.run?"
    html = passage("html", "library/subprocess.html", ENTRY_HTML)
    rst = passage("rst", "_sources/library/subprocess.rst.txt", ENTRY_RST)
    note = passage("note", "whatsnew/3.7.html", "subprocess.run accepts capture_output. The default of close_fds "
                   "changed from False to True on Windows.")
    pool = Pool()
    pool.add([html, rst, note], "question")
    assert chosen(question, pool, 2) == ["html", "note"]


def test_the_first_searchs_best_passage_is_read_whatever_the_others_cover(monkeypatch: pytest.MonkeyPatch) -> None:
    question = "What is the default value of the setting that limits the number of concurrent connections?"
    best = passage("best", "runtime-config-connection.html", "max_connections (integer) Determines the maximum "
                   "number of concurrent connections to the database server. The default is typically 100.")
    wordy = [passage(f"w{i}", f"sql-{i}.html", text) for i, text in enumerate([
        "ALTER DATABASE sets the session default value of a setting; the number of connections it limits.",
        "ALTER ROLE changes the default value of a setting for a role, which limits the number of connections.",
        "The setting's value limits how many connections are allowed; SET changes a session default.",
        "CREATE DATABASE takes a connection limit: a setting of the number of concurrent sessions, by default -1."])]
    pool = Pool()
    pool.add([best, *wordy], "question")
    pool.add(wordy, "entity")  # found again by a later search: the wordy pages outrank it in the fused prior
    assert "best" not in [s.passage.id for s in pool.scored(question)[:2]]
    assert "best" in chosen(question, pool, 2)
    monkeypatch.setattr(select, "KEEP_RANKED", 0)
    assert "best" not in chosen(question, pool, 2)  # by coverage and prior alone it is not read


def test_section_headings_are_words_of_the_passage_under_them() -> None:
    question = "In which Python version was the match statement added?"
    under = passage("under", "reference/compound_stmts.html", "New in version 3.10. It is used for pattern "
                    "matching.", headings=["8. Compound statements", "8.6. The match statement"])
    bare = passage("bare", "reference/other.html", under.text)
    assert {"match", "statement"} <= select.held(under) and "match" not in select.held(under, sections=False)
    assert select.score(question, [under], {})[0].coverage > select.score(question, [bare], {})[0].coverage


def test_the_best_passages_section_is_preferred_to_another_page(monkeypatch: pytest.MonkeyPatch) -> None:
    question = "What is the default port used by http.client for HTTPS connections?"
    home = ["http.client — HTTP protocol client"]
    intro = passage("intro", "library/http.client.html", "This module defines classes that implement the client "
                    "side of the HTTP and HTTPS protocols.", headings=home)
    consts = passage("consts", "library/http.client.html", "http.client.HTTPS_PORT The port for the HTTPS protocol "
                     "(always 443).", headings=home)
    news = passage("news", "whatsnew/3.2.html", "The http.client module gained source_address for HTTP "
                   "connections.", headings=["What's New In Python 3.2", "http.client"])
    same = select.Scored(consts, 0.5, 0.5, document="library/http.client.html")
    base = select.Scored(intro, 0.5, 0.5, document="library/http.client.html")
    elsewhere = select.Scored(news, 0.5, 0.5, document="whatsnew/3.2.html")
    assert select.same_section(same, base) and not select.same_section(elsewhere, base)
    scored = [base, elsewhere, same]
    assert [s.passage.id for s in select.choose(question, scored, 2)] == ["intro", "consts"]
    monkeypatch.setattr(select, "SECTION_BONUS", 0.0)
    assert [s.passage.id for s in select.choose(question, scored, 2)] == ["intro", "news"]


def test_a_manual_entry_for_a_name_the_question_asks_about_is_about_it() -> None:
    question = "What is the default value of autovacuum_max_workers?"
    entry = passage("entry", "runtime-config-autovacuum.html", "autovacuum_max_workers (integer)\n\nSpecifies the "
                    "maximum number of autovacuum processes. The default is three.")
    mention = passage("mention", "kernel-resources.html", "Each of the autovacuum_max_workers processes uses one "
                      "semaphore; the default is often too low.")
    assert select.defines(entry, select.entry_names(question))
    assert not select.defines(mention, select.entry_names(question))
    assert select.defines(passage("f", "functools.html", "@functools.lru_cache(maxsize=128)\nDecorator."),
                          select.entry_names("What is the default maxsize of functools.lru_cache?"))
    scored = select.score(question, [mention, entry], {"mention": 0.1, "entry": 0.1})
    assert [s.passage.id for s in scored] == ["entry", "mention"] and scored[0].about and not scored[1].about


def test_a_numbered_manual_section_is_about_the_name_its_title_gives() -> None:
    from scent.text import title_name

    assert title_name("53.39. pg_proc") == "pg_proc" and title_name("Chapter 5. Data Definition") == "Data Definition"
    assert title_name("F.24. pageinspect — low-level inspection of database pages") == "pageinspect"
    assert title_name("logging — Logging facility for Python") == "logging"
    # one bare number starts real names, and a disambiguation still goes
    assert title_name("2. Bundesliga") == "2. Bundesliga" and title_name("1985 World Series") == "1985 World Series"
    assert title_name("Kiss and Tell (1945 film)") == "Kiss and Tell"
    question = "Which column of pg_proc holds the name of the function?"
    catalog = passage("proc", "catalog-pg-proc.html", "proname name: Name of the function. pronamespace oid: the "
                      "namespace.", title="53.39. pg_proc")
    mention = passage("agg", "catalog-pg-aggregate.html", "aggfnoid regproc (references pg_proc.oid): pg_proc OID of "
                      "the aggregate function. aggkind char: the kind of the function.", title="53.2. pg_aggregate")
    scored = select.score(question, [mention, catalog], {"agg": 0.2, "proc": 0.1})
    assert scored[0].passage.id == "proc" and scored[0].about and not scored[1].about

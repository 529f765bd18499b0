"""The agent's program moves as pure functions, hand-checked: names, bridge names, set choice, grounding, voting,
date comparison, and the agent settings reaching the config."""

from __future__ import annotations

import pytest

from scent.agent import compare, select
from scent.agent.answer import Candidate, arrangements, clean, excerpt, ground, is_yes_no, tally, vote
from scent.agent.retrieve import Pool, bridge_names
from scent.config import AgentConfig, ConfigError, load_config, parse_setting
from scent.text import bare_title, key_terms, mentions, names
from scent.types import Passage


def passage(pid: str, title: str, text: str, source_id: str | None = None) -> Passage:
    return Passage(id=pid, path="corpus.jsonl", title=title, text=text, start=0, end=len(text), seq=0,
                   source_id=source_id)


FILM = passage("film", "Kiss and Tell (1945 film)", "Kiss and Tell is a 1945 American comedy film starring then "
               "17-year-old Shirley Temple as Corliss Archer.")
TEMPLE = passage("temple", "Shirley Temple", "Shirley Temple Black (April 23, 1928 – February 10, 2014) was an "
                 "American actress and diplomat. She served as Chief of Protocol of the United States.")
ARCHER = passage("archer", "Corliss Archer", "Corliss Archer is a fictional teenage girl, the heroine of a radio "
                 "series and of the film Kiss and Tell.")
COMEDY = passage("comedy", "Comedy film", "A comedy film is a genre of film in which the main emphasis is on "
                 "humour.")


def test_names_are_quoted_phrases_and_capitalised_runs_not_sentence_openers_or_dates() -> None:
    assert names('The director of "Big Stone Gap" is based in what New York city?') == ["Big Stone Gap",
                                                                                        "New York"]
    assert names("Widgets are blue. Administrators may raise it. He met Paris.") == ["Paris"]
    assert names("Ralph Hefferline (15 February 1910 in Muncie, Indiana) taught at Columbia University.") == [
        "Ralph Hefferline", "Muncie", "Indiana", "Columbia University"]
    assert names("Were Scott Derrickson and Ed Wood of the same nationality?") == [
        "Scott Derrickson and Ed Wood", "Scott Derrickson", "Ed Wood"]


def test_key_terms_are_identifiers_and_the_words_of_names() -> None:
    assert key_terms("What is the default value of max_connections?") == ["max_connections"]
    assert key_terms("Roger O. Egeberg served which president?") == ["Roger", "Egeberg"]
    assert key_terms("What port does the server use?") == []


def test_mentions_and_bare_titles() -> None:
    assert bare_title("Kiss and Tell (1945 film)") == "Kiss and Tell"
    assert mentions("starring Shirley Temple as", "Shirley Temple") and not mentions("Templeton", "Temple")
    assert not mentions("anything", "Al")  # too short to be told from a word part


def test_bridge_names_come_from_the_best_passage_and_skip_what_is_known() -> None:
    found = bridge_names("What government position was held by the woman who portrayed Corliss Archer in the "
                         "film Kiss and Tell?", [FILM], [FILM, ARCHER])
    assert found[:1] == ["Shirley Temple"]  # not "Corliss Archer" (the question names it) nor the film itself
    assert "American" in found  # a single word comes after the names of several words


def test_the_set_holds_the_bridge_pair_although_the_second_shares_few_words() -> None:
    question = "What government position was held by the woman who portrayed Corliss Archer in the film Kiss and Tell?"
    pool = Pool()
    pool.add([FILM, ARCHER, COMEDY], "question")
    pool.add([TEMPLE], "entity")
    scored = pool.scored(question)
    chosen = [s.passage.id for s in select.choose(question, scored, 3)]
    alone = [s.passage.id for s in select.choose(question, scored, 3, joint=False)]
    assert chosen == ["film", "archer", "temple"]  # the film names Shirley Temple: linked
    assert alone == ["film", "archer", "comedy"]  # one by one, the comedy page outranks her


def test_both_subjects_of_a_comparison_are_chosen() -> None:
    question = "Who is older, Annie Morton or Terry Richardson?"
    annie = passage("annie", "Annie Morton", "Annie Morton (born October 8, 1970) is an American model.")
    pj = passage("pj", "Gumbo (PJ Morton album)", "Gumbo is an album by PJ Morton, older than his others.")
    terry = passage("terry", "Terry Richardson", "Terrence Richardson (born August 14, 1965) is a photographer.")
    pool = Pool()
    pool.add([annie, pj, terry], "question")
    assert {s.passage.id for s in select.choose(question, pool.scored(question), 2)} == {"annie", "terry"}
    assert compare.decide(question, [annie, pj, terry]) == compare.Decision(
        "Terry Richardson", ["annie", "terry"], ["1970-10-08", "1965-08-14"])


def test_dates_and_when_the_program_does_not_decide() -> None:
    assert compare.first_date("born 26 December 1791 in London") == (1791, 12, 26)
    assert compare.first_date("released in March 2001") == (2001, 3, 0)
    assert compare.first_date("no date here") is None
    a = passage("a", "Alpha", "Alpha was founded in 1990.")
    b = passage("b", "Beta", "Beta was founded in 1990.")
    assert compare.decide("Which was founded first, Alpha or Beta?", [a, b]) is None  # same year: unsure
    assert compare.decide("Which has more members, Alpha or Beta?", [a, b]) is None  # not a date question
    assert compare.decide("Were Alpha and Beta founded in the same year?", [a, b]) is None


def test_an_option_whose_passage_alone_names_the_question_s_other_key_terms_is_chosen() -> None:
    question = "Which dog's ancestors include Gordon and Irish Setters: the Manchester Terrier or the Scotch Collie?"
    terrier = passage("t", "Manchester Terrier", "The Manchester Terrier is a breed of dog of the smooth-haired "
                      "terrier type.")
    collie = passage("c", "Scotch Collie", "The Scotch Collie is a landrace breed; its ancestors include Gordon "
                     "and Irish Setters.")
    assert compare.decide_named(question, [terrier, collie]) == compare.Decision(
        "Scotch Collie", ["t", "c"], ["", "Gordon, Irish, Setters"])
    both = passage("t2", "Manchester Terrier", "Crossed with Irish Setters, the Manchester Terrier …")
    assert compare.decide_named(question, [both, collie]) is None  # both name some: the writer decides
    assert compare.decide_named("Who is older, Ada Lovelace or Charles Babbage?", [terrier, collie]) is None


def test_answers_must_fit_the_question_an_option_or_not_its_own_words() -> None:
    from scent.agent.answer import fit_to_question

    bomber = "Which British first-generation jet-powered medium bomber was used in the Pacific theatre?"
    assert fit_to_question(bomber, "a British first-generation jet-powered medium bomber") == ""  # the question
    assert fit_to_question(bomber, "English Electric Canberra") == "English Electric Canberra"
    bands = "Which band, Letters to Cleo or Screaming Trees, had more members?"
    assert compare.options(bands) == ("Letters to Cleo", "Screaming Trees")  # options inside the sentence too
    assert fit_to_question(bands, "Screaming Trees") == "Screaming Trees"  # an option is the question's words
    assert fit_to_question(bands, "Trees") == "Screaming Trees" and fit_to_question(bands, "Nirvana") == ""
    assert fit_to_question("What is the default value of max_connections?", "100") == "100"
    listing = "Which column of pg_class holds the name of a table, index or view?"
    assert compare.options(listing) is None  # a list of common nouns, not a choice
    assert fit_to_question(listing, "relname") == "relname"
    assert fit_to_question("Which is faster, hash or btree?", "hash") == "hash"  # a choice the program missed


def test_replies_are_cleaned_to_short_answers() -> None:
    assert clean("Answer: 42 widgets.\nBecause the manual says so.", False) == "42 widgets"
    assert clean('"Chief of Protocol"', False) == "Chief of Protocol"
    assert clean("Yes, both were American.", True) == "yes" and clean("No.", True) == "no"
    assert clean("Yes Man", False) == "Yes Man"  # not a yes/no question: kept
    assert is_yes_no("Are both Dictyosperma and Huernia genera?") and not is_yes_no("Who is older, A or B?")


def test_answers_are_grounded_in_the_passages_or_dropped() -> None:
    assert ground("chief of protocol", [FILM, TEMPLE]) == ("Chief of Protocol", ["temple"])
    assert ground("Chief of Protocols of the US", [TEMPLE]) == ("Chief of Protocol", ["temple"])
    assert ground("Ambassador to Mars", [FILM, TEMPLE]) == ("", [])
    assert ground("unknown", [TEMPLE]) == ("", []) and ground("Yes", [TEMPLE]) == ("yes", [])


def test_votes_count_containment_and_ties_go_to_the_earlier_view() -> None:
    views = [Candidate(1, "Greenwich Village", "Greenwich Village"),
             Candidate(2, "Greenwich Village, New York City", "Greenwich Village, New York City"),
             Candidate(3, "Brooklyn", "Brooklyn")]
    winner, agreement = vote(views)
    assert winner is views[0] and agreement == pytest.approx(2 / 3)
    assert vote([Candidate(1, "x", ""), Candidate(2, "y", "")]) == (None, 0.0)
    assert vote([Candidate(1, "yes", "yes"), Candidate(2, "no", "no")])[0].text == "yes"


def test_arrangements_and_excerpts() -> None:
    ps = [FILM, TEMPLE, ARCHER, COMEDY]
    assert [[p.id for p in a] for a in arrangements(ps, 3)] == [
        ["film", "temple", "archer", "comedy"], ["film", "temple"], ["comedy", "archer", "temple", "film"]]
    assert len(arrangements(ps[:1], 5)) == 1
    long = passage("long", "Long", "Filler sentence here. " * 100 + "The default is 100 connections. " + "More. " * 50)
    cut = excerpt(long, "What is the default number of connections?", 300)
    assert len(cut) == 300 and "The default is 100 connections." in cut


def test_agent_settings_come_from_the_config_file_presets_and_set_flags(tmp_path) -> None:
    file = tmp_path / "scent.toml"
    file.write_text('[agent]\npreset = "fast"\nwide_k = 30\n[agent.budget]\nmax_steps = 7\n')
    config = load_config(file, settings=["agent.passages=2", "agent.judge=true"])
    agent = config.agent
    assert (agent.views, agent.wide_k, agent.passages, agent.judge, agent.budget.max_steps) == (1, 30, 2, True, 7)
    assert AgentConfig(preset="thorough").plan and AgentConfig(preset="thorough", views=2).views == 2
    assert parse_setting("agent.budget.max_seconds=60") == {"agent": {"budget": {"max_seconds": 60}}}
    assert parse_setting("models.writer=openai:http://127.0.0.1:8/v1#m") == {
        "models": {"writer": "openai:http://127.0.0.1:8/v1#m"}}
    with pytest.raises(ConfigError, match=r"SECTION\.FIELD=VALUE"):
        parse_setting("views")
    with pytest.raises(ConfigError, match="invalid configuration"):
        load_config(None, settings=["agent.no_such_setting=1"])


def test_grounding_reads_titles_keeps_numbers_and_closes_brackets() -> None:
    setting = passage("ct", "checkpoint_timeout", "Maximum time between automatic WAL checkpoints. The default is "
                      "five minutes (5min). The default is one second (1s) for others.")
    module = passage("pc", "F.28. pgcrypto — cryptographic functions", "The crypt() function hashes passwords.")
    assert ground("5 minutes", [setting]) == ("five minutes", ["ct"])  # number words are numbers
    assert ground("7 minutes", [setting]) == ("", [])  # never snapped to a span without its number
    assert ground("pgcrypto", [setting, module]) == ("pgcrypto", ["pc"])  # the title is the passage's too
    assert ground("one second (1s)", [setting]) == ("one second (1s)", ["ct"])


def test_recorded_views_vote_as_the_agent_did():
    from scent.agent.answer import recorded_candidates, views_abstain

    views = [{"view": 1, "answer": "42 widgets", "grounded": "42 widgets"},
             {"view": 2, "answer": "a short phrase taken from the passages", "grounded": "x"},  # an echo
             {"view": 3, "answer": "unknown", "grounded": ""}]
    candidates = recorded_candidates(views)
    assert [(c.raw, c.text) for c in candidates][1] == ("", "")
    votes = tally(candidates)
    assert votes.winner is not None and votes.winner.text == "42 widgets" and views_abstain(votes) is None
    doubted = tally(recorded_candidates([views[0], views[2], {"view": 4, "answer": "not found", "grounded": ""}]))
    assert views_abstain(doubted) == "disagree"
    assert views_abstain(tally(recorded_candidates([{"view": 1, "answer": "", "grounded": ""}]))) == "writer_failed"

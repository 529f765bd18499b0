"""`scent research` driven by scripted models over a small real index: the outline comes from the corpus, each
section has its own retrieval, unverified claims are cut, sections without support are listed as gaps, and a
report cut short by its budget is kept and marked partial."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agent_fixtures import make_index, scripts

from scent.agent import Agent, AgentConfig
from scent.research.outline import Topic, clean_heading, enumerated_items, merge, section_number
from scent.research.render import from_dict, markdown, to_html, to_json
from scent.research.run import Researcher
from scent.research.sections import research_section
from scent.research.tuning import HEAVY_CITES
from scent.trace import TraceWriter, read_trace
from scent.types import Passage

QUESTION = "How does the server authenticate users?"
DOCS = {
    "auth.md": "# Authentication Methods\n\nThe server provides several methods for authenticating users:\n\n"
               "Token authentication, which checks a signed token.\n\nBadge authentication, which reads a badge.\n\n"
               "Voice authentication, which listens to the user's voice.\n\nEach method is described in its own "
               "section of this manual.",
    "token.md": "# Token Authentication\n\nToken authentication checks a signed token that the client sends with "
                "every request.\n\nA token for token authentication expires after one hour.\n\nThe login service "
                "renews the token of token authentication before it expires.",
    "badge.md": "# Badge Authentication\n\nBadge authentication reads the badge a user presents at the door. "
                "Badges are issued by the security office and carry the user's photo.",
    "voice.md": "# Voice Authentication\n\nVoice authentication compares the user's voice with a stored voice "
                "print. A cold can make voice authentication fail, so a token is accepted as a fallback.",
}


def config(**research: object) -> AgentConfig:
    return AgentConfig.model_validate({"research": {"choose_claims": False, **research}})


def run(tmp_path: Path, replies: dict | None = None, cfg: AgentConfig | None = None, extra: dict | None = None):
    tmp_path.mkdir(parents=True, exist_ok=True)
    index = make_index(tmp_path, {**DOCS, **(extra or {})})
    agent = Agent(index, scripts(tmp_path, replies or {}), cfg or config())
    trace = TraceWriter(tmp_path / "run.jsonl")
    answer = Researcher(agent).run(QUESTION, trace)
    trace.close()
    return answer, read_trace(tmp_path / "run.jsonl")


def test_the_outline_lists_the_items_the_corpus_enumerates(tmp_path: Path):
    answer, events = run(tmp_path)
    outline = next(e for e in events if e["type"] == "outline")
    assert outline["sections"][:3] == ["Token authentication", "Badge authentication", "Voice authentication"]
    assert outline["origins"][:3] == ["enumeration"] * 3
    assert answer.report is not None and answer.report_data is not None
    assert "## Token authentication" in answer.report and "## References" in answer.report


def test_each_section_has_its_own_retrieval_and_cites_its_own_document(tmp_path: Path):
    answer, events = run(tmp_path)
    queries = [e["args"].get("query") for e in events if e["type"] == "tool_call" and e["tool"] == "search"]
    assert {"Token authentication", "Badge authentication", "Voice authentication"} <= set(queries)
    data = answer.report_data
    assert data is not None
    by_title = {s["title"]: s for s in data["sections"]}
    refs = {r["n"]: r for r in data["references"]}
    for title, path in [("Token authentication", "token.md"), ("Badge authentication", "badge.md"),
                        ("Voice authentication", "voice.md")]:
        cited = {refs[n]["path"] for c in by_title[title]["claims"] for n in c["refs"]}
        assert path in cited, (title, cited)
    # every claim is cited, and every cited quote is a verbatim span of its passage
    assert all(c["refs"] for s in data["sections"] for c in s["claims"])
    assert all(" ".join(r["quote"].split()) in " ".join(r["passage"].split()) for r in data["references"])
    assert data["counts"]["sources_cited"] >= 3 and answer.citations and not answer.abstained


def test_the_writer_chooses_claims_among_the_programs_sentences(tmp_path: Path):
    cfg = config(choose_claims=True, claims=1, sections=1)
    _, events = run(tmp_path, {"writer": ["2"] * 5}, cfg)
    chosen = [e for e in events if e["type"] == "choose"]
    assert chosen and chosen[0]["picked"][:1] == [1]
    prompt = next(e for e in events if e["type"] == "llm_call" and e.get("role") == "writer")
    assert "Token authentication" in json.dumps(prompt)


def test_unverified_claims_are_cut_and_unsupported_sections_listed_as_gaps(tmp_path: Path):
    cfg = AgentConfig.model_validate({"judge": True, "research": {"choose_claims": False, "sections": 3,
                                                                   "claims": 2}})
    # the judge rejects both claims of the first section, accepts everything after
    judge = [{"supported": False}] * 2 + [{"supported": True}] * 20
    answer, events = run(tmp_path, {"judge": judge}, cfg)
    data = answer.report_data
    assert data is not None
    gaps = {g["title"]: g["reason"] for g in data["gaps"]}
    assert gaps == {"Token authentication": "unverified"}
    assert data["counts"]["claims_cut"] == 2 and len([e for e in events if e["type"] == "cut"]) == 2
    assert answer.report is not None and "## Not covered by the corpus" in answer.report
    assert "- Token authentication (no claim could be verified" in answer.report
    assert "## Token authentication" not in answer.report and "## Badge authentication" in answer.report


def test_a_report_cut_short_by_its_budget_is_kept_and_marked_partial(tmp_path: Path):
    _, events = run(tmp_path / "full")
    second = next(i for i, e in enumerate(events) if e["type"] == "section" and e["n"] == 2)
    steps = sum(1 for e in events[:second] if e["type"] == "tool_call")
    answer, events = run(tmp_path / "cut", cfg=config(budget={"max_steps": steps}))
    data = answer.report_data
    assert data is not None and data["status"] == "partial" and data["stopped"] == "steps"
    assert [s["title"] for s in data["sections"] if not s["gap"]] == ["Token authentication"]
    assert {g["reason"] for g in data["gaps"]} == {"budget"}
    assert answer.report is not None and answer.report.count("Partial report: the steps budget ran out") == 1
    assert not answer.abstained and answer.citations


# another manual's page on the same topic
FAQ = {"token-faq.md": "# Token Authentication\n\nToken authentication accepts a signed token until it expires, "
                          "one hour after the login service issued it."}


def followed(tmp_path: Path, cited: dict[str, int]) -> tuple[set[str], list[dict]]:
    """The documents one section ("Token authentication", one passage read) cites when the report already cites
    `cited`, the writer choosing the first two sentences."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    index = make_index(tmp_path, {**DOCS, **FAQ})
    agent = Agent(index, scripts(tmp_path, {"writer": ["1, 2"]}), config(choose_claims=True, claims=2, passages=1))
    trace = TraceWriter(tmp_path / "run.jsonl")
    ctx = agent.start(QUESTION, trace, "report")
    topic = Topic("Token authentication", "Token authentication", "enumeration", 1.0)
    done = research_section(ctx, topic, QUESTION, set(), set(), cited)
    trace.close()
    return {e.path for _, e in done.claims}, [e for e in read_trace(tmp_path / "run.jsonl")
                                               if e["type"] == "diversify"]


def test_a_section_of_a_heavily_cited_document_follows_its_topic_into_another_document(tmp_path: Path):
    # the section's own page wins while the report does not lean on it; the FAQ passage covers the topic too
    paths, moves = followed(tmp_path / "light", {"token.md": HEAVY_CITES - 1})
    assert paths == {"token.md"} and not moves
    # once the report cites token.md heavily, the FAQ (not cited yet, about as good) wins a tie and is cited,
    # although the writer chose only the program's first two sentences
    paths, moves = followed(tmp_path / "heavy", {"token.md": HEAVY_CITES})
    assert [(m["heavy"], m["fresh"]) for m in moves] == [(["token.md"], "token-faq.md")]
    assert paths == {"token.md", "token-faq.md"}
    # a document the report already cites is no fresh source
    paths, moves = followed(tmp_path / "cited", {"token.md": HEAVY_CITES, "token-faq.md": 1})
    assert paths == {"token.md"} and [m["fresh"] for m in moves] == [None]


def test_outputs_markdown_html_json(tmp_path: Path):
    answer, _ = run(tmp_path, extra={"evil.md": "# Token authentication tricks\n\nToken authentication <script>"
                                                "alert(1)</script> is described here, with a token."})
    assert answer.report_data is not None
    report = from_dict(answer.report_data)
    assert markdown(report) == answer.report
    html = to_html(report)
    assert "<script>" not in html and 'href="#ref-1"' in html and 'id="ref-1"' in html and "<mark>" in html
    assert json.loads(to_json(report))["references"][0]["n"] == 1


def test_structure_helpers():
    assert clean_heading("21.4. Trust Authentication") == "Trust Authentication"
    assert clean_heading("Chapter 21. Client Authentication") == "Client Authentication"
    assert section_number("21.4. Trust Authentication") == (21, 4) and section_number("Coroutines") is None
    p = Passage(id="x", path="p", title="t", text="Methods:\n\nA one, which x.\n\nB two: y.\n\nC three (z).\n\n"
                "Not an item because this paragraph runs on for far too many words before any comma appears.",
                start=0, end=0, seq=0)
    assert enumerated_items([p]) == ["A one", "B two", "C three"]


def test_topics_naming_the_same_thing_merge_unless_they_are_sections_of_different_documents():
    merged = merge([Topic("SSPI authentication", "q", "enumeration", 1.0),
                    Topic("SSPI Authentication", "q", "cluster", 1.2, ("21.7. SSPI Authentication",)),
                    Topic("Exceptions", "q", "structure", 1.0, ("8. Errors and Exceptions", "8.2. Exceptions")),
                    Topic("Exceptions", "q", "cluster", 0.9, ("4. Execution model", "4.3. Exceptions")),
                    Topic("Handling Exceptions", "q", "structure", 0.8, ("8. Errors", "8.3. Handling Exceptions"))])
    assert [(t.title, t.score, t.heading[:1]) for t in merged] == [
        ("SSPI authentication", 1.2, ("21.7. SSPI Authentication",)),
        ("Exceptions", 1.0, ("8. Errors and Exceptions",)),
        ("Exceptions (Execution model)", 0.9, ("4. Execution model",)),
        ("Handling Exceptions", 0.8, ("8. Errors",))]


@pytest.mark.parametrize("reply,kept", [("Token authentication checks a signed token.", True),
                                        ("Token authentication uses magic unicorns.", False)])
def test_a_shortened_claim_is_kept_only_in_the_quotes_own_words(tmp_path: Path, reply: str, kept: bool):
    answer, _ = run(tmp_path, {"writer": [reply] * 3}, config(rewrite=True, sections=1, claims=1))
    data = answer.report_data
    assert data is not None
    claim = data["sections"][0]["claims"][0]
    quote = data["references"][claim["refs"][0] - 1]["quote"]
    assert claim["rewritten"] is kept and (claim["text"] == reply) is kept
    assert quote.startswith("Token authentication checks a signed token that the client sends")


def test_the_cli_writes_json_and_html(tmp_path: Path):
    from conftest import scent

    make_index(tmp_path, DOCS)
    (tmp_path / "empty.jsonl").write_text("")
    common = ["research", QUESTION, "--index", tmp_path / "idx", "--model", f"scripted:{tmp_path / 'empty.jsonl'}",
              "--set", "agent.research.choose_claims=false", "-q"]
    report = json.loads(scent(*common, "--format", "json").stdout)
    assert report["sections"] and report["references"] and report["counts"]["sources_cited"] >= 3
    proc = scent(*common, "--format", "html", "--out", tmp_path / "r.html")
    assert proc.stdout == "" and (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")


# issue 28: the question's subject and facets drive the report
LOCKS = {
    "locks.md": "# Lock Types\n\nThe vault offers several lock types.\n\n## Pin Lock\n\nA pin lock holds the door with "
                "a row of steel pins. A pin lock is best used for doors that are opened many times a day.\n\n"
                "## Key Lock\n\nA key lock opens with a cut brass key. A key lock is useful when only a few people "
                "need to open the door.\n\n## Card Lock\n\nA card lock reads a magnetic card. A card lock is "
                "appropriate for doors shared by large teams, since cards can be revoked.",
    "paint.md": "# Paint Types\n\nThe vault offers several paint types for its walls.\n\n## Matte Paint\n\nMatte "
                "paint hides marks on the walls.\n\n## Gloss Paint\n\nGloss paint is easy to wipe clean.\n\n"
                "## Chalk Paint\n\nChalk paint gives the walls a soft look.",
    "history.md": "# History of the Vault\n\nThe vault was built in 1901 and rebuilt after a fire. Its walls were "
                  "painted many types of colours over the years.",
}
LOCK_QUESTION = "What lock types does the vault offer, and when should each be used?"


def test_a_question_splits_into_its_subject_and_facets():
    from scent.research.facets import about, asks

    asked = asks("What index types does PostgreSQL offer, and when should each be used?", {"postgresql"})
    assert asked.subject == ["index"] and asked.kind == ["types"]
    assert asked.facet_names == ["what it is", "when to use"]
    assert asks("How do classes work in Python?", {"python"}).facet_names == ["what it is", "how it works"]
    assert asks("What data structures does Python provide?", {"python"}).subject == ["data", "structur"]
    # a heading naming the subject makes a section about it; one passing mention in four passages does not
    assert about(["11.2. Index Types", "11.2.5. GIN"], [], ["index"]) == 1.0
    assert about(["8.14. JSON Types"], ["json stores text", "jsonb is binary", "a GIN index on jsonb", "json"],
                 ["index"]) < 0.5


def lock_report(tmp_path: Path, **research: object):
    index = make_index(tmp_path, LOCKS)
    agent = Agent(index, scripts(tmp_path, {}), config(**research))
    trace = TraceWriter(tmp_path / "run.jsonl")
    answer = Researcher(agent).run(LOCK_QUESTION, trace)
    trace.close()
    return answer, read_trace(tmp_path / "run.jsonl")


def test_the_page_enumerating_the_subject_anchors_the_outline_and_off_topic_kinds_are_left_out(tmp_path: Path):
    answer, events = lock_report(tmp_path)
    outline = next(e for e in events if e["type"] == "outline")
    assert outline["sections"][:3] == ["Pin Lock", "Key Lock", "Card Lock"]
    assert outline["origins"][:3] == ["anchor"] * 3
    assert not any("Paint" in s for s in outline["sections"])  # "types" alone does not make paints about locks
    data = answer.report_data
    assert data is not None and data["subject"][0] == "lock" and data["facets"] == ["what it is", "when to use"]
    refs = {r["n"]: r for r in data["references"]}
    for s in data["sections"]:
        if s["title"].endswith("Lock") and s["title"] != "Lock Types":
            # each section answers "when to use" with a cited sentence of its own subsection
            use = [c for c in s["claims"] if c["facet"] == "when to use"]
            assert use and s["unanswered"] == [], s
            assert s["title"] in refs[use[0]["refs"][0]]["headings"][-1]


def test_a_facet_the_corpus_does_not_answer_is_listed_as_unanswered(tmp_path: Path):
    docs = {**LOCKS, "locks.md": LOCKS["locks.md"].replace(
        "A card lock is appropriate for doors shared by large teams, since cards can be revoked.",
        "The card is made of plastic.")}
    index = make_index(tmp_path, docs)
    trace = TraceWriter(tmp_path / "run.jsonl")
    answer = Researcher(Agent(index, scripts(tmp_path, {}), config())).run(LOCK_QUESTION, trace)
    trace.close()
    assert answer.report_data is not None and answer.report is not None
    card = next(s for s in answer.report_data["sections"] if s["title"] == "Card Lock")
    assert card["unanswered"] == ["when to use"]
    assert "- Card Lock: when to use (no sentence found that says it)" in answer.report


def test_html_reads_as_paragraphs_and_markdown_keeps_its_bullets(tmp_path: Path):
    answer, _ = lock_report(tmp_path)
    assert answer.report_data is not None and answer.report is not None
    report = from_dict(answer.report_data)
    html = to_html(report)
    assert '<p class="lead">' in html and "<em>When to use:</em>" in html and "<h2>Summary</h2>" not in html
    body = html.split("<h2>References</h2>")[0]
    assert "<li>" not in body.split("Not covered by the corpus")[0]  # sections are paragraphs, not bullets
    assert "## Summary" in answer.report and "\n- " in answer.report and markdown(report) == answer.report
    # every claim still carries a verified quote
    data = answer.report_data
    assert all(c["refs"] for s in data["sections"] for c in s["claims"])
    assert all(" ".join(r["quote"].split()) in " ".join(r["passage"].split()) for r in data["references"])

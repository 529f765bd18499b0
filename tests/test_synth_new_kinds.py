"""`scent synth` on two kinds of corpus no extractor was written for, built here by hand: a folder of meeting
notes (dated notes with a facilitator, attendees, decisions and action items, and one project page) and a
table-heavy settings document (Markdown and HTML tables of settings and values, one long enough to span
passages, a list of options). Each generic extractor and candidate maker is made to produce a task from them,
and each extraction and verification rule is made to reject a bad candidate (the model rules with scripted writer
and judge models)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from scent.index import Index
from scent.ingest.pipeline import build
from scent.llm.scripted import ScriptedLLM
from scent.synth.candidates import Pools, TaskCandidate, make_id, perturb
from scent.synth.candidates import build as build_candidates
from scent.synth.corpus import documents, extract
from scent.synth.dedup import Deduper
from scent.synth.facts import Facts, extractor_of
from scent.synth.run import synthesize
from scent.synth.verify import Checker

NOTES = {
    "2024-03-04-falcon-kickoff.md": "# Falcon kickoff\n\nDate: 4 March 2024\nFacilitator: Ana Ruiz\n"
    "Attendees: Ana Ruiz, Bo Lindqvist, Carla Mendes\nProject: Project Falcon\nBudget: 12,000 EUR\n\n"
    "Falcon kickoff was held in Lisbon on 4 March 2024.\n\n"
    "## Decisions\n\n- The team adopts weekly release trains.\n- Note: the demo room is booked by facilities.\n\n"
    "## Action items\n\n- [ ] Bo Lindqvist: move the billing-api to the new cluster before the end of March\n"
    "- [ ] Carla Mendes: draft the on-call rota\n",
    "2024-03-11-billing-review.md": "# Billing review\n\nDate: 11 March 2024\nFacilitator: Bo Lindqvist\n"
    "Attendees: Bo Lindqvist, Carla Mendes\nBudget: 8,500 EUR\n\n"
    "Billing review was held in Oslo on 11 March 2024. The review went through Project Falcon and its cut-over "
    "plan.\n\n## Decisions\n\n- Invoices move to the new ledger in April.\n\n"
    "## Action items\n\n- [ ] Ana Ruiz: check the ledger totals\n",
    "2024-03-18-search-sync.md": "# Search sync\n\nDate: 2024-03-18\nFacilitator: Dev Patel\n"
    "Attendees: Ana Ruiz, Dev Patel\nBudget: 20,000 EUR\n\nSearch sync was held in Lisbon on 18 March 2024.\n\n"
    "## Decisions\n\n- The search gateway keeps its own index.\n\n"
    "## Action items\n\n- Dev Patel: renew the TLS certificate\n- Ana Ruiz: write up the index sizes\n",
    "2024-03-25-ops-retro.md": "# Ops retro\n\nDate: 25 March 2024\nFacilitator: Carla Mendes\n"
    "Attendees: Carla Mendes, Dev Patel\n\nOps retro was held in Oslo on 25 March 2024.\n\n"
    "## Decisions\n\n- Keep the pager rota as it is.\n",
    "project-falcon.md": "# Project Falcon\n\nProject Falcon is the 2024 migration of the Northwind billing stack to "
    "the Oslo data centre. Project Falcon was started in 2023 by Carla Mendes.\n\nSponsor: Carla Mendes\n"
    "Budget: 120,000 EUR\n",
}
LIMITS = [("max_body_size", "10 MB"), ("max_header_size", "16 KB"), ("max_upload_size", "200 MB"),
          ("max_url_length", "8 KB"), ("max_cookie_size", "4 KB"), ("max_form_fields", "1000"),
          ("max_query_terms", "64"), ("max_redirects", "5"), ("max_retries", "3"), ("max_workers", "32"),
          ("max_queue_depth", "4096"), ("max_log_size", "512 MB"), ("max_trace_size", "64 MB"),
          ("max_batch_size", "250"), ("max_page_size", "100"), ("max_sessions", "20000"),
          ("max_tls_records", "128"), ("max_dns_cache", "2048"), ("max_open_files", "65536"),
          ("max_zip_ratio", "100"), ("max_json_depth", "40"), ("max_regex_steps", "100000")]
TABLES = {
    "gateway-settings.md": "# Gateway settings\n\nThe gateway reads its settings from gateway.toml at start-up.\n\n"
    "## Connection settings\n\n| Setting | Default | Unit | Description |\n|---|---|---|---|\n"
    "| max_connections | 512 | connections | How many clients may connect at once |\n"
    "| idle_timeout | 90 s | seconds | When an idle connection is closed |\n"
    "| read_timeout | 30 s | seconds | How long a read may take |\n\n"
    "## Cache settings\n\n| Setting | Default | Scope |\n|---|---|---|\n"
    "| cache_size | 256 MB | node |\n| cache_ttl | 600 s | entry |\n| cache_policy | LRU | node |\n\n"
    "## Build matrix\n\n| Feature | small | full |\n|---|---|---|\n| tracing | off | on |\n| metrics | off | on |\n\n"
    "## Change log\n\n| Version | Change |\n|---|---|\n| 2.1 | idle_timeout added |\n| 2.1 | cache_ttl added |\n"
    "| 2.0 | first release |\n\n"
    "## Deprecated settings\n\n| Setting | Replaced by |\n|---|---|\n| cache_max | cache_size |\n"
    "| conn_limit | max_connections |\n\n"
    "## Logging options\n\n- `log_format` The layout of each log line. **Default:** `json`\n"
    "- `log_level` The least severe level written. **Default:** `warn`\n",
    # an HTML table (the loader writes its rows as "a | b" lines)
    "quotas.html": "<html><head><title>Storage quotas</title></head><body><h1>Storage quotas</h1>\n"
    "<p>Each plan has its own storage quotas, checked every night.</p>\n<h2>Quotas per plan</h2>\n<table>\n"
    "<tr><th>Plan</th><th>Storage</th><th>Seats</th><th>Support</th></tr>\n"
    "<tr><td>Starter</td><td>50 GB</td><td>5</td><td>Email</td></tr>\n"
    "<tr><td>Team</td><td>500 GB</td><td>25</td><td>Chat</td></tr>\n"
    "<tr><td>Enterprise</td><td>5 TB</td><td>500</td><td>Phone</td></tr>\n</table></body></html>\n",
    # one table longer than a passage: its rows in two passages compare
    "gateway-limits.md": "# Gateway limits\n\nEvery request the gateway takes is checked against these limits; a "
    "request over one is refused with status 413 or 429.\n\n| Limit | Value | Scope |\n|---|---|---|\n"
    + "".join(f"| {name} | {value} | each request that reaches the public listener, before any route or plugin "
              f"runs on it |\n" for name, value in LIMITS),
}
KINDS = ["single", "bridge", "comparison", "unanswerable"]


def _index(root: Path, name: str, docs: dict[str, str]) -> Path:
    folder = root / name
    folder.mkdir()
    for file, text in docs.items():
        (folder / file).write_text(text, encoding="utf-8")
    build(root / f"{name}-idx", [folder])
    return root / f"{name}-idx"


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _index(tmp_path_factory.mktemp("new-kinds"), "notes", NOTES)


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _index(tmp_path_factory.mktemp("new-kinds"), "tables", TABLES)


def _facts(index: Path) -> Facts:
    with Index.open(index) as idx:
        return extract(documents(idx))


def _made(facts: Facts) -> set[tuple[str, str, str]]:
    return {(extractor_of(f), f.question(), f.value) for f in facts.facts}


def _pools(index: Path) -> Pools:
    return build_candidates(_facts(index), KINDS, 0)


# each extractor produces --------------------------------------------------------------------------------------

def test_extractors_produce_from_meeting_notes(notes: Path) -> None:
    made = _made(_facts(notes))
    assert {
        # labelled values under a note's title
        ("generic:label", "What is the facilitator of Falcon kickoff?", "Ana Ruiz"),
        ("generic:label", "What is the budget of Billing review?", "8,500 EUR"),
        ("generic:label", "What are the attendees of Ops retro?", "Carla Mendes, Dev Patel"),  # a plural label
        ("generic:label", "What is the date of Search sync?", "2024-03-18"),
        ("generic:label", "What is the project of Falcon kickoff?", "Project Falcon"),
        # a sentence in the paragraph after the label lines (a blank line ends the lines before it)
        ("generic:sentence", "When was Falcon kickoff held?", "4 March 2024"),
        ("generic:sentence", "Where was Ops retro held?", "Oslo"),
        ("generic:sentence", "Who was Project Falcon started by?", "Carla Mendes"),
        # a definition of one of a kind
        ("generic:definition", "What is the name of the 2024 migration of the Northwind billing stack to the Oslo "
         "data centre?", "Project Falcon"),
    } <= made


def test_extractors_produce_from_a_table_heavy_document(tables: Path) -> None:
    made = _made(_facts(tables))
    assert {
        ("generic:table", "According to the table in Connection settings, what is the default for idle_timeout?",
         "90 s"),
        ("generic:table", "According to the table in Cache settings, what is the scope for cache_ttl?", "entry"),
        ("generic:table", "According to the table in Gateway limits, what is the value for max_zip_ratio?", "100"),
        ("generic:table", "According to the table in Quotas per plan, what is the storage for Team?", "500 GB"),
        ("generic:table", "According to the table in Quotas per plan, what is the number of seats for Starter?", "5"),
        # a list item that opens with a term and holds a labelled value
        ("generic:label", "What is the default of log_format in Logging options?", "json"),
    } <= made


def test_candidates_of_every_kind_from_meeting_notes(notes: Path) -> None:
    pools = _pools(notes)
    made = {kind: {(c.question, c.answer, c.extractor) for c in items} for kind, items in pools.by_kind.items()}
    assert ("When was Falcon kickoff held?", "4 March 2024", "generic:sentence") in made["single"]
    # a bridge through a label's value that is another note's subject, and through a mention of a defined subject
    assert ("In what year was the project of Falcon kickoff started?", "2023",
            "generic:label>generic:sentence") in made["bridge"]
    assert ("The text about Billing review mentions a 2024 migration. In what year was that migration started?",
            "2023", "generic:mention>generic:sentence") in made["bridge"]
    # comparisons: one label's amounts of one currency, one sentence relation's dates
    budgets = {(frozenset(c.subjects), c.answer) for c in pools.by_kind["comparison"] if "budget" in c.question}
    assert (frozenset({"Billing review", "Search sync"}), "Search sync") in budgets  # 20,000 EUR over 8,500 EUR
    held = {a for q, a, e in made["comparison"] if q.startswith("Which was held earlier") and e == "generic:sentence"}
    assert held and "Ops retro" not in held  # the last meeting is never the earlier one
    # a label's dates compare by which is earlier, an ISO date with a written one
    dates = {(frozenset(c.subjects), c.answer) for c in pools.by_kind["comparison"]
             if c.question.startswith("Which has the earlier date")}
    day = {"Falcon kickoff": 4, "Billing review": 11, "Search sync": 18, "Ops retro": 25}
    assert any("Search sync" in pair for pair, _ in dates)  # Search sync's note writes 2024-03-18
    assert all(answer == min(pair, key=day.__getitem__) for pair, answer in dates)
    # unanswerable: a made-up note, and a held note asked a relation other notes state (budget goes with date)
    assert any(c.perturbed and c.extractor == "generic:label" for c in pools.by_kind["unanswerable"])
    unstated = {c.question: c for c in pools.by_kind["unanswerable"] if c.cue}
    assert unstated["What is the budget of Ops retro?"].subjects == ("Ops retro",)


def test_candidates_from_a_table_heavy_document(tables: Path) -> None:
    pools = _pools(tables)
    table = [c for items in pools.by_kind.values() for c in items if c.extractor == "generic:table"]
    kinds = {c.kind for c in table}
    assert {"single", "comparison", "unanswerable"} <= kinds
    # a bridge through a cell that is another table's row: the replacement of a deprecated setting
    bridges = {(c.question, c.answer) for c in pools.by_kind["bridge"] if c.extractor == "generic:table>generic:table"}
    assert ("According to the table in Connection settings, what is the default for the replaced by for conn_limit in "
            "the table in Deprecated settings?", "512") in bridges
    # rows of the long table in two passages compare (within one passage a search finds both at once)
    compared = [c for c in table if c.kind == "comparison"]
    assert all(len(set(c.gold_ids)) == 2 and "Gateway limits" in c.question for c in compared)
    for c in compared:  # the answer has the larger value
        a, b = c.values
        values = dict(LIMITS)
        assert values[c.answer] in (a, b) and values[c.alternatives[0]] in (a, b)


# each extraction rule rejects ---------------------------------------------------------------------------------

def test_extraction_rules_reject_on_new_kinds(notes: Path, tables: Path) -> None:
    facts = _facts(notes).facts + _facts(tables).facts
    questions = " ".join(f.question() for f in facts).lower()
    values = {f.value for f in facts}
    assert "note" not in questions                               # "Note:" is a remark, not a label
    assert not any("rota" in v or "billing-api" in v for v in values)  # an action item's "[ ] Name: task" …
    assert not any("TLS" in v or "index sizes" in v for v in values)   # … and "Name: task" are no labels
    assert "dev patel" not in questions and "ana ruiz of" not in questions
    assert not values & {"first release", "cache_ttl added"}      # a key that repeats (2.1) is no subject
    assert not values & {"on", "off"}                             # a matrix of options, not relations
    # a made-up name keeps its shape: a dotted key never takes a title's words ("2.Falcon kickoff")
    assert perturb("2.1", ["Falcon kickoff"], random.Random(0)) is None
    assert perturb("Project Falcon", ["Falcon kickoff"], random.Random(0)) is None  # not "Falcon Falcon"
    made_up = [c.perturbed.split() for c in _pools(notes).by_kind["unanswerable"] if c.perturbed]
    assert made_up and all(len(set(words)) == len(words) for words in made_up)
    unanswerable = _pools(tables).by_kind["unanswerable"]
    assert not any(" " in (c.perturbed.rpartition(".")[2]) for c in unanswerable if "." in c.perturbed)
    # a row is asked only its own table's columns: no "scope" of a connection setting in the cache table
    for c in unanswerable:
        if c.cue and "Cache settings" in c.question:
            assert c.subjects[0].startswith("cache_")


# each verification rule rejects -------------------------------------------------------------------------------

def _script(path: Path, replies: list[str]) -> ScriptedLLM:
    path.write_text("".join(json.dumps({"response": {"text": r, "usage": {"prompt_tokens": 10,
                                                                           "completion_tokens": 2}}}) + "\n"
                            for r in replies), encoding="utf-8")
    return ScriptedLLM(path)


def _doc_of(idx: Index) -> dict[str, str]:
    return {p.id: Path(p.path).name for row in idx.store.documents().values() for p in idx.store.doc_passages(row.doc)}


def _gold(idx: Index, file: str, phrase: str) -> str:
    """The id of the passage of `file` that holds `phrase`."""
    return next(pid for pid, name in _doc_of(idx).items()
                if name == file and phrase in getattr(idx.get(pid), "text", ""))


def _task(kind: str, question: str, answer: str, golds: tuple[str, ...], **extra: object) -> TaskCandidate:
    return TaskCandidate(make_id(kind, question, golds), kind, question, answer, golds, golds[-1] if golds else "",
                         "test", (), **extra)  # type: ignore[arg-type]


def test_verification_rules_reject_on_meeting_notes(notes: Path, tmp_path: Path) -> None:
    with Index.open(notes) as idx:
        plain = Checker(idx, hop_k=1)
        kickoff = _gold(idx, "2024-03-04-falcon-kickoff.md", "Facilitator")
        review = _gold(idx, "2024-03-11-billing-review.md", "Facilitator")
        falcon = _gold(idx, "project-falcon.md", "Sponsor")
        # answer_not_in_gold: the kickoff's facilitator is not Bo Lindqvist
        wrong = _task("single", "Who facilitated Falcon kickoff?", "Dev Patel", (kickoff,))
        assert plain.verify(wrong).reason == "answer_not_in_gold"
        # leaks_answer: the question names its answer, or a comparison's values
        leaky = _task("single", "Was Falcon kickoff held in Lisbon?", "Lisbon", (kickoff,))
        assert plain.verify(leaky).reason == "leaks_answer"
        budgets = _task("comparison", "Which has the larger budget, Falcon kickoff (12,000 EUR) or Billing review?",
                        "Falcon kickoff", (review, kickoff), values=("12,000 EUR", "8,500 EUR"))
        assert plain.verify(budgets).reason == "leaks_answer"
        # names_bridge_entity: a bridge that names its second subject
        named = _task("bridge", "In what year was Project Falcon, the project of Falcon kickoff, started?", "2023",
                      (kickoff, falcon), hidden=("Project Falcon",))
        assert plain.verify(named).reason == "names_bridge_entity"
        # found_by_one_search: the question's own note ranks first; another note's facilitator needs search
        singles = {c.question: c for c in _pools(notes).by_kind["single"]}
        assert plain.verify(singles["When was Falcon kickoff held?"]).reason == "found_by_one_search"
        needs_search = singles["What is the facilitator of Falcon kickoff?"]
        assert plain.verify(needs_search).reason is None
        # second_hop_in_first_search: the project page already ranks first for the bridge question
        bridge = next(c for c in _pools(notes).by_kind["bridge"]
                      if c.question == "In what year was the project of Falcon kickoff started?")
        assert plain.verify(bridge).reason == "second_hop_in_first_search"
        # perturbed_subject_in_corpus: a "made-up" note that exists
        exists = _task("unanswerable", "What is the budget of Search sync?", "unanswerable", (),
                       perturbed="Search sync")
        assert plain.verify(exists).reason == "perturbed_subject_in_corpus"
        made_up = next(c for c in _pools(notes).by_kind["unanswerable"] if c.perturbed)
        assert plain.verify(made_up).reason is None
        # relation_stated_in_corpus: no note states Ops retro's budget, but the notes naming Project Falcon are dated
        unstated = {c.question: c for c in _pools(notes).by_kind["unanswerable"] if c.cue}
        assert plain.verify(unstated["What is the budget of Ops retro?"]).reason is None
        dated = unstated["What is the date of Project Falcon?"]
        verdict = plain.verify(dated)
        assert verdict.reason == "relation_stated_in_corpus" and verdict.details["found_in"] in (kickoff, review)
        # the model rules: the judge finds an answer, the writer knows it closed-book, a model call fails
        judge = Checker(idx, judge=_script(tmp_path / "judge.jsonl", ["Yes, the note says so."]), hop_k=1)
        assert judge.verify(made_up).reason == "judge_finds_answer"
        cleared = Checker(idx, judge=_script(tmp_path / "cleared.jsonl", ["No"]), hop_k=1)
        assert cleared.verify(made_up).reason is None
        knows = Checker(idx, writer=_script(tmp_path / "writer.jsonl", ["Ana Ruiz ran it."]), hop_k=1)
        unsure = Checker(idx, writer=_script(tmp_path / "unsure.jsonl", ["unknown"]), hop_k=1)
        silent = Checker(idx, writer=_script(tmp_path / "silent.jsonl", []), hop_k=1)
        assert knows.verify(needs_search).reason == "closed_book_solves"
        assert unsure.verify(needs_search).reason is None
        assert silent.verify(needs_search).reason == "model_error"
        # a comparison is solved closed-book only when the writer picks the winner, not when it names both
        budgets = next(c for c in _pools(notes).by_kind["comparison"]
                       if set(c.subjects) == {"Falcon kickoff", "Search sync"} and "budget" in c.question)
        assert plain.verify(budgets).reason is None and budgets.answer == "Search sync"
        picks = Checker(idx, writer=_script(tmp_path / "picks.jsonl", ["Search sync"]), hop_k=1)
        both = Checker(idx, writer=_script(tmp_path / "both.jsonl", ["Search sync or Falcon kickoff"]), hop_k=1)
        assert picks.verify(budgets).reason == "closed_book_solves"
        assert both.verify(budgets).reason is None


def test_verification_rules_reject_on_a_table_heavy_document(tables: Path, tmp_path: Path) -> None:
    with Index.open(tables) as idx:
        plain = Checker(idx, hop_k=1)
        pools = _pools(tables)
        # answer_not_in_gold: a value from another row's passage is not in this row's
        compared = next(c for c in pools.by_kind["comparison"] if c.extractor == "generic:table")
        swapped = TaskCandidate(**{**compared.to_dict(), "answer": "max_connections"})
        assert plain.verify(swapped).reason == "answer_not_in_gold"
        # leaks_answer: a comparison that states one of its values
        first = compared.subjects[0]
        stated = compared.question.replace(first, f"{first} ({compared.values[0]})")
        leaky = TaskCandidate(**{**compared.to_dict(), "question": stated})
        assert plain.verify(leaky).reason == "leaks_answer"
        # relation_stated_in_corpus: the table's header states every column of its rows
        row = _gold(idx, "gateway-settings.md", "cache_ttl")
        scope = _task("unanswerable", "According to the table in Cache settings, what is the scope for cache_size?",
                      "unanswerable", (), cue=("scope",))
        scope = TaskCandidate(**{**scope.to_dict(), "subjects": ("cache_size",)})
        verdict = plain.verify(scope)
        assert verdict.reason == "relation_stated_in_corpus" and verdict.details["found_in"] == row
        # perturbed_subject_in_corpus and a clean made-up setting
        made_up = next(c for c in pools.by_kind["unanswerable"] if c.perturbed and c.extractor == "generic:table")
        assert plain.verify(made_up).reason is None
        real = TaskCandidate(**{**made_up.to_dict(), "perturbed": "max_retries", "id": "real"})
        assert plain.verify(real).reason == "perturbed_subject_in_corpus"
        # found_by_one_search: a row in a passage of its own table ranks first; the long table's two passages are
        # the top two for its comparisons
        singles = {c.question: c for c in pools.by_kind["single"]}
        ttl = "According to the table in Cache settings, what is the default for cache_ttl?"
        assert plain.verify(singles[ttl]).reason == "found_by_one_search"
        assert plain.verify(compared).reason == "found_by_one_search"
        workers = singles["According to the table in Gateway limits, what is the value for max_workers?"]
        assert plain.verify(workers).reason is None
        # closed_book_solves: the writer knows the value without search
        knows = Checker(idx, writer=_script(tmp_path / "writer.jsonl", ["32 workers"]), hop_k=1)
        unsure = Checker(idx, writer=_script(tmp_path / "unsure.jsonl", ["unknown"]), hop_k=1)
        assert knows.verify(workers).reason == "closed_book_solves"
        assert unsure.verify(workers).reason is None


def test_duplicates_reject_on_new_kinds(notes: Path) -> None:
    comparisons = [c for c in _pools(notes).by_kind["comparison"] if c.question.startswith("Which has the larger")]
    first = comparisons[0]
    dedup = Deduper()
    assert dedup.check(first) is None
    dedup.add(first)
    assert dedup.check(first) == "duplicate"
    a, b = first.subjects
    flipped = TaskCandidate(**{**first.to_dict(), "question": first.question.replace(a, "\0").replace(b, a)
                               .replace("\0", b), "id": "flipped"})
    assert dedup.check(flipped) == "near_duplicate"  # the same pair asked the other way round


def test_synth_on_each_new_kind_makes_tasks(notes: Path, tables: Path, tmp_path: Path) -> None:
    kinds: set[str] = set()
    for name, index in (("notes", notes), ("tables", tables)):
        out = tmp_path / f"{name}.jsonl"
        with Index.open(index) as idx:
            report = synthesize(idx, Checker(idx, hop_k=1), 12, KINDS, out, {"index": name, "kinds": KINDS}, seed=0)
        tasks = [json.loads(line) for line in out.read_text().splitlines()]
        assert report["tasks"] == len(tasks) >= 4
        assert all(t["metadata"]["extractor"].startswith("generic:") for t in tasks)
        assert {"single", "unanswerable"} <= {t["metadata"]["type"] for t in tasks}
        kinds |= {t["metadata"]["type"] for t in tasks}
    # on corpora this small a note's comparison or a table's bridge may be the only one of its kind that passes
    assert kinds == set(KINDS)

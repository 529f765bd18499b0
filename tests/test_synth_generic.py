"""`scent synth`'s generic extractors on corpora no template knows: a folder of meeting notes and people pages, a
table-heavy service document and an API page. Each extractor is made to produce (the facts and candidates read by
hand off the documents below) and each rule made to reject (a note is not a label, a repeated first column is not
a key, an ambiguous definition, a value behind another clause, a fact a template already reads, a relation the
corpus states)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scent.index import Index
from scent.ingest.pipeline import build
from scent.synth.candidates import build as build_candidates
from scent.synth.corpus import documents, extract
from scent.synth.facts import Facts, extractor_of
from scent.synth.run import synthesize
from scent.synth.verify import Checker

NOTES = {
    "falcon.md": "# Project Falcon kickoff\n\nDate: 4 March 2024\nOwner: Ana Ruiz\nBudget: 12,000 EUR\n\n"
    "## Decisions\n\n- The team adopts weekly demos.\n- Note: the demo room is booked by facilities.\n",
    "heron.md": "# Project Heron review\n\nDate: 11 March 2024\nOwner: Bo Lindqvist\nBudget: 8,500 EUR\n",
    "kestrel.md": "# Project Kestrel sync\n\nDate: 18 March 2024\nOwner: Bo Lindqvist\nBudget: 20,000 EUR\n",
    "osprey.md": "# Project Osprey retro\n\nDate: 25 March 2024\nOwner: Carla Mendes\n\nThe retro went well.\n",
    "ana.md": "# Ana Ruiz\n\nAna Ruiz is the senior data engineer in the Lisbon office of Northwind Traders. She was "
    "hired in 2019 by Carla Mendes.\n",
    "bo.md": "# Bo Lindqvist\n\nBo Lindqvist is a product manager in the Oslo office of Northwind Traders. He was "
    "hired in 2021.\n",
    "carla.md": "# Carla Mendes\n\nCarla Mendes leads the Lisbon office. She met the founder, who was hired in "
    "2001.\n",
    # two pages defined in the same words: the definition names neither
    "crater-a.md": "# Crater Alpha\n\nCrater Alpha is a crater in the Zed Valley of the Moon of Planet Kor.\n",
    "crater-b.md": "# Crater Beta\n\nCrater Beta is a crater in the Zed Valley of the Moon of Planet Kor.\n",
    "services.md": "# Service ports\n\n| Service | Port | Protocol | Description |\n|---|---|---|---|\n"
    "| billing-api | 8443 | HTTPS | Takes payments from the web shop and the two mobile apps every day |\n"
    "| ledger-db | 5432 | TCP | Keeps the ledger |\n| search-gw | 9200 | HTTP | Answers search requests |\n\n"
    "## Deploy log\n\n| Service | Day |\n|---|---|\n| billing-api | Monday |\n| billing-api | Friday |\n\n"
    "## Build matrix\n\n| Feature | none | full-icu |\n|---|---|---|\n| Dates | basic | complete |\n"
    "| Numbers | basic | complete |\n",
    "lisbon.md": "# Lisbon\n\nLisbon's old core had a resident population of 5,000 in 2011.\n",
    "client.md": "# Client API\n\n## `client.connect(host, options)`\n\nadded: v2.1.0\n\n* `host` {string} The "
    "server to reach.\n* `retries` {integer} How often to retry. **Default:** `3`.\n* `poolSize` {integer} "
    "Connections kept open. **Default:** `10`.\n* `idleTimeout` {string} How long an idle connection stays open. "
    "**Default:** `30 seconds`.\n* `connectTimeout` {string} How long to wait for the server. **Default:** "
    "`5 seconds`.\n\n"
    "## `client.close()`\n\nadded: v1.4.0\n\nCloses the connection that [`client.connect()`][] opened.\n\n"
    "```js\nconst options = {\n  timeout: 8080,\n};\n```\n",
}
RECORDS = [  # an encyclopedic record the wiki template reads: the generic reading of its birth date is dropped
    {"id": "r1", "title": "Ada Quill", "text": "Ada Quill (born 4 May 1931) is a film director from Lunaria."},
    {"id": "r2", "title": "Zephyr (brand)", "text": "Zephyr is a Lunarian radio brand owned by Kor Retail Group."},
    {"id": "r3", "title": "Moonrise (2012 film)", "text": "Moonrise is a film. It was released on 3 May 2012."},
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("generic") / "notes"
    root.mkdir()
    for name, text in NOTES.items():
        (root / name).write_text(text, encoding="utf-8")
    (root / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    build(root.parent / "idx", [root])
    return root.parent / "idx"


def _facts(corpus: Path) -> Facts:
    with Index.open(corpus) as idx:
        return extract(documents(idx))


def test_each_generic_extractor_produces(corpus: Path):
    made = {(extractor_of(f), f.question(), f.value) for f in _facts(corpus).facts}
    expected = {
        ("generic:label", "What is the owner of Project Falcon kickoff?", "Ana Ruiz"),
        ("generic:label", "What is the budget of Project Falcon kickoff?", "12,000 EUR"),
        ("generic:label", "What is the date of Project Osprey retro?", "25 March 2024"),
        ("generic:label", "In which version was client.connect() added?", "v2.1.0"),
        ("generic:label", "What is the default of retries in client.connect()?", "3"),
        ("generic:sentence", "In what year was Ana Ruiz hired?", "2019"),
        ("generic:sentence", "Who was Ana Ruiz hired by?", "Carla Mendes"),
        ("generic:definition", "What is the name of the senior data engineer in the Lisbon office of Northwind "
         "Traders?", "Ana Ruiz"),
        ("generic:table", "According to the table in Service ports, what is the port for billing-api?", "8443"),
        ("generic:table", "According to the table in Service ports, what is the protocol for ledger-db?", "TCP"),
        ("wiki", "In what year was Ada Quill born?", "1931"),
    }
    assert expected <= made


def test_each_extraction_rule_rejects(corpus: Path):
    facts = _facts(corpus).facts
    questions = {f.question() for f in facts}
    values = {(f.subject, f.value) for f in facts}
    assert not any("note" in q.lower() for q in questions)                       # "Note:" is not a label
    assert not any(v in ("Monday", "Friday") for _, v in values)                 # a repeated first column
    assert not any(v.startswith("Takes payments") for _, v in values)            # a cell too long to be a value
    assert not any("crater" in q.lower() for q in questions)                     # one definition, two subjects
    assert not any("product manager" in q for q in questions)                    # "a …": one of many
    assert ("Carla Mendes", "2001") not in values                                # a value behind "who"
    assert not any(f.subject == "Ada Quill" and f.extractor for f in facts)      # the template reads it already
    assert not any(f.value in ("basic", "complete") for f in facts)               # a matrix of options, not relations
    assert not any(f.subject.startswith("Lisbon") for f in facts)                # "Lisbon's old core" is not Lisbon
    assert not any(f.value.startswith("8080") for f in facts)                    # code is not a label
    # a title's disambiguation names its subject, unless it gives the value away
    assert ("Who was Zephyr (brand) owned by?", "Kor Retail Group") in {(f.question(), f.value) for f in facts}
    assert ("When was Moonrise released?", "3 May 2012") in {(f.question(), f.value) for f in facts}


def test_candidates_of_every_kind_from_generic_facts(corpus: Path):
    pools = build_candidates(_facts(corpus), ["single", "bridge", "comparison", "unanswerable"], 0)
    made = {kind: {(c.question, c.answer) for c in items} for kind, items in pools.by_kind.items()}
    # bridge through a value that is another page's subject, and through a mention of a subject in a section
    assert ("In what year was the owner of Project Falcon kickoff hired?", "2019") in made["bridge"]
    assert ("The text about client.close() mentions a function. In which version was that function added?",
            "v2.1.0") in made["bridge"]
    # comparison of one relation's numbers of one unit, and of versions
    assert ("Which has the larger budget, Project Kestrel sync or Project Falcon kickoff?", "Project Kestrel sync"
            ) in made["comparison"] or ("Which has the larger budget, Project Falcon kickoff or Project Kestrel "
                                        "sync?", "Project Kestrel sync") in made["comparison"]
    # an API's options compare within their call when their values have one unit; two bare numbers of two options
    # (a retry count, a pool size) count different things
    # (a comparison needs two passages; these share one, so the facts are checked)
    compares = {f.subject: f.compare_key if f.compare else "" for f in _facts(corpus).facts
                if f.subject.endswith("(client.connect())")}
    assert compares["idleTimeout (client.connect())"] == compares["connectTimeout (client.connect())"] != ""
    assert compares["retries (client.connect())"] == compares["poolSize (client.connect())"] == ""
    # unanswerable: a held subject asked a relation its kind states elsewhere (owner and budget go together)
    unstated = {c.question: c for c in pools.by_kind["unanswerable"] if c.cue}
    assert "What is the budget of Project Osprey retro?" in unstated
    assert unstated["What is the budget of Project Osprey retro?"].subjects == ("Project Osprey retro",)
    # and a made-up subject
    assert any(c.perturbed for c in pools.by_kind["unanswerable"])
    by_extractor = {c.extractor for items in pools.by_kind.values() for c in items}
    assert {"generic:label", "generic:sentence", "generic:table", "generic:definition"} <= by_extractor


def test_relation_stated_rule(corpus: Path):
    pools = build_candidates(_facts(corpus), ["unanswerable"], 0)
    unstated = {c.question: c for c in pools.by_kind["unanswerable"] if c.cue}
    with Index.open(corpus) as idx:
        checker = Checker(idx)
        osprey = unstated["What is the budget of Project Osprey retro?"]
        assert checker.verify(osprey).reason is None
        # the same question of a subject whose page states a budget is rejected
        stated = type(osprey)("x", "unanswerable", "What is the budget of Project Heron review?", "unanswerable", (),
                              "", "t", ("Project Heron review",), cue=("budget",))
        verdict = checker.verify(stated)
        assert verdict.reason == "relation_stated_in_corpus" and verdict.details["found_in"]


def test_synth_on_meeting_notes_writes_the_extractor(corpus: Path, tmp_path: Path):
    out = tmp_path / "tasks.jsonl"
    kinds = ["single", "bridge", "comparison", "unanswerable"]
    with Index.open(corpus) as idx:
        report = synthesize(idx, Checker(idx, hop_k=1), 8, kinds, out, {"index": "t", "kinds": kinds}, seed=0)
    tasks = [json.loads(line) for line in out.read_text().splitlines()]
    assert report["tasks"] == len(tasks) >= 4
    assert all(t["metadata"]["extractor"] for t in tasks)
    assert {t["metadata"]["type"] for t in tasks} >= {"single", "unanswerable"}
    assert report["extractors"]

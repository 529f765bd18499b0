"""`scent synth` on a small corpus built here, where every candidate task of every kind is listed by hand below;
each verification rule is made to reject; the CLI end to end with a scripted model; a killed run resumes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import scent

from scent.eval.datasets import load_questions
from scent.index import Index
from scent.ingest.pipeline import build
from scent.llm.scripted import ScriptedLLM
from scent.synth.candidates import TaskCandidate, make_id
from scent.synth.candidates import build as build_candidates
from scent.synth.corpus import documents, extract
from scent.synth.dedup import Deduper
from scent.synth.run import SynthError, parse_kinds, progress_path, report_paths, synthesize
from scent.synth.verify import Checker

DOCS = {
    # reference documentation in the layouts the extractors read: settings, SQL functions, Python signatures
    "runtime-config-pool.txt": "pool_size (integer)\n\nSets how many widget workers the pool keeps. The default is "
    "16 workers. A larger pool needs a longer spool_timeout.\n\npool_mode (enum)\n\nChooses how the pool hands out "
    "workers. Valid values are fifo and lifo. The default is lifo.",
    "runtime-config-spool.txt": "spool_timeout (integer)\n\nHow long a spool waits for a free widget worker before it "
    "gives up. The default is 30 workers.",
    "functions-widget.txt": "widget_count ( text ) → integer\n\nCounts the widgets named in a comma-separated "
    "string.\n\nwidget_count('a,b,c') → 3\n\nwidget_pad ( text, integer ) → text\n\nPads a widget name to the given "
    "width.\n\nwidget_pad('ab', 4) → 4",
    "library-gizmo.txt": "gizmo.spin(speed=7, /)\n\nSpin the gizmo at the given speed. To halt it, call "
    "gizmo.stop().\n\nNew in version 3.9.",
    "library-gizmo-stop.txt": "gizmo.stop(force=False)\n\nStop a spinning gizmo; with force, stop it at "
    "once.\n\nNew in version 3.4.",
    # a page that repeats a question's words without its answer: the single task it is about needs search
    "notes.txt": "Which year was Bram Tolle born? Bram Tolle's birth year: the year Bram Tolle was born is argued "
    "over by every biographer of Bram Tolle.",
}
WIKI = [
    {"id": "w1", "title": "Ada Quill", "text": "Ada Quill (born 1931) is a film director from the island of Lunaria."},
    {"id": "w2", "title": "The Glass Orchard", "text": "The Glass Orchard is a 1968 drama film directed by Ada Quill. "
     "The director shot it in Lunaria in one summer."},
    {"id": "w3", "title": "Bram Tolle", "text": "Bram Tolle (4 May 1902 – 9 June 1977) was a painter from Lunaria."},
]
POOL, SPOOL, FUNCS, SPIN, STOP = ("runtime-config-pool.txt", "runtime-config-spool.txt", "functions-widget.txt",
                                  "library-gizmo.txt", "library-gizmo-stop.txt")

# Every candidate the corpus yields, read by hand off the documents above: (question, answer, gold documents).
SINGLE = {
    ("What is the data type of the configuration parameter pool_size?", "integer", (POOL,)),
    ("What is the default value of the configuration parameter pool_size?", "16 workers", (POOL,)),
    ("What is the data type of the configuration parameter pool_mode?", "enum", (POOL,)),
    ("What is the data type of the configuration parameter spool_timeout?", "integer", (SPOOL,)),
    ("What is the default value of the configuration parameter spool_timeout?", "30 workers", (SPOOL,)),
    ("What data type does the SQL function widget_count return?", "integer", (FUNCS,)),
    ("What data type does the SQL function widget_pad return?", "text", (FUNCS,)),
    ("In PostgreSQL, what does widget_count('a,b,c') return?", "3", (FUNCS,)),
    ("In PostgreSQL, what does widget_pad('ab', 4) return?", "4", (FUNCS,)),  # leaks its answer: rejected
    ("In which Python version was gizmo.spin() added?", "3.9", (SPIN,)),
    ("What is the default value of the speed parameter of gizmo.spin()?", "7", (SPIN,)),
    ("In which Python version was gizmo.stop() added?", "3.4", (STOP,)),
    ("What is the default value of the force parameter of gizmo.stop()?", "False", (STOP,)),
    ("In what year was Ada Quill born?", "1931", ("w1",)),
    ("In what year was the film The Glass Orchard released?", "1968", ("w2",)),
    ("In what year was Bram Tolle born?", "1902", ("w3",)),
    ("In what year did Bram Tolle die?", "1977", ("w3",)),
}
BRIDGE = {
    ("The documentation of the configuration parameter pool_size refers to another configuration parameter. What "
     "is the data type of that configuration parameter?", "integer", (POOL, SPOOL)),
    ("The documentation of the configuration parameter pool_size refers to another configuration parameter. What "
     "is the default value of that configuration parameter?", "30 workers", (POOL, SPOOL)),
    ("The documentation of gizmo.spin() refers to another function. In which Python version was that function "
     "added?", "3.4", (SPIN, STOP)),
    ("The documentation of gizmo.spin() refers to another function. What is the default value of the force "
     "parameter of that function?", "False", (SPIN, STOP)),
    ("In what year was the director of The Glass Orchard born?", "1931", ("w2", "w1")),
}
COMPARISON = {  # (question without its option order, answer, gold documents)
    ("Which configuration parameter has the larger default value", "spool_timeout", (POOL, SPOOL)),
    ("Which was added to Python earlier", "gizmo.stop", (SPIN, STOP)),
    ("Who was born first", "Bram Tolle", ("w1", "w3")),
}


def _passage_doc(idx: Index) -> dict[str, str]:
    """passage id → its file name, or its record id for the corpus records."""
    return {p.id: p.source_id or p.path for doc in documents(idx) for p in doc}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synth") / "docs"
    root.mkdir()
    for name, text in DOCS.items():
        (root / name).write_text(text, encoding="utf-8")
    (root / "wiki.jsonl").write_text("".join(json.dumps(r) + "\n" for r in WIKI), encoding="utf-8")
    build(root.parent / "idx", [root])
    return root.parent / "idx"


def _script(path: Path, replies: list[str]) -> Path:
    path.write_text("".join(json.dumps({"response": {"text": r}}) + "\n" for r in replies), encoding="utf-8")
    return path


def test_every_candidate_of_every_kind_is_the_one_read_by_hand(corpus: Path):
    with Index.open(corpus) as idx:
        doc_of = _passage_doc(idx)
        pools = build_candidates(extract(documents(idx), generic_extractors=False),
                                 ["single", "bridge", "comparison", "unanswerable"], 0)
    made = {kind: {(c.question, c.answer, tuple(doc_of[g] for g in c.gold_ids)) for c in items}
            for kind, items in pools.by_kind.items()}
    assert made["single"] == SINGLE
    assert made["bridge"] == BRIDGE
    compared = {(q.split(",")[0], a, tuple(sorted(g))) for q, a, g in made["comparison"]}
    assert compared == {(q, a, tuple(sorted(g))) for q, a, g in COMPARISON}
    assert len(made["comparison"]) == 3  # each pair once, not once per order
    for c in pools.by_kind["comparison"]:  # both options named, the winner is the answer
        options = c.question.split(", ", 1)[1].rstrip("?").split(" or ")
        assert c.answer in options and c.alternatives[0] in options
    # unanswerable: a subject made up from two real ones, asked with a real fact's question; never a known subject
    known = {c.subjects[0] for c in pools.by_kind["single"]}
    assert pools.by_kind["unanswerable"]
    for c in pools.by_kind["unanswerable"]:
        assert c.answer == "unanswerable" and c.gold_ids == () and c.perturbed in c.question
        assert c.perturbed not in known and c.source_id in doc_of


def _checker(idx: Index, tmp: Path, writer: list[str] | None = None, judge: list[str] | None = None,
             hop_k: int = 5) -> Checker:
    llms = {role: ScriptedLLM(_script(tmp / f"{role}.jsonl", replies)) if replies is not None else None
            for role, replies in (("writer", writer), ("judge", judge))}
    return Checker(idx, llms["writer"], llms["judge"], hop_k)


def _candidate(idx: Index, kind: str, question: str, answer: str, docs: tuple[str, ...], **extra: object
               ) -> TaskCandidate:
    ids = {v: k for k, v in _passage_doc(idx).items()}
    golds = tuple(ids[d] for d in docs)
    return TaskCandidate(make_id(kind, question, golds), kind, question, answer, golds, golds[-1] if golds else "",
                         "test", (), **extra)  # type: ignore[arg-type]


def test_each_rule_rejects(corpus: Path, tmp_path: Path):
    with Index.open(corpus) as idx:
        plain = _checker(idx, tmp_path)

        def reason(c: TaskCandidate, checker: Checker = plain) -> str | None:
            return checker.verify(c).reason

        # answer_not_in_gold: 17 is not what the pool_size passage says
        assert reason(_candidate(idx, "single", "What is the default of pool_size?", "17 workers",
                                 (POOL,))) == "answer_not_in_gold"
        # leaks_answer: the call's argument is its result
        assert reason(_candidate(idx, "single", "In PostgreSQL, what does widget_pad('ab', 4) return?", "4",
                                 (FUNCS,))) == "leaks_answer"
        assert reason(_candidate(idx, "comparison", "Who was born first, Ada Quill (1931) or Bram Tolle?",
                                 "Bram Tolle", ("w1", "w3"), values=("1931", "1902"))) == "leaks_answer"
        # names_bridge_entity: the second hop's subject is in the question
        assert reason(_candidate(idx, "bridge", "In what year was Ada Quill, director of The Glass Orchard, born?",
                                 "1931", ("w2", "w1"), hidden=("Ada Quill",))) == "names_bridge_entity"
        # found_by_one_search: the question alone ranks the gold passage first
        assert reason(_candidate(idx, "single", "What data type does the SQL function widget_count return?",
                                 "integer", (FUNCS,))) == "found_by_one_search"
        # second_hop_in_first_search: the director's page is already in the question's top 5 ...
        bridge = _candidate(idx, "bridge", "In what year was the director of The Glass Orchard born?", "1931",
                            ("w2", "w1"), hidden=("Ada Quill",))
        assert reason(bridge) == "second_hop_in_first_search"
        # ... but not at rank 1, which the first hop holds: with k = 1 it passes
        assert reason(bridge, Checker(idx, hop_k=1)) is None
        # perturbed_subject_in_corpus: "Ada Tolle" is made up, "Bram Tolle" is not
        for made_up, expected in (("Bram Tolle", "perturbed_subject_in_corpus"), ("Ada Tolle", None)):
            c = TaskCandidate(make_id("unanswerable", made_up, []), "unanswerable", f"In what year was {made_up} born?",
                              "unanswerable", (), "", "test", (made_up,), perturbed=made_up)
            assert reason(c) == expected
        # the model rules
        unanswerable = TaskCandidate("u1", "unanswerable", "In what year was Ada Tolle born?", "unanswerable", (), "",
                                 "test", ("Ada Tolle",), perturbed="Ada Tolle")
        assert reason(unanswerable, _checker(idx, tmp_path, judge=["Yes."])) == "judge_finds_answer"
        assert reason(unanswerable, _checker(idx, tmp_path, judge=["No"])) is None
        needs_search = _candidate(idx, "single", "In what year was Bram Tolle born?", "1902", ("w3",))
        assert needs_search.gold_ids[0] != idx.search(needs_search.question, 1)[0].id  # notes.txt ranks first
        assert reason(needs_search, _checker(idx, tmp_path, writer=["He was born in 1902."])) == "closed_book_solves"
        assert reason(needs_search, _checker(idx, tmp_path, writer=["unknown"])) is None
        comparison = _candidate(idx, "comparison", "Who was born first, Ada Quill or Bram Tolle?", "Bram Tolle",
                                ("w1", "w3"), alternatives=("Ada Quill",))
        checked = _checker(idx, tmp_path, writer=["Bram Tolle or Ada Quill"]).verify(comparison)
        assert checked.reason is None and checked.details["closed_book"] == "Bram Tolle or Ada Quill"  # no choice
        assert reason(comparison, _checker(idx, tmp_path, writer=["Bram Tolle"])) == "closed_book_solves"
        # model_error: the writer's script has no reply left
        assert reason(needs_search, _checker(idx, tmp_path, writer=[])) == "model_error"


def test_closed_book_words_not_letters():
    from scent.synth.verify import contains

    assert not contains("unknown", "on") and contains("It is on.", "on") and contains("the 3.4 release", "3.4")


def test_duplicates_and_near_duplicates():
    def c(question: str, answer: str, golds: tuple[str, ...], kind: str = "single") -> TaskCandidate:
        return TaskCandidate(make_id(kind, question, golds), kind, question, answer, golds, golds[0], "t", ())

    seen = Deduper()
    first = c("Who was born first, Ada Quill or Bram Tolle?", "Bram Tolle", ("w1", "w3"), "comparison")
    assert seen.check(first) is None
    seen.add(first)
    assert seen.check(c("who was born first, ada quill or bram tolle", "Bram Tolle", ("x",))) == "duplicate"
    assert seen.check(c("Who was born first, Bram Tolle or Ada Quill?", "Bram Tolle", ("w3", "w1"),
                        "comparison")) == "near_duplicate"
    assert seen.check(c("Who was born earlier, Bram Tolle or Ada Quill?", "Ada Quill", ("w3", "w1"),
                        "comparison")) is None  # another answer: another task


def _run(idx: Index, out: Path, checker: Checker, n: int = 8) -> dict[str, object]:
    settings = {"index": str(idx.path), "kinds": ["single", "bridge", "comparison", "unanswerable"]}
    return synthesize(idx, checker, n, settings["kinds"], out, settings, seed=0)  # type: ignore[arg-type]


def test_killed_run_resumes_with_the_same_tasks(corpus: Path, tmp_path: Path):
    with Index.open(corpus) as idx:
        whole = _run(idx, tmp_path / "whole" / "tasks.jsonl", Checker(idx, hop_k=1))

        class Killed(Checker):
            calls = 0

            def verify(self, c: TaskCandidate):  # type: ignore[no-untyped-def]
                Killed.calls += 1
                if Killed.calls == 4:
                    raise KeyboardInterrupt
                return super().verify(c)

        out = tmp_path / "killed" / "tasks.jsonl"
        with pytest.raises(KeyboardInterrupt):
            _run(idx, out, Killed(idx, hop_k=1))
        assert not out.exists() and len(progress_path(out).read_text().splitlines()) == 1 + 3
        resumed = _run(idx, out, Checker(idx, hop_k=1))
    assert resumed["resumed_decisions"] == 3 and not progress_path(out).exists()
    assert out.read_text() == (tmp_path / "whole" / "tasks.jsonl").read_text()
    assert resumed["kinds"] == whole["kinds"]


def test_progress_of_other_settings_is_refused(corpus: Path, tmp_path: Path):
    out = tmp_path / "tasks.jsonl"
    progress_path(out).write_text(json.dumps({"settings": {"seed": 99}}) + "\n")
    with Index.open(corpus) as idx, pytest.raises(SynthError, match="other settings"):
        _run(idx, out, Checker(idx))
    with pytest.raises(SynthError, match="unknown kind 'multi'; expected"):
        parse_kinds("single,multi")


def test_cli_end_to_end(corpus: Path, tmp_path: Path):
    script = _script(tmp_path / "model.jsonl", ["unknown"] * 60)  # closed-book fails, the judge says no
    out = tmp_path / "sets" / "tasks.jsonl"
    proc = scent("synth", "--index", corpus, "--n", "8", "--out", out, "--hop-k", "1", "--model",
                 f"scripted:{script}", "-q")
    assert "tasks (single" in proc.stdout
    questions = load_questions(out)
    with Index.open(corpus) as idx:
        doc_of = _passage_doc(idx)
        passages = {pid: idx.get(pid) for q in questions for pid in q.supporting_ids}
    by_kind: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {}
    template: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {}  # tasks of the template extractors
    for q in questions:
        golds = tuple(doc_of[g] for g in q.supporting_ids)
        by_kind.setdefault(q.subset, []).append((q.question, q.golden_answers[0], golds))
        if q.metadata["extractor"] in ("techdocs", "wiki"):
            template.setdefault(q.subset, []).append((q.question, q.golden_answers[0], golds))
        assert q.metadata["answerable"] is not q.unanswerable
        if not q.unanswerable:
            assert q.golden_answers[0] in passages[q.metadata["answer_passage"]].text  # type: ignore[union-attr]
    counts = {k: len(v) for k, v in by_kind.items()}
    assert sum(counts.values()) == 8 and set(counts) == {"single", "bridge", "comparison", "unanswerable"}
    assert set(template.get("single", [])) <= SINGLE and set(template.get("bridge", [])) <= BRIDGE
    assert {(q.split(",")[0], a) for q, a, _ in template.get("comparison", [])} <= {(q, a) for q, a, _ in COMPARISON}
    # the report: counts per kind, rejections by rule, a sample with gold passages; no progress file left
    report_json, report_md = report_paths(out)
    report = json.loads(report_json.read_text())
    assert report["tasks"] == 8 and not progress_path(out).exists()
    for kind, row in report["kinds"].items():  # a kind short of its 2 (all its candidates tried) left to the others
        assert row["accepted"] == counts[kind] and row["examined"] == counts[kind] + sum(row["rejected"].values())
        assert row["accepted"] >= 2 or row["examined"] == row["candidates"]
    assert report["rejections"]["found_by_one_search"] >= 1 and "leaks_answer" in report["rejections"]
    assert report["sample"] and all(s["gold"] for s in report["sample"])
    assert "| bridge |" in report_md.read_text()
    assert report["settings"]["models"] == {"writer": f"scripted:{script}", "judge": f"scripted:{script}"}


def test_cli_bad_input(corpus: Path, tmp_path: Path):
    out = tmp_path / "t.jsonl"
    cases = [(["--index", tmp_path / "none", "--n", "3"], "no scent index"),
             (["--index", corpus, "--n", "0"], "--n must be at least 1"),
             (["--index", corpus, "--n", "3", "--kinds", "single,trivia"], "unknown kind 'trivia'")]
    for args, message in cases:
        proc = scent("synth", *args, "--out", out, "--no-model", check=False)
        assert proc.returncode == 2 and message in proc.stderr and not out.exists()
    proc = scent("synth", "--index", corpus, "--n", "3", "--out", tmp_path, "--no-model", check=False)
    assert proc.returncode == 2 and "is a folder" in proc.stderr

"""`scent synth --rephrase`: the writer puts an accepted task's question in other words, and the rephrasing is kept
only if it still verifies (one question, the subjects named, no name of its own, no leak, not found by one search,
not answered closed-book); otherwise the rule's question stays. Scripted writers on the hand-built meeting notes
of test_synth_new_kinds (no template knows them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import scent
from test_synth_new_kinds import KINDS, _pools, _script, notes  # noqa: F401  (notes: the index fixture)

from scent.index import Index
from scent.llm.base import ChatBackend
from scent.synth import rephrase
from scent.synth.run import synthesize
from scent.synth.task import TaskCandidate
from scent.synth.verify import Checker
from scent.types import Completion, Message

FACILITATOR = "What is the facilitator of Falcon kickoff?"


def _single(index: Path, question: str) -> TaskCandidate:
    return next(c for c in _pools(index).by_kind["single"] if c.question == question)


def test_a_rephrasing_must_stay_one_question_about_the_same_subjects(notes: Path) -> None:  # noqa: F811
    c = _single(notes, FACILITATOR)
    assert rephrase.problem(c, "Who facilitated Falcon kickoff?") is None
    assert rephrase.problem(c, "Who facilitated the Falcon kickoff meeting?") == "rephrase_adds_word"
    assert rephrase.problem(c, "Who ran it?") == "rephrase_not_a_question"
    assert rephrase.problem(c, "Falcon kickoff was facilitated by whom") == "rephrase_not_a_question"
    assert rephrase.problem(c, "Who facilitated Falcon kickoff? Who attended?") == "rephrase_not_a_question"
    assert rephrase.problem(c, "What is the facilitator of  falcon kickoff?") == "rephrase_unchanged"
    assert rephrase.problem(c, "Who facilitated the kickoff meeting?") == "rephrase_drops_subject"
    assert rephrase.problem(c, "Who facilitated Falcon kickoff in Lisbon?") == "rephrase_adds_name"
    assert rephrase.problem(c, "Who facilitated Falcon kickoff in 2024?") == "rephrase_adds_name"
    assert rephrase.problem(c, "Which engineer facilitated Falcon kickoff?") == "rephrase_adds_word"  # a class
    # a made-up subject must stay exactly as made up; a bridge names its first subject only
    made_up = next(c for c in _pools(notes).by_kind["unanswerable"] if c.perturbed)
    assert rephrase.problem(made_up, "Tell me: " + made_up.question) is None
    assert rephrase.problem(made_up, made_up.question.replace(made_up.perturbed, "that meeting")) == (
        "rephrase_drops_subject")


def test_the_writers_reply_is_cleaned_to_its_question(tmp_path: Path) -> None:
    writer = _script(tmp_path / "w.jsonl", ['Rewritten question: "Who ran Falcon kickoff?"\nIt was Ana.'])
    assert rephrase.ask(writer, FACILITATOR) == "Who ran Falcon kickoff?"


def test_a_rephrasing_is_kept_only_if_the_rules_pass_on_it(notes: Path, tmp_path: Path) -> None:  # noqa: F811
    with Index.open(notes) as idx:
        c = _single(notes, FACILITATOR)

        def check(name: str, replies: list[str]) -> dict[str, Any]:
            verdict = Checker(idx, writer=_script(tmp_path / f"{name}.jsonl", replies), hop_k=1,
                              rephrase=True).verify(c)
            assert verdict.reason is None  # the task is accepted whatever becomes of the rephrasing
            return verdict.details

        # the writer's calls: closed-book on the rule's question, the rephrasing, closed-book on the rephrasing
        named = "What is the name of the facilitator of Falcon kickoff?"
        kept = check("kept", ["unknown", named, "unknown"])
        assert kept["rephrase"] == "kept" and kept["rephrased"] == named
        solved = check("solved", ["unknown", named, "Ana Ruiz"])
        assert solved["rephrase"] == "rephrase:closed_book_solves" and "rephrased" not in solved
        assert check("adds", ["unknown", "Did Ana Ruiz facilitate Falcon kickoff?"])["rephrase"] == (
            "rephrase_adds_name")
        assert check("drops", ["unknown", "Who facilitated the meeting?"])["rephrase"] == "rephrase_drops_subject"
        assert check("silent", ["unknown"])["rephrase"] == "rephrase:model_error"
        # one search with the reworded question finds the kickoff note first: no longer a search task
        found = check("found", ["unknown", "Who was the facilitator named in the Falcon kickoff note, dated 4 March?"])
        assert found["rephrase"] == "rephrase_adds_name"  # "4" and "March" are the writer's own
        found = check("found2", ["unknown", "Who was the facilitator of Falcon kickoff?"])
        assert found["rephrase"] == "rephrase:found_by_one_search" and found["rephrase_checks"]["gold_ranks"] == [1]
        # a bridge is not reworded (its wording carries the hop): the writer is asked closed-book only
        class AnySearch(Checker):  # the tiny corpus's bridges are all found by one search; that rule is not tested
            def _search(self, c: TaskCandidate, details: dict[str, Any]) -> str | None:
                return None

        writer = _script(tmp_path / "bridge.jsonl", ["unknown", "What year was Falcon kickoff started?"])
        bridge = _pools(notes).by_kind["bridge"][0]
        verdict = AnySearch(idx, writer=writer, hop_k=1, rephrase=True).verify(bridge)
        assert verdict.reason is None and "rephrase" not in verdict.details and writer.calls == 1
        # without --rephrase the writer is asked closed-book only
        plain = Checker(idx, writer=_script(tmp_path / "plain.jsonl", ["unknown"]), hop_k=1).verify(c)
        assert plain.reason is None and "rephrase" not in plain.details


class _Rewriter(ChatBackend):
    """A writer stub: 'unknown' closed-book; rephrasings in turn good ('Could you tell me …'), too short, and one
    that brings in a name."""

    spec = "stub:rewriter"

    def __init__(self) -> None:
        self.rephrased = 0

    def _chat(self, messages: list[Message], *, schema: dict[str, Any] | None, tools: list[dict[str, Any]] | None,
              max_tokens: int, temperature: float, stop: list[str] | None, on_token: Any) -> Completion:
        question = str(messages[-1]["content"]).splitlines()[-1]
        if messages[0]["content"] != rephrase.REPHRASE_SYSTEM:
            text = "unknown"
        else:
            self.rephrased += 1
            text = ["Could you tell me " + question[0].lower() + question[1:], "What is it?",
                    question[:-1] + " in Zanzibar?"][self.rephrased % 3]
        return Completion(model=self.spec, text=text)


def test_synth_with_rephrasing_reports_kept_and_rejected(notes: Path, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "tasks.jsonl"
    with Index.open(notes) as idx:
        writer = _Rewriter()
        report = synthesize(idx, Checker(idx, writer=writer, hop_k=1, rephrase=True), 12, KINDS, out,
                            {"index": "notes", "kinds": KINDS, "rephrase": True}, seed=0)
        tasks = [json.loads(line) for line in out.read_text().splitlines()]
        counts = report["rephrasing"]
        assert sum(counts.values()) == len(tasks) == writer.rephrased
        assert counts.get("kept", 0) >= 1 and counts.get("rephrase_not_a_question", 0) >= 1
        assert counts.get("rephrase_adds_name", 0) >= 1
        reworded = [t for t in tasks if "rule_question" in t["metadata"]]
        assert len(reworded) == counts["kept"]
        plain = Checker(idx, hop_k=1)
        for t in reworded:  # each kept rephrasing is a task the rules accept as it stands
            assert t["question"].startswith("Could you tell me ")
            if t["metadata"]["answerable"]:
                assert plain.verify(TaskCandidate.from_dict(_candidate(t))).reason is None
        assert "Writer's rephrasings" in out.with_name("tasks.report.md").read_text()


def _candidate(task: dict[str, Any]) -> dict[str, Any]:
    """The candidate fields of an answerable task's record (what verify reads)."""
    m = task["metadata"]
    return {"id": task["id"], "kind": m["type"], "question": task["question"], "answer": task["golden_answers"][0],
            "gold_ids": m["supporting_ids"], "answer_passage": m.get("answer_passage", ""),
            "template": m["template"], "subjects": m["subjects"], "also": task["golden_answers"][1:]}


def test_rephrase_needs_the_writer(notes: Path, tmp_path: Path) -> None:  # noqa: F811
    done = scent("synth", "--index", notes, "--n", "4", "--out", tmp_path / "t.jsonl", "--no-model", "--rephrase",
                 check=False)
    assert done.returncode == 2 and "--rephrase needs the writer model" in done.stderr

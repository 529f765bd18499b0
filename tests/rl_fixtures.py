"""A tiny corpus with known passage ids, two tasks on it, and a policy that plays a fixed list of actions."""

from __future__ import annotations

import json
from pathlib import Path

from scent.eval.datasets import Question
from scent.rl.env import Action

PASSAGES = [
    {"id": "p-vienna", "title": "Vienna State Opera",
     "text": "The Vienna State Opera opened on 25 May 1869 with a performance of Don Giovanni."},
    {"id": "p-giovanni", "title": "Don Giovanni",
     "text": "Don Giovanni is an opera in two acts by Wolfgang Amadeus Mozart, first performed in Prague in 1787."},
    {"id": "p-prague", "title": "Prague", "text": "Prague is the capital of the Czech Republic on the Vltava river."},
    {"id": "p-salzburg", "title": "Salzburg",
     "text": "Salzburg is a city in Austria known for its summer music festival and baroque churches."},
]

BRIDGE = Question(id="t-bridge", question="Who composed the opera performed when the Vienna State Opera opened?",
                  golden_answers=["Wolfgang Amadeus Mozart"],
                  metadata={"type": "bridge", "supporting_ids": ["p-vienna", "p-giovanni"], "answerable": True})
UNANSWERABLE = Question(id="t-none", question="In what year did the Vienna State Opera close for good?",
                        golden_answers=["unanswerable"], metadata={"type": "unanswerable", "supporting_ids": [],
                                                                   "answerable": False})


def build_corpus_index(tmp: Path) -> Path:
    from scent.ingest.pipeline import build

    root = tmp / "corpus"
    root.mkdir()
    (root / "passages.jsonl").write_text("".join(json.dumps(p) + "\n" for p in PASSAGES), encoding="utf-8")
    build(tmp / "idx", [root])
    return tmp / "idx"


class ScriptedPolicy:
    """Plays its actions in order and records every observation it was shown."""

    def __init__(self, *actions: Action) -> None:
        self.actions = list(actions)
        self.seen: list[str] = []

    def act(self, observation: str) -> Action:
        self.seen.append(observation)
        return self.actions.pop(0)


def search(query: str) -> Action:
    return Action("search", {"query": query})


def answer(text: str, citations: object = "", confidence: float | None = None) -> Action:
    arguments: dict[str, object] = {"answer": text, "citations": citations}
    if confidence is not None:
        arguments["confidence"] = confidence
    return Action("answer", arguments)

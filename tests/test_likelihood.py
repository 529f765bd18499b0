"""Reading by likelihood (scent.agent.likelihood): fuller forms of an answer in its sentence, the candidates
scored, the rules that read the vote again, and the signals — with a scripted writer that scores replies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from agent_fixtures import make_index, scripts

from scent.agent import Agent
from scent.agent.answer import Candidate
from scent.agent.likelihood import Reading, candidates, choose, contains, expansions
from scent.config import AgentConfig
from scent.llm.scripted import ScriptedLLM
from scent.trace import TraceWriter, read_trace
from scent.types import Passage


def passage(text: str, title: str = "T") -> Passage:
    return Passage(id=title, path=f"{title}.md", title=title, start=0, end=len(text), seq=0, text=text)


@pytest.mark.parametrize(("answer", "text", "fuller"), [
    ("Marion", "The club plays in Marion, South Australia, since 1990.", "Marion, South Australia"),
    ("70", "It is sold in more than 70 countries today.", "more than 70 countries"),
    ("70", "It is sold in more than 70 countries today.", "70 countries"),
    ("Virginia Woolf", "Adeline Virginia Woolf was an English writer.", "Adeline Virginia Woolf"),
])
def test_fuller_forms_of_an_answer_in_its_sentence(answer: str, text: str, fuller: str):
    assert fuller in expansions(answer, [passage(text)])


def test_no_fuller_form_when_the_sentence_adds_nothing():
    assert expansions("blue", [passage("Widgets come in blue and red.")]) == []
    assert expansions("yes", [passage("yes it is")]) == []


def test_candidates_are_yes_and_no_or_the_two_options_or_the_grounded_views():
    p = [passage("The club plays in Marion, South Australia.")]
    assert [c.text for c in candidates("Is the club in Marion?", [], p)] == ["yes", "no"]
    assert [c.text for c in candidates("Who was born first, Ada Lovelace or Charles Babbage?", [], p)] == [
        "Ada Lovelace", "Charles Babbage"]
    views = [Candidate(1, "Marion", "Marion"), Candidate(2, "marion", "Marion"), Candidate(3, "x", "")]
    assert [c.text for c in candidates("Where does the club play?", views, p)] == ["Marion",
                                                                                   "Marion, South Australia"]


def test_the_rules_read_the_vote_again():
    reading = Reading(["Marion, South Australia", "Adelaide", "Marion"], [-1.0, -2.0, -3.0])
    assert choose("fuller", "Marion", reading) == "Marion, South Australia"
    assert choose("fuller", "Adelaide", reading) == "Adelaide"  # no fuller form of it was scored higher
    assert choose("likelihood", "Adelaide", reading) == "Marion, South Australia"
    assert choose("fuller", "Marion", Reading([], [])) == "Marion"
    assert contains("Adeline Virginia Woolf", "Virginia Woolf") and not contains("Woolf", "Virginia Woolf")
    assert reading.probability == pytest.approx(1 / (1 + 2.718281828 ** -1 + 2.718281828 ** -2), abs=1e-6)
    assert reading.margin == 1.0


class ScoringScript(ScriptedLLM):
    """A scripted writer that also scores replies: a fixed log-probability per reply text (others -20)."""

    def __init__(self, path: Path, logprobs: dict[str, float]) -> None:
        super().__init__(path)
        self.logprobs = logprobs
        self.scored: list[list[str]] = []

    def score(self, messages: list[Any], replies: Any) -> list[float]:
        self.scored.append(list(replies))
        return [self.logprobs.get(r, -20.0) for r in replies]


EXTRA = {"club.md": "# The club\n\nThe Redlegs Football Club plays in Marion, South Australia, since 1990."}


def run(tmp_path: Path, llms: dict[str, Any], **config: Any):
    index = make_index(tmp_path, EXTRA)
    agent = Agent(index, llms, AgentConfig(**config))
    trace = TraceWriter(tmp_path / "run.jsonl")
    answer = agent.run("Where does the Redlegs Football Club play?", trace)
    trace.close()
    return answer, read_trace(tmp_path / "run.jsonl")


def test_the_agent_gives_the_fuller_form_the_model_finds_likelier(tmp_path: Path):
    llms: dict[str, Any] = scripts(tmp_path, {"writer": ["Marion", "Marion", "Marion"]})
    llms["writer"] = ScoringScript(tmp_path / "writer.jsonl", {"Marion": -3.0, "Marion, South Australia": -1.0,
                                                               "unknown": -2.0})
    answer, events = run(tmp_path, llms, read_by="fuller")
    assert answer.answer == "Marion, South Australia" and not answer.abstained
    assert llms["writer"].scored == [["Marion", "Marion, South Australia", "unknown"]]
    scored = next(e for e in events if e["type"] == "score")
    assert scored["candidates"] == ["Marion, South Australia", "Marion"] and scored["unknown"] == -2.0
    assert answer.signals["likely"] == pytest.approx(1 / (1 + 2.718281828 ** -2), abs=1e-3)
    assert answer.signals["answer_prob"] == pytest.approx(2.718281828 ** -1, abs=1e-3)
    assert answer.signals["answerable"] == pytest.approx(1 / (1 + 2.718281828 ** -1), abs=1e-3)


def test_read_by_vote_keeps_the_vote_and_still_records_the_signals(tmp_path: Path):
    llms: dict[str, Any] = scripts(tmp_path, {"writer": ["Marion", "Marion", "Marion"]})
    llms["writer"] = ScoringScript(tmp_path / "writer.jsonl", {"Marion": -3.0, "Marion, South Australia": -1.0})
    answer, _ = run(tmp_path, llms)  # read_by = "vote", the default
    assert answer.answer == "Marion"
    assert answer.signals["likely"] == pytest.approx(1 - 1 / (1 + 2.718281828 ** -2), abs=1e-3)


def test_a_writer_that_cannot_score_leaves_the_vote_alone(tmp_path: Path):
    answer, events = run(tmp_path, scripts(tmp_path, {"writer": ["Marion", "Marion", "Marion"]}))
    assert answer.answer == "Marion"
    assert "likely" not in answer.signals and not any(e["type"] in ("score", "error") for e in events)

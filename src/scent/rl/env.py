"""One RL episode: one task (a `scent.eval` Question) on one index, acted on through the agent's own tools.

    env = SearchEnv(index, cfg.rl)
    observation = env.reset(task)                       # the task prompt
    step = env.step(Action("search", {"query": "…"}))   # observation = what the tool returned
    step = env.step(Action("answer", {"answer": "…", "citations": "id1, id2", "confidence": 0.8}))
    step.done, step.reward, env.episode.rewards         # total and every component

Observations are the text of `scent.tools.Tools`; the answer and abstain actions end the episode. Budgets
(tool calls, turns, estimated tokens) end it unanswered. A malformed action is answered by an error
observation and counted (format reward), never raised. `run_episode` is a self-contained function of
(task, policy, index, config), so rollouts can fan out over processes or a cluster.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from scent.config import RLConfig, ScentConfig
from scent.eval.datasets import Question
from scent.rl.rewards import Cited, Outcome, parse_citations, rewards
from scent.tools import Tools, tool_schema
from scent.types import Action as Action  # the policy's move; re-exported for scent.rl users

if TYPE_CHECKING:
    from scent.protocols import Index, Policy

Task = Question  # one notion of a task: what `scent eval` scores is what an episode is rewarded on
FINAL_ACTIONS = ("answer", "abstain")
SEARCH_TOOLS = ("search", "lookup")
INVALID_CALL = "invalid_call"  # the action of a tool call that could not be read (`arguments["error"]` says why)
CALL_FORMAT = '<tool_call>{"name": "search", "arguments": {"query": "…"}}</tool_call>'

_BRACKET_ID = re.compile(r"\[([^\[\]\s,]+)\]")
_ABSTAIN_TEXT = re.compile(r"^\W*(abstain|unanswerable|i cannot answer|cannot be answered|the documents do not)",
                           re.IGNORECASE)

INSTRUCTIONS = (
    "Answer the question from the documents. Search with search or lookup, read with open_document and "
    "find_in_document, then call answer with a short answer, the ids of the passages that support it (as "
    "shown in [brackets]) and your confidence from 0 to 1. If the documents do not answer the question, call "
    "abstain instead."
)


def answer(answer: str, citations: str = "", confidence: float = 1.0) -> None:
    """Give the final answer and end the episode.

    Args:
        answer: the short answer (a name, a number, yes or no)
        citations: the ids of the passages that support the answer, separated by commas
        confidence: how likely the answer is right, from 0 to 1
    """


def abstain(reason: str = "") -> None:
    """Say the documents do not answer the question, and end the episode.

    Args:
        reason: why the question cannot be answered from the documents
    """


def task_prompt(task: Question) -> str:
    return f"{INSTRUCTIONS}\n\nQuestion: {task.question}"


def estimate_tokens(text: str) -> int:
    """Tokens of a text for the episode budget, estimated as characters / 4 (no tokenizer needed)."""
    return math.ceil(len(text) / 4)


@dataclass(slots=True)
class Step:
    observation: str
    reward: float
    done: bool
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Turn:
    """One action of an episode and what it returned."""

    tool: str
    arguments: dict[str, Any]
    observation: str
    ids: list[str] = field(default_factory=list)
    error: bool = False
    text: str = ""


@dataclass(slots=True)
class Episode:
    """An episode's record: its task, turns, how it ended and its rewards (empty until it is done)."""

    task: Question
    prompt: str
    turns: list[Turn] = field(default_factory=list)
    outcome: Outcome = field(default_factory=Outcome)
    status: str = "running"  # answered | abstained | answered_in_text | budget_exhausted | running
    rewards: dict[str, float] = field(default_factory=dict)
    tokens: int = 0
    final_text: str = ""  # the plain-text reply read as the answer (status answered_in_text)

    @property
    def done(self) -> bool:
        return self.status != "running"

    @property
    def tool_counts(self) -> dict[str, int]:
        """Calls per tool (search, lookup, open_document, find_in_document; anything else as `invalid`)."""
        names = ("search", "lookup", "open_document", "find_in_document")
        return dict(Counter(t.tool if t.tool in names else "invalid" for t in self.turns
                            if t.tool not in FINAL_ACTIONS))

    def log(self) -> dict[str, Any]:
        """The per-episode log line: every reward component and the tool-call counts."""
        counts = self.tool_counts
        return {"task_id": self.task.id, "subset": self.task.subset, "answerable": not self.task.unanswerable,
                "status": self.status, "rewards": dict(self.rewards), "tool_calls": counts,
                "searches": sum(counts.get(t, 0) for t in SEARCH_TOOLS), "turns": len(self.turns),
                "tokens": self.tokens, "answer": self.outcome.answer, "abstained": self.outcome.abstained,
                "citations": [c.id for c in self.outcome.citations], "confidence": self.outcome.confidence}


class SearchEnv:
    """reset(task) → observation; step(action) → observation, reward, done. One episode at a time."""

    def __init__(self, index: Index, config: RLConfig | None = None) -> None:
        self.index = index
        self.config = config or RLConfig()
        self.tools = Tools(index, max_k=self.config.k)
        self._episode: Episode | None = None

    @property
    def episode(self) -> Episode:
        if self._episode is None:
            raise RuntimeError("no episode: call reset(task) first")
        return self._episode

    def schemas(self) -> list[dict[str, Any]]:
        """OpenAI function schemas of every action: the agent's tools, answer and abstain."""
        return [*self.tools.schemas(), tool_schema(answer), tool_schema(abstain)]

    def reset(self, task: Question) -> str:
        """Start an episode on `task`; the observation is the task prompt."""
        self._episode = Episode(task, task_prompt(task))
        self._episode.tokens = estimate_tokens(self._episode.prompt)
        return self._episode.prompt

    def step(self, action: Action) -> Step:
        episode = self.episode
        if episode.done:
            return Step("The episode is over.", 0.0, True, {"status": episode.status})
        outcome = episode.outcome
        outcome.actions += 1
        if action.tool in FINAL_ACTIONS:
            observation, error = self._final(action)
            ids: list[str] = []
        elif action.tool == INVALID_CALL:
            observation, error, ids = (f"Could not read the tool call: {action.arguments.get('error', 'malformed')}. "
                                       f"Write each call as {CALL_FORMAT}."), True, []
        elif sum(1 for t in episode.turns if t.tool not in FINAL_ACTIONS) >= self.config.max_tool_calls:
            observation, error, ids = "The tool budget is spent; the episode ends unanswered.", False, []
            episode.status = "budget_exhausted"
        else:
            result = self.tools.call(action.tool, action.arguments)
            observation, error, ids = _clip(result.text, self.config.observation_chars), result.error, result.ids
            outcome.seen.update(ids)
            outcome.searches += action.tool in SEARCH_TOOLS and not error
        outcome.malformed += error
        episode.turns.append(Turn(action.tool, dict(action.arguments), observation, ids, error, action.text))
        episode.tokens += estimate_tokens(observation) + estimate_tokens(
            action.text + json.dumps(action.arguments, ensure_ascii=False, default=str))
        if not episode.done and (episode.tokens > self.config.max_tokens
                                 or len(episode.turns) >= self.config.max_turns):
            episode.status = "budget_exhausted"
        if episode.done:
            self._score()
        return Step(observation, episode.rewards.get("total", 0.0), episode.done,
                    {"status": episode.status, "ids": ids, "error": error})

    def step_text(self, text: str) -> Step:
        """One reply of a model that writes text: every tool call in it (Qwen tags, fenced or bare JSON; read by
        `scent.rl.toolcalls`, as TRL's adapter reads them) is a step, a malformed one answered by an error
        observation; a reply without a call ends the episode by `finish_text`. The observation is the calls'
        observations joined in order (what a chat template shows as tool responses)."""
        from scent.rl.toolcalls import parse

        reply = parse(text)
        if not reply.calls:
            self.finish_text(reply.content)
            episode = self.episode
            return Step("", episode.rewards.get("total", 0.0), True, {"status": episode.status, "calls": 0})
        steps = []
        for n, call in enumerate(reply.calls):
            if self.episode.done:
                break
            action = (Action(INVALID_CALL, {"error": call.error, "name": call.name}, call.raw) if call.malformed
                      else Action(call.name, call.arguments, reply.content if n == 0 else ""))
            steps.append(self.step(action))
        last = steps[-1]
        return Step("\n\n".join(s.observation for s in steps), last.reward, last.done,
                    {**last.info, "calls": len(steps), "observations": [s.observation for s in steps]})

    def finish_text(self, text: str) -> Episode:
        """End a running episode from the policy's last plain-text reply (a trainer's rollout that stops without
        an answer action): 'abstain'/'unanswerable' abstains, else the text is the answer and its [ids] are the
        citations. Such an ending is not well-formed: its format reward is 0."""
        episode = self.episode
        if not episode.done:
            outcome, episode.final_text = episode.outcome, text
            if _ABSTAIN_TEXT.match(text):
                outcome.abstained = True
            else:
                outcome.citations = [Cited(i) for i in dict.fromkeys(_BRACKET_ID.findall(text))]
                outcome.answer = " ".join(_BRACKET_ID.sub(" ", text).split())
                self._fetch_cited()
            episode.status = "answered_in_text" if outcome.answered or outcome.abstained else "budget_exhausted"
            self._score()
        return episode

    def _final(self, action: Action) -> tuple[str, bool]:
        episode, outcome, args = self.episode, self.episode.outcome, action.arguments
        if action.tool == "abstain":
            outcome.abstained, outcome.finished, episode.status = True, True, "abstained"
            return "Abstained; the episode is over.", False
        text = args.get("answer")
        citations = parse_citations(args.get("citations"))
        confidence, confidence_ok = _confidence(args.get("confidence"))
        unknown = sorted(set(args) - {"answer", "citations", "confidence"})
        problems = [problem for problem, bad in (
            ("answer must be a non-empty string", not isinstance(text, str) or not text.strip()),
            ("citations must be passage ids separated by commas", citations is None),
            ("confidence must be a number from 0 to 1", not confidence_ok),
            (f"unknown argument(s) {unknown}", bool(unknown))) if bad]
        if problems or not isinstance(text, str) or citations is None:
            return f"Bad call to answer: {'; '.join(problems)}.", True
        outcome.answer, outcome.citations, outcome.confidence = text.strip(), citations, confidence
        outcome.finished, episode.status = True, "answered"
        self._fetch_cited()
        return "Answer recorded; the episode is over.", False

    def _fetch_cited(self) -> None:
        outcome = self.episode.outcome
        for cited in outcome.citations:
            passage = self.index.get(cited.id) if cited.id in outcome.seen else None
            if passage is not None:
                outcome.passages[cited.id] = passage.text

    def _score(self) -> None:
        self.episode.rewards = rewards(self.episode.task, self.episode.outcome, self.config)


def run_episode(task: Question, policy: Policy, index: Index | Path | str, config: ScentConfig | None = None
                ) -> Episode:
    """Play one episode of `policy` on `task` and return its record. `index` is an open Index or an index folder
    (opened through scent.app with the config's retrieval), so a worker process needs only plain arguments."""
    cfg = config or ScentConfig()
    if isinstance(index, (str, Path)):
        from scent import app

        with app.open_index(Path(index), cfg) as opened:
            return run_episode(task, policy, cast("Index", opened), cfg)
    env = SearchEnv(index, cfg.rl)
    observation = env.reset(task)
    while not env.episode.done:
        observation = env.step(policy.act(observation)).observation
    return env.episode


def _confidence(raw: Any) -> tuple[float | None, bool]:
    """The stated confidence (None when absent), and whether it is usable (a number in [0, 1])."""
    if raw is None or raw == "":
        return None, True
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None, False
    return (value, True) if 0.0 <= value <= 1.0 else (None, False)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"

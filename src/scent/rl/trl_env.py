"""TRL's GRPOTrainer adapter: an `environment_factory` whose instances are scent episodes, and one reward function
per reward component (weighted by `[rl.weights]` through GRPOConfig.reward_weights, logged by TRL per component).

    factory = environment_factory(index, cfg.rl, sink=records.append)
    funcs, weights = reward_funcs(cfg.rl)
    args = GRPOConfig(..., reward_weights=weights)
    GRPOTrainer(model, reward_funcs=funcs, args=args, train_dataset=Dataset.from_list(dataset_rows(tasks)),
                environment_factory=factory)

TRL exposes every public method of the environment as a tool (their docstrings are the schemas: those of
`scent.tools` and of `scent.rl.env`'s answer and abstain, so the policy sees the tools `SearchEnv` offers), calls
`reset(**row)` with the dataset row before each rollout and ends the rollout when the model replies without a
tool call; that last reply is read as the answer when the model did not call `answer` (`SearchEnv.finish_text`).
TRL reads the calls with the tokenizer's `parse_response`; `scent.rl.toolcalls.install(tokenizer)` makes that
the parser `SearchEnv.step_text` uses (Qwen tags, fenced or bare JSON, several per reply), so a call the model
wrote in any of those formats is executed, and a malformed one is answered and counted by the environment.
TRL lists the methods alphabetically with schemas of its own making; `render_environment_tools(tokenizer,
env.schemas())` makes the prompt the one SFT demonstrations and evaluations render (search first).
Nothing here imports TRL: it calls us.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from scent.config import RLConfig
from scent.eval.datasets import Question
from scent.rl import env as declared
from scent.rl.env import INVALID_CALL, Action, Episode, SearchEnv, task_prompt
from scent.rl.rewards import COMPONENTS
from scent.rl.toolcalls import MALFORMED_KEY
from scent.tools import Tools

if TYPE_CHECKING:
    from scent.protocols import Index

EpisodeSink = Callable[[Episode], None]


def _action(name: str, fn: Callable[..., Any]) -> Callable[..., str]:
    """The action `name` as a method of the environment, with the name, parameters and docstring of the function
    that declares it (TRL reads them as the tool's schema); it returns the observation's text. The arguments go
    to `SearchEnv.step` as the model gave them, as for any other policy."""

    def method(self: ScentSearchEnv, **arguments: Any) -> str:
        return self._act(name, arguments)

    signature = inspect.signature(fn)
    method.__name__, method.__qualname__, method.__doc__ = name, f"ScentSearchEnv.{name}", fn.__doc__
    method.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
                    *(p for p in signature.parameters.values() if p.name != "self")], return_annotation=str)
    method.__annotations__ = {**typing.get_type_hints(fn), "return": str}
    return method


def dataset_rows(tasks: list[Question]) -> list[dict[str, Any]]:
    """GRPOTrainer rows: a conversational `prompt` and the task as JSON (one string column: no schema trouble
    when tasks' metadata differ)."""
    return [{"prompt": [{"role": "user", "content": task_prompt(t)}], "task": t.model_dump_json()} for t in tasks]


class ScentSearchEnv:
    """One rollout's environment. Public methods are the policy's tools (TRL reads their signatures and
    docstrings); the scent episode is `episode`."""

    def __init__(self, index: Index, config: RLConfig | None = None, sink: EpisodeSink | None = None) -> None:
        self._env = SearchEnv(index, config)
        self._sink = sink
        self._reported = False

    def reset(self, **row: Any) -> str | None:
        """Start an episode on the row's task (the prompt already holds the question)."""
        self._env.reset(Question.model_validate_json(row["task"]))
        self._reported = False
        return None

    search = _action("search", Tools.search)
    lookup = _action("lookup", Tools.lookup)
    open_document = _action("open_document", Tools.open_document)
    find_in_document = _action("find_in_document", Tools.find_in_document)
    answer = _action("answer", declared.answer)
    abstain = _action("abstain", declared.abstain)

    def _act(self, tool: str, arguments: dict[str, Any]) -> str:
        if MALFORMED_KEY in arguments:  # a call of this tool that could not be read (scent.rl.toolcalls)
            return self._env.step(Action(INVALID_CALL, {"error": arguments[MALFORMED_KEY], "name": tool})).observation
        return self._env.step(Action(tool, arguments)).observation

    def _finish(self, completion: Any) -> Episode:
        """The finished episode: a rollout that stopped without answer/abstain is ended by its last reply. Calls
        of tools that do not exist never reached the environment (TRL answered them); they count as malformed."""
        if not self._env.episode.done:
            for name in _unknown_calls(completion):
                self._env.step(Action(name, {}))
        episode = self._env.finish_text(_last_reply(completion)) if not self._env.episode.done else self._env.episode
        if self._sink is not None and not self._reported:
            self._reported = True
            self._sink(episode)
        return episode


def environment_factory(index: Index, config: RLConfig | None = None, sink: EpisodeSink | None = None
                        ) -> Callable[[], ScentSearchEnv]:
    """GRPOTrainer's `environment_factory`: each call makes one environment over the shared open index. `sink`
    receives every finished episode once (to log or export it)."""
    return lambda: ScentSearchEnv(index, config, sink)


def render_environment_tools(tokenizer: Any, schemas: list[dict[str, Any]]) -> Any:
    """Make the tokenizer render the environment's own tool schemas (`SearchEnv.schemas()`) wherever TRL renders
    the methods of `ScentSearchEnv`. GRPOTrainer lists an environment's methods alphabetically (abstain and answer
    first, search last) and derives their schemas from the docstrings (no defaults, a `return` type, the
    docstrings' line breaks), so its prompt is not the one the SFT demonstrations and the evaluation render
    (search first): a policy warm-started on one is sampled on another. The tools TRL executes are unchanged."""
    names = {schema["function"]["name"] for schema in schemas}
    render = tokenizer.apply_chat_template

    def apply_chat_template(conversation: Any, tools: Any = None, **kwargs: Any) -> Any:
        if tools and all(callable(t) for t in tools) and {t.__name__ for t in tools} == names:
            tools = schemas
        return render(conversation, tools=tools, **kwargs)

    tokenizer.apply_chat_template = apply_chat_template
    return tokenizer


def reward_funcs(config: RLConfig | None = None) -> tuple[list[Callable[..., list[float]]], list[float]]:
    """One reward function per component (named `scent_<component>`, so TRL logs each) and their weights for
    GRPOConfig.reward_weights: TRL's weighted sum is then the episode's `total`."""
    config = config or RLConfig()

    def component(name: str) -> Callable[..., list[float]]:
        def reward(completions: list[Any], environments: list[ScentSearchEnv] | None = None, **_: Any
                   ) -> list[float]:
            if environments is None:
                raise ValueError("scent's reward functions need GRPOTrainer(environment_factory=...)")
            return [env._finish(c).rewards[name] for env, c in zip(environments, completions, strict=True)]

        reward.__name__ = f"scent_{name}"
        return reward

    weights = config.weights.model_dump()
    return [component(name) for name in COMPONENTS], [float(weights[name]) for name in COMPONENTS]


def _unknown_calls(completion: Any) -> list[str]:
    """Names of the calls in a conversational completion that are not tools of the environment."""
    if isinstance(completion, str):
        return []
    return [call["function"]["name"] for message in completion or [] if message.get("role") == "assistant"
            for call in message.get("tool_calls") or []
            if not callable(getattr(ScentSearchEnv, call["function"]["name"], None))
            or call["function"]["name"].startswith("_") or call["function"]["name"] == "reset"]


def _last_reply(completion: Any) -> str:
    """The text of the last assistant message of a conversational completion (or the completion text)."""
    if isinstance(completion, str):
        return completion
    for message in reversed(completion or []):
        if message.get("role") == "assistant":
            content = message.get("content") or ""
            if isinstance(content, list):
                content = " ".join(part.get("text", "") for part in content if isinstance(part, dict))
            return str(content)
    return ""

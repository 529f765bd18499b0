"""Tool calls read from model text (scent.rl.toolcalls) in every format small models write, the environment
stepping a text reply (SearchEnv.step_text), and recorded replies of the embedded model (tests/data)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rl_fixtures import BRIDGE, build_corpus_index

from scent.config import RLConfig
from scent.index import Index
from scent.rl.env import SearchEnv
from scent.rl.toolcalls import MALFORMED_KEY, parse, trl_message

RECORDED = Path(__file__).parent / "data" / "rl_model_replies.jsonl"


def call(name: str, **arguments: object) -> str:
    return json.dumps({"name": name, "arguments": arguments})


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory):
    with Index.open(build_corpus_index(tmp_path_factory.mktemp("rl-calls"))) as idx:
        yield idx


def test_qwen_tags_one_or_several_and_a_cut_off_last_one():
    reply = parse(f"Let me search.\n<tool_call>\n{call('search', query='Vienna')}\n</tool_call>\n"
                  f"<tool_call>{call('lookup', phrase='Don Giovanni')}</tool_call><|im_end|>")
    assert reply.format == "tags" and reply.content == "Let me search."
    assert [(c.name, c.arguments) for c in reply.calls] == [("search", {"query": "Vienna"}),
                                                            ("lookup", {"phrase": "Don Giovanni"})]
    cut = parse(f"<tool_call>\n{call('search', query='Prague')}")  # generation stopped before the closing tag
    assert [(c.name, c.malformed) for c in cut.calls] == [("search", False)]


def test_json_in_a_fence_bare_objects_and_lists():
    fenced = parse(f"I will look it up.\n```json\n{call('search', query='opera')}\n```\nThen answer.")
    assert fenced.format == "fenced" and fenced.calls[0].arguments == {"query": "opera"}
    assert fenced.content == "I will look it up.\n \nThen answer."
    bare = parse(f"{call('search', query='a')}\n{call('search', query='b')}")
    assert bare.format == "bare" and [c.arguments["query"] for c in bare.calls] == ["a", "b"]
    listed = parse(f"[{call('search', query='a')}, {call('answer', answer='x')}]")
    assert [c.name for c in listed.calls] == ["search", "answer"]


def test_other_shapes_of_a_call():
    openai = parse('{"type": "function", "function": {"name": "search", "arguments": "{\\"query\\": \\"q\\"}"}}')
    assert (openai.calls[0].name, openai.calls[0].arguments) == ("search", {"query": "q"})
    llama = parse('<tool_call>{"name": "search", "parameters": {"query": "q"}}</tool_call>')
    assert llama.calls[0].arguments == {"query": "q"}
    python = parse("<tool_call>{'name': 'search', 'arguments': {'query': 'q', 'k': 2}}</tool_call>")
    assert python.calls[0].arguments == {"query": "q", "k": 2}
    inner_fence = parse(f"<tool_call>\n```json\n{call('search', query='q')}\n```\n</tool_call>")
    assert inner_fence.calls[0].arguments == {"query": "q"}


def test_text_that_is_not_a_call():
    for text in ["The answer is Mozart [p-giovanni].", "```python\nprint({'a': 1})\n```",
                 'The result is {"answer": "Mozart"}.', "Unanswerable.", ""]:
        reply = parse(text)
        assert reply.calls == [] and reply.format == "none", text


def test_malformed_calls_are_kept_with_the_reason():
    broken = parse('<tool_call>{"name": "search", "arguments": {"query": "Vienna"</tool_call>')
    assert broken.calls[0].name == "search" and "not valid JSON" in broken.calls[0].error
    nameless = parse("<tool_call>search for Vienna</tool_call>")
    assert nameless.calls[0].name == "" and nameless.calls[0].malformed
    bad_arguments = parse('<tool_call>{"name": "search", "arguments": ["Vienna"]}</tool_call>')
    assert bad_arguments.calls[0].error == "the arguments must be a JSON object"
    message = trl_message(parse(f"<tool_call>x</tool_call><tool_call>{'{'}\"name\": \"search\", \"arguments\": 1}}"
                                f"</tool_call>"), ["search", "answer"])
    assert [c["function"] for c in message["tool_calls"]] == [
        {"name": "invalid_tool_call", "arguments": {}},
        {"name": "search", "arguments": {MALFORMED_KEY: "the arguments must be a JSON object"}}]


def test_the_environment_steps_a_text_reply(index: Index):
    env = SearchEnv(index, RLConfig())
    env.reset(BRIDGE)
    step = env.step_text(f"```json\n{call('search', query='Vienna State Opera')}\n```\n"
                         f"```json\n{call('search', query='Don Giovanni')}\n```")
    assert step.info["calls"] == 2 and "[p-vienna]" in step.info["observations"][0] and not step.done
    step = env.step_text('<tool_call>{"name": "search", "arguments": {"query": </tool_call>')
    assert step.observation.startswith("Could not read the tool call: the call is not valid JSON")
    assert env.episode.tool_counts == {"search": 2, "invalid": 1}
    step = env.step_text(call("answer", answer="Wolfgang Amadeus Mozart", citations="p-vienna, p-giovanni",
                              confidence=1.0))
    assert step.done and env.episode.status == "answered"
    # 4 actions, one malformed: format 3/4; answer 1, citation 1, Brier 0
    assert env.episode.rewards == pytest.approx({"answer": 1.0, "citation": 1.0, "abstention": 0.0, "format": 0.75,
                                                 "total": 1.0 + 0.5 + 0.0 + 0.2 * 0.75})


def test_a_reply_without_a_call_ends_the_episode_as_text(index: Index):
    env = SearchEnv(index, RLConfig())
    env.reset(BRIDGE)
    step = env.step_text("Wolfgang Amadeus Mozart")
    assert step.done and env.episode.status == "answered_in_text" and env.episode.rewards["format"] == 0.0


def recorded() -> list[dict[str, str]]:
    return [json.loads(line) for line in RECORDED.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_recorded_replies_of_the_embedded_model():
    """Real replies of Qwen2.5-Coder-0.5B-Instruct (Q4_K_M, llama.cpp, temperature 0.7) to the environment's prompt
    rendered by its own chat template with the six tool schemas (`scent.rl.chat`): first replies ("template"; one
    prompt that asks for two searches at once, "several") and every reply of two whole episodes ("episode", after
    tool responses). The model wrote bare JSON objects (pretty-printed, several in one reply) and ```json fences,
    never Qwen's tags — not even when the prompt asks for them ("tags", bench/rl_record_replies.py: the tool
    list echoed, read as a malformed call; five calls in a row, a cut-off sixth; a fence of comma-separated
    calls, read as bare objects); before the parser every one of these was read as a final text answer. The
    tags come from the SFT warm start ("sft-smollm2": SmolLM2-135M after bench/rl_sft.py, greedy, a whole episode
    on a miniwiki task: search, lookup, lookup, answer). Each reading was checked by hand when recorded."""
    rows = recorded()
    assert {r["expected"]["format"] for r in rows} == {"bare", "fenced", "tags"}
    assert any(len(r["expected"]["calls"]) > 1 for r in rows)  # several calls in one reply
    for row in rows:
        reply = parse(row["reply"])
        got = [[c.name, c.malformed] for c in reply.calls]
        assert (reply.format, got) == (row["expected"]["format"], row["expected"]["calls"]), row
        if row["variant"] != "tags":
            assert reply.calls and not any(c.malformed for c in reply.calls) and reply.content == ""
    echoed = parse(next(r["reply"] for r in rows if r["variant"] == "tags"))
    assert "schema, not a call" in echoed.calls[0].error  # the prompt's tool list, not a search
    episode = [parse(r["reply"]).calls[0].name for r in rows if r["variant"] == "episode"
               and r["task_id"] == "hotpotqa-dev-000"]
    assert episode == ["search", "lookup", "open_document", "abstain"]
    tagged = [parse(r["reply"]) for r in rows if r["variant"] == "sft-smollm2"]
    assert [(t.format, t.calls[0].name) for t in tagged] == [("tags", "search"), ("tags", "lookup"),
                                                             ("tags", "lookup"), ("tags", "answer")]


class ScriptedChat:
    """A chat model that writes fixed replies and records the conversations it was shown."""

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)
        self.shown: list[list[dict[str, object]]] = []

    def reply(self, messages: list[dict[str, object]], tools: list[dict[str, object]]) -> str:
        self.shown.append([dict(m) for m in messages])
        return self.replies.pop(0)


def test_playing_a_chat_model_and_summing_up(index: Index):
    from scent.rl.chat import play, summarize
    from scent.rl.export import rollout

    env = SearchEnv(index, RLConfig())
    chat = ScriptedChat(f"```json\n{call('search', query='Vienna State Opera opened')}\n```",
                        call("answer", answer="Wolfgang Amadeus Mozart", citations="p-vienna, p-giovanni"))
    replies: list[str] = []
    first = play(env, BRIDGE, chat, max_replies=4, replies=replies)
    assert first.status == "answered" and len(replies) == 2
    # the second reply saw the model's own text and the tool's response, as TRL's conversation holds them
    assert [m["role"] for m in chat.shown[1]] == ["user", "assistant", "tool"]
    assert "[p-vienna]" in str(chat.shown[1][2]["content"])
    records = [rollout(first)]
    cut = play(env, BRIDGE, ScriptedChat(*[call("search", query="opera")] * 2 + ["unused"]), max_replies=2)
    # out of replies while still calling: ended by the last reply's text beside its call, here none
    assert cut.status == "budget_exhausted" and cut.tool_counts == {"search": 2}
    records.append(rollout(cut))
    text = play(env, BRIDGE, ScriptedChat("Mozart, I think."), max_replies=4)
    records.append(rollout(text))
    summary = summarize(records)
    assert summary["episodes"] == 3 and summary["tool_use_rate"] == pytest.approx(2 / 3)
    assert summary["calls_per_episode"] == pytest.approx(1.0) and summary["well_formed"] == 1.0
    assert summary["status"] == {"answered": 1, "budget_exhausted": 1, "answered_in_text": 1}


def test_the_rollouts_command(tmp_path: Path, index: Index, monkeypatch: pytest.MonkeyPatch):
    from typer.testing import CliRunner

    from scent.cli import app
    from scent.rl import chat

    replies = ScriptedChat(f"<tool_call>{call('lookup', phrase='Don Giovanni')}</tool_call>", "Mozart")
    monkeypatch.setattr(chat.LlamaCppChat, "embedded", classmethod(lambda cls, **kwargs: replies))
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(BRIDGE.model_dump_json() + "\n")
    out = tmp_path / "rollouts.jsonl"
    result = CliRunner().invoke(app, ["rl", "rollouts", "--index", str(index.path), "--tasks", str(tasks),
                                      "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["episodes"] == 1 and summary["tool_use_rate"] == 1.0 and summary["status"] == {
        "answered_in_text": 1}
    record = json.loads(out.read_text())
    assert record["replies"][1] == "Mozart" and record["tool_calls"] == {"lookup": 1}

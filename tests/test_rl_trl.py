"""The TRL adapter: the environment as GRPOTrainer reads it (tools from public methods, reset(**row), reward
functions with `environments`), and one real GRPO step through TRL with a scripted model that calls the tools."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import pytest
from rl_fixtures import BRIDGE, UNANSWERABLE, build_corpus_index

from scent.config import RLConfig
from scent.index import Index
from scent.rl.env import Episode, SearchEnv
from scent.rl.trl_env import dataset_rows, environment_factory, render_environment_tools, reward_funcs

pytest.importorskip("trl", reason="the rl extra (pip install -e '.[rl]')")


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory):
    with Index.open(build_corpus_index(tmp_path_factory.mktemp("rl-trl"))) as idx:
        yield idx


def test_the_environment_as_grpo_trainer_reads_it(index: Index):
    from transformers.utils import get_json_schema

    episodes: list[Episode] = []
    env = environment_factory(index, RLConfig(), sink=episodes.append)()
    # what GRPOTrainer does: every public function of the class but reset/get_reward is a tool
    tools = [name for name, _ in inspect.getmembers(type(env), predicate=inspect.isfunction)
             if name != "reset" and not name.startswith("_")]
    assert tools == ["abstain", "answer", "find_in_document", "lookup", "open_document", "search"]
    schemas = {name: get_json_schema(getattr(env, name))["function"] for name in tools}
    assert schemas["answer"]["parameters"]["required"] == ["answer"]
    assert schemas["search"]["parameters"]["properties"]["query"]["type"] == "string"
    # the tools are declared once (scent.tools; answer and abstain in scent.rl.env): TRL shows the policy what
    # SearchEnv offers, the same parameters, types and descriptions
    for declared in SearchEnv(index).schemas():
        fn = declared["function"]
        trl = schemas[fn["name"]]
        assert " ".join(trl["description"].split()) == fn["description"]
        assert trl["parameters"].get("required", []) == fn["parameters"]["required"]
        assert {k: {**v, "description": " ".join(v["description"].split())}
                for k, v in trl["parameters"]["properties"].items()} == {  # TRL's schemas state no defaults
            k: {f: x for f, x in v.items() if f != "default"} for k, v in fn["parameters"]["properties"].items()}

    rows = dataset_rows([BRIDGE, UNANSWERABLE])
    assert rows[0]["prompt"][0]["content"].endswith(BRIDGE.question)
    assert env.reset(**rows[0]) is None
    assert "[p-giovanni]" in env.search(query="Don Giovanni composer")
    assert "Answer recorded" in env.answer(answer="Wolfgang Amadeus Mozart", citations="p-giovanni", confidence=1.0)
    other = environment_factory(index)()
    other.reset(**rows[1])
    other.lookup(phrase="closed for good")
    completions = [[{"role": "assistant", "content": "done"}], [{"role": "assistant", "content": "Unanswerable."}]]
    funcs, weights = reward_funcs(RLConfig())
    assert [f.__name__ for f in funcs] == ["scent_answer", "scent_citation", "scent_abstention", "scent_format"]
    assert weights == [1.0, 0.5, 0.5, 0.2]
    values = [f(prompts=[None, None], completions=completions, environments=[env, other]) for f in funcs]
    # episode 1: answer 1, citation F1 2/3 (one of two gold), Brier 0, format 1; episode 2 abstained in text:
    # answer 1, abstention 1, format 0 (no abstain action)
    assert [v for pair in values for v in pair] == pytest.approx([1.0, 1.0, 2 / 3, 0.0, 0.0, 1.0, 1.0, 0.0])
    assert [e.task.id for e in episodes] == ["t-bridge"]  # the sink gets each episode once; `other` has none
    with pytest.raises(ValueError, match="environment_factory"):
        funcs[0](prompts=[None], completions=completions[:1])


@pytest.fixture(scope="module")
def qwen_tokenizer(tmp_path_factory: pytest.TempPathFactory):
    """The embedded model's tokenizer and chat template, read from its GGUF file by transformers."""
    from transformers import AutoTokenizer

    from scent.llm import catalog

    try:
        gguf = Path(catalog.resolve_gguf(catalog.DEFAULT_MODEL))
    except Exception as e:  # the embedded extra is not installed
        pytest.skip(f"no embedded model: {e}")
    return AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)


def scripted_model(tokenizer: Any, replies: list[str], prompts: list[str] | None = None) -> Any:
    """A one-layer random Qwen2 whose `generate` writes replies[n] after the n-th tool response: the trainer's
    real tool-call parsing, tool loop, reward and loss code runs on it. `prompts` gets every text it was given."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    class Scripted(Qwen2ForCausalLM):  # type: ignore[misc]
        def generate(self, input_ids: Any = None, attention_mask: Any = None, **kwargs: Any) -> Any:
            rows = []
            for ids in input_ids:
                text = tokenizer.decode(ids)
                if prompts is not None:
                    prompts.append(text)
                turn = min(text.count("<tool_response>"), len(replies) - 1)
                rows.append(tokenizer(replies[turn] + "<|im_end|>", add_special_tokens=False)["input_ids"])
            width = max(map(len, rows))
            pad = tokenizer.convert_tokens_to_ids("<|im_end|>")
            out = torch.tensor([r + [pad] * (width - len(r)) for r in rows], dtype=input_ids.dtype)
            return torch.cat([input_ids, out], dim=1)

    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=4096)
    torch.manual_seed(0)
    model = Scripted(config)
    model.generation_config.eos_token_id = tokenizer.convert_tokens_to_ids("<|im_end|>")
    return model


def tool_call(name: str, **arguments: Any) -> str:
    return "<tool_call>\n" + json.dumps({"name": name, "arguments": arguments}) + "\n</tool_call>"


@pytest.mark.integration
def test_one_grpo_step_through_trl_with_a_scripted_model(tmp_path: Path, index: Index, qwen_tokenizer: Any,
                                                          monkeypatch: pytest.MonkeyPatch):
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    monkeypatch.setenv("TRL_EXPERIMENTAL_SILENCE", "1")
    replies = [tool_call("search", query="Vienna State Opera Don Giovanni"),
               tool_call("answer", answer="Wolfgang Amadeus Mozart", citations="p-vienna, p-giovanni",
                         confidence=0.9),
               "Done."]
    episodes: list[Episode] = []
    funcs, weights = reward_funcs(RLConfig())
    args = GRPOConfig(output_dir=str(tmp_path / "out"), per_device_train_batch_size=2, num_generations=2,
                      max_steps=1, max_completion_length=512, max_tool_calling_iterations=3, beta=0.0,
                      reward_weights=weights, report_to="none", save_strategy="no", logging_steps=1, use_cpu=True,
                      bf16=False)
    trainer = GRPOTrainer(model=scripted_model(qwen_tokenizer, replies), reward_funcs=funcs, args=args,
                          train_dataset=Dataset.from_list(dataset_rows([BRIDGE])), processing_class=qwen_tokenizer,
                          environment_factory=environment_factory(index, RLConfig(), sink=episodes.append))
    trainer.train()
    assert len(episodes) == 2
    for episode in episodes:
        assert episode.status == "answered" and episode.tool_counts == {"search": 1}
        assert [t.tool for t in episode.turns] == ["search", "answer"]
        assert episode.rewards == pytest.approx({"answer": 1.0, "citation": 1.0, "abstention": -0.01, "format": 1.0,
                                                 "total": 1.0 + 0.5 - 0.005 + 0.2})
    logged = next(entry for entry in trainer.state.log_history if "reward" in entry)
    assert logged["reward"] == pytest.approx(1.695) and logged["rewards/scent_citation/mean"] == pytest.approx(1.0)
    assert logged["tools/call_frequency"] == pytest.approx(2.0)


@pytest.mark.integration
def test_trl_reads_fenced_and_bare_json_calls_through_the_installed_parser(
        tmp_path: Path, index: Index, qwen_tokenizer: Any, monkeypatch: pytest.MonkeyPatch):
    """The formats the 0.5B model writes (a ```json fence, a bare object, a broken tag): with
    `toolcalls.install(tokenizer)` TRL executes them, the environment answers the broken one and counts it. With
    `render_environment_tools` the prompt TRL renders is the one SFT and the evaluation render (search first)."""
    import copy

    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    from scent.rl.toolcalls import install

    monkeypatch.setenv("TRL_EXPERIMENTAL_SILENCE", "1")
    search = json.dumps({"name": "search", "arguments": {"query": "Vienna State Opera Don Giovanni"}})
    final = json.dumps({"name": "answer", "arguments": {"answer": "Wolfgang Amadeus Mozart",
                                                        "citations": "p-vienna, p-giovanni", "confidence": 1.0}})
    replies = [f"I will search first.\n```json\n{search}\n```",
               '<tool_call>\n{"name": "lookup", "arguments": {"phrase": \n</tool_call>',
               final, "Done."]
    episodes: list[Episode] = []
    funcs, weights = reward_funcs(RLConfig())
    args = GRPOConfig(output_dir=str(tmp_path / "out"), per_device_train_batch_size=2, num_generations=2,
                      max_steps=1, max_completion_length=768, max_tool_calling_iterations=4, beta=0.0,
                      reward_weights=weights, report_to="none", save_strategy="no", logging_steps=1, use_cpu=True,
                      bf16=False)
    schemas = SearchEnv(index).schemas()
    tokenizer = render_environment_tools(install(copy.deepcopy(qwen_tokenizer)), schemas)
    prompts: list[str] = []
    trainer = GRPOTrainer(model=scripted_model(tokenizer, replies, prompts), reward_funcs=funcs, args=args,
                          train_dataset=Dataset.from_list(dataset_rows([BRIDGE])), processing_class=tokenizer,
                          environment_factory=environment_factory(index, RLConfig(), sink=episodes.append))
    trainer.train()
    rendered = qwen_tokenizer.apply_chat_template(dataset_rows([BRIDGE])[0]["prompt"], tools=schemas,
                                                  add_generation_prompt=True, tokenize=False)
    assert rendered in prompts[0] and prompts[0].index('"name": "search"') < prompts[0].index('"name": "abstain"')
    assert len(episodes) == 2
    for episode in episodes:
        assert [t.tool for t in episode.turns] == ["search", "invalid_call", "answer"]
        assert episode.turns[1].observation.startswith("Could not read the tool call: the call is not valid JSON")
        assert episode.status == "answered" and episode.tool_counts == {"search": 1, "invalid": 1}
        # answer 1, citation 1, Brier 0, format 2 of 3 actions well-formed
        assert episode.rewards == pytest.approx({"answer": 1.0, "citation": 1.0, "abstention": 0.0,
                                                 "format": 2 / 3, "total": 1.0 + 0.5 + 0.2 * 2 / 3})


def test_the_factory_passes_abstain_needs_search_to_each_environment(index: Index):
    rows = dataset_rows([UNANSWERABLE])
    funcs, _ = reward_funcs(RLConfig())
    guessed, searched = (environment_factory(index, RLConfig(abstain_needs_search=True))() for _ in range(2))
    for env in (guessed, searched):
        env.reset(**rows[0])
    searched.lookup(phrase="closed for good")
    for env in (guessed, searched):
        env.abstain(reason="not in the documents")
    done = [[{"role": "assistant", "content": ""}]] * 2
    # the abstention component: a guess scores -(1 - 1)^2 = 0, an abstention after a lookup +1
    assert funcs[2](prompts=[None, None], completions=done, environments=[guessed, searched]) == [0.0, 1.0]


def test_malformed_and_unknown_calls_reach_the_episode(index: Index):
    from scent.rl.toolcalls import MALFORMED_KEY

    env = environment_factory(index, RLConfig())()
    env.reset(**dataset_rows([BRIDGE])[0])
    # a malformed call of a known tool (toolcalls.trl_message) is answered by the environment
    assert env.search(**{MALFORMED_KEY: "the call is not valid JSON"}).startswith("Could not read the tool call")
    # a call of a tool that does not exist was answered by TRL; it counts when the episode is scored
    completion = [{"role": "assistant", "content": "", "tool_calls": [
                      {"type": "function", "function": {"name": "get_weather", "arguments": {}}}]},
                  {"role": "tool", "name": "get_weather", "content": "{'error': 'Tool get_weather not found.'}"},
                  {"role": "assistant", "content": "Wolfgang Amadeus Mozart [p-giovanni]"}]
    episode = env._finish(completion)
    assert [t.tool for t in episode.turns] == ["invalid_call", "get_weather"]
    assert episode.tool_counts == {"invalid": 2} and episode.status == "answered_in_text"

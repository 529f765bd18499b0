"""The SFT warm start (scent.rl.sft): demonstrations rendered with the embedded model's chat template and tool
schemas, the loss on the policy's turns only, and a few SFTTrainer steps (full and LoRA) on a one-layer model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rl_fixtures import BRIDGE, UNANSWERABLE, answer, build_corpus_index, search

from scent.config import RLConfig
from scent.index import Index
from scent.rl.env import Action, SearchEnv
from scent.rl.export import rollout
from scent.rl.sft import dataset_rows, tokenize, train

pytest.importorskip("trl", reason="the rl extra (pip install -e '.[rl]')")


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    with Index.open(build_corpus_index(tmp_path_factory.mktemp("rl-sft"))) as index:
        records = []
        for task, actions in [(BRIDGE, [search("Vienna State Opera opened"),
                                        answer("Wolfgang Amadeus Mozart", "p-vienna, p-giovanni", 0.9)]),
                              (UNANSWERABLE, [Action("lookup", {"phrase": "closed for good"}),
                                              Action("abstain", {})])]:
            env = SearchEnv(index, RLConfig())
            env.reset(task)
            for action in actions:
                env.step(action)
            records.append(rollout(env.episode, env.schemas(), source="demo"))
        return records


@pytest.fixture(scope="module")
def qwen_tokenizer() -> Any:
    from transformers import AutoTokenizer

    from scent.llm import catalog

    try:
        gguf = Path(catalog.resolve_gguf(catalog.DEFAULT_MODEL))
    except Exception as e:  # the embedded extra is not installed
        pytest.skip(f"no embedded model: {e}")
    return AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)


def test_only_the_policys_turns_are_trained(demos: list[dict[str, Any]], qwen_tokenizer: Any):
    row = tokenize(demos[0], qwen_tokenizer)
    text = qwen_tokenizer.decode(row["input_ids"])
    assert text.startswith("<|im_start|>system\n") and '"name": "search"' in text  # the tool schemas
    trained = qwen_tokenizer.decode([i for i, m in zip(row["input_ids"], row["assistant_masks"], strict=True) if m])
    # the two assistant turns as the template writes them (tool-call tags, end of turn), nothing else: not the
    # instructions or question, not the assistant header, not the search results
    assert trained == ('<tool_call>\n{"name": "search", "arguments": {"query": "Vienna State Opera opened"}}\n'
                       '</tool_call><|im_end|>\n<tool_call>\n{"name": "answer", "arguments": {"answer": '
                       '"Wolfgang Amadeus Mozart", "citations": "p-vienna, p-giovanni", "confidence": 0.9}}\n'
                       "</tool_call><|im_end|>\n")
    assert "Vienna State Opera opened on 25 May 1869" in text  # the observation is in the context, untrained
    rows, counts = dataset_rows(demos, qwen_tokenizer, max_length=len(row["input_ids"]))
    assert counts["records"] == 2 and len(rows) + counts["too_long"] == 2


def tiny_model(tokenizer: Any) -> Any:
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    return Qwen2ForCausalLM(Qwen2Config(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32,
                                        num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
                                        max_position_embeddings=4096))


@pytest.mark.integration
@pytest.mark.parametrize("lora_rank", [0, 4])
def test_sft_steps_on_a_one_layer_model(tmp_path: Path, demos: list[dict[str, Any]], qwen_tokenizer: Any,
                                        lora_rank: int, monkeypatch: pytest.MonkeyPatch):
    if lora_rank:
        pytest.importorskip("peft")
    monkeypatch.setenv("TRL_EXPERIMENTAL_SILENCE", "1")
    rows, _ = dataset_rows(demos, qwen_tokenizer)
    trainer = train(tiny_model(qwen_tokenizer), qwen_tokenizer, rows, str(tmp_path), epochs=1, lr=1e-2,
                    accumulation=1, lora_rank=lora_rank, max_length=4096, max_steps=2)
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    assert len(losses) == 2 and all(loss > 0 for loss in losses)
    # SFTTrainer's labels are the policy's turns only: the batch it trains on masks everything else
    batch = trainer.data_collator([trainer.train_dataset[0]])
    labelled = batch["labels"][0] != -100
    assert labelled.sum().item() == sum(rows[0]["assistant_masks"])
    if lora_rank:
        assert any("lora_" in name for name, _ in trainer.model.named_parameters())


SMOLLM2_TEMPLATE = ("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
                    "{{ '<|im_start|>system\\nYou are a helpful AI assistant<|im_end|>\\n' }}{% endif %}"
                    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
                    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")


def test_a_template_without_tools_gets_the_hermes_one(demos: list[dict[str, Any]], qwen_tokenizer: Any):
    """SmolLM2's plain ChatML template writes neither the tool schemas nor a tool call (the trained turns would
    be empty); with_tool_template gives it TRL's Qwen2.5 template, and a template that renders tools is kept."""
    from trl.chat_template_utils import qwen2_5_chat_template

    from scent.rl.sft import with_tool_template

    original = qwen_tokenizer.chat_template
    try:
        qwen_tokenizer.chat_template = SMOLLM2_TEMPLATE
        bare = tokenize(demos[0], qwen_tokenizer)
        assert "<tool_call>" not in qwen_tokenizer.decode(bare["input_ids"])
        assert with_tool_template(qwen_tokenizer).chat_template == qwen2_5_chat_template
        row = tokenize(demos[0], qwen_tokenizer)
        trained = qwen_tokenizer.decode([i for i, m in zip(row["input_ids"], row["assistant_masks"], strict=True)
                                         if m])
        assert trained.count("<tool_call>") == 2 and '"name": "search"' in trained
        qwen_tokenizer.chat_template = original
        assert with_tool_template(qwen_tokenizer).chat_template == original
    finally:
        qwen_tokenizer.chat_template = original


@pytest.mark.integration
def test_sft_resumes_from_a_checkpoint(tmp_path: Path, demos: list[dict[str, Any]], qwen_tokenizer: Any,
                                       monkeypatch: pytest.MonkeyPatch):
    """A run stopped by a callback that asks for a checkpoint (bench/rl_sft.py's --max-minutes) continues from
    it with resume=True to the same number of steps."""
    from transformers import TrainerCallback

    monkeypatch.setenv("TRL_EXPERIMENTAL_SILENCE", "1")
    rows, _ = dataset_rows(demos, qwen_tokenizer)

    class StopAtOne(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
            if state.global_step == 1:
                control.should_training_stop = control.should_save = True
            return control

    first = train(tiny_model(qwen_tokenizer), qwen_tokenizer, rows, str(tmp_path), epochs=1, lr=1e-2,
                  accumulation=1, max_steps=3, callbacks=[StopAtOne()])
    assert first.state.global_step == 1 and (tmp_path / "checkpoint-1").is_dir()
    second = train(tiny_model(qwen_tokenizer), qwen_tokenizer, rows, str(tmp_path), epochs=1, lr=1e-2,
                   accumulation=1, max_steps=3, resume=True)
    assert second.state.global_step == 3
    assert [e["step"] for e in second.state.log_history if "loss" in e] == [1, 2, 3]

"""The SFT warm start: rollout records (demonstrations from `scent rl demos`, or good GRPO rollouts) rendered with
the policy's chat template and the environment's tool schemas, the loss on the policy's turns only.

Each record's messages are rendered one at a time (the template is prefix-preserving, as TRL checks for GRPO);
the tokens of a message with `loss_mask` 1 — an assistant turn: its tool call in the template's format and the
end-of-turn token, not the `<|im_start|>assistant` header the template writes — get `assistant_masks` 1, everything
else (instructions, the question, tool output) 0. TRL's SFTTrainer builds its labels from `assistant_masks`, so
the loss is exactly the rollout export's mask. `train` runs SFTTrainer, with LoRA through `peft` when asked.
Nothing here imports torch, transformers or TRL at import time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

CHAT_KEYS = ("role", "content", "tool_calls", "name")


def with_tool_template(tokenizer: Any) -> Any:
    """Give a tokenizer whose chat template ignores tools (SmolLM2's plain ChatML writes neither the tool schemas
    nor an assistant's tool_calls, so a demonstration's trained turns would be empty) the Qwen2.5 template TRL
    ships: the same <|im_start|>/<|im_end|> tokens, Hermes <tool_call> tags, and a template TRL recognises for
    GRPO. A template that already renders tools is kept."""
    if "tool" not in (tokenizer.chat_template or ""):
        from trl.chat_template_utils import qwen2_5_chat_template

        tokenizer.chat_template = qwen2_5_chat_template
    return tokenizer


def load_model(spec: str) -> tuple[Any, Any]:
    """A policy and its tokenizer (with a tool-calling template) in float32: a catalog name (`embedded`,
    `smollm2-135m`: its GGUF dequantized by transformers) or a transformers folder / hub id (an SFT checkpoint)."""
    from pathlib import Path

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from scent.llm import catalog

    name = catalog.DEFAULT_MODEL if spec == "embedded" else spec
    if name not in catalog.CATALOG:
        return (AutoModelForCausalLM.from_pretrained(spec, dtype=torch.float32),
                with_tool_template(AutoTokenizer.from_pretrained(spec)))
    gguf = Path(catalog.resolve_gguf(name))
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    quantizer = getattr(model, "hf_quantizer", None)  # dequantized on load; the Trainer refuses a "quantized" model
    if quantizer is not None:
        quantizer.remove_quantization_config(model)
    return model, with_tool_template(tokenizer)


def chat_messages(record: dict[str, Any]) -> list[dict[str, Any]]:
    """A rollout's messages as a chat template takes them (tool-call arguments as objects, export-only keys
    dropped)."""
    messages = []
    for message in record["messages"]:
        m = {k: v for k, v in message.items() if k in CHAT_KEYS}
        if m.get("tool_calls"):
            m["tool_calls"] = [{"type": "function", "function": {
                "name": c["function"]["name"],
                "arguments": c["function"]["arguments"] if isinstance(c["function"]["arguments"], dict)
                else json.loads(c["function"]["arguments"] or "{}")}} for c in m["tool_calls"]]
        messages.append(m)
    return messages


def tokenize(record: dict[str, Any], tokenizer: Any) -> dict[str, list[int]]:
    """`input_ids` of the rendered conversation and `assistant_masks` (1 on the tokens of loss_mask-1 messages)."""
    messages, tools = chat_messages(record), record.get("tools") or None
    ids: list[int] = []
    mask: list[int] = []
    rendered = ""
    for n, (message, raw) in enumerate(zip(messages, record["messages"], strict=True)):
        trained = bool(raw.get("loss_mask")) and message["role"] == "assistant"
        # a trained turn starts after the header the template writes for it (add_generation_prompt)
        head = _render(tokenizer, messages[:n], tools, generation=True) if trained else rendered
        full = _render(tokenizer, messages[: n + 1], tools, generation=False)
        if not (head.startswith(rendered) and full.startswith(head)):
            raise ValueError("the chat template is not prefix-preserving; cannot mask by message")
        for piece, flag in ((head[len(rendered):], 0), (full[len(head):], int(trained))):
            piece_ids = tokenizer(piece, add_special_tokens=False)["input_ids"] if piece else []
            ids += piece_ids
            mask += [flag] * len(piece_ids)
        rendered = full
    return {"input_ids": ids, "assistant_masks": mask}


def _render(tokenizer: Any, messages: list[dict[str, Any]], tools: Any, *, generation: bool) -> str:
    return str(tokenizer.apply_chat_template(messages, tools=tools, tokenize=False,
                                             add_generation_prompt=generation))


def dataset_rows(records: Iterable[dict[str, Any]], tokenizer: Any, max_length: int | None = None
                 ) -> tuple[list[dict[str, list[int]]], dict[str, int]]:
    """Tokenized rows for SFTTrainer and counts (records, dropped as longer than max_length, tokens, trained
    tokens)."""
    rows, counts = [], {"records": 0, "too_long": 0, "tokens": 0, "trained_tokens": 0}
    for record in records:
        counts["records"] += 1
        row = tokenize(record, tokenizer)
        if max_length and len(row["input_ids"]) > max_length:
            counts["too_long"] += 1  # cut, it would lose the answer turn: dropped instead
            continue
        counts["tokens"] += len(row["input_ids"])
        counts["trained_tokens"] += sum(row["assistant_masks"])
        rows.append(row)
    return rows, counts


def train(model: Any, tokenizer: Any, rows: list[dict[str, list[int]]], output_dir: str, *, epochs: float = 2.0,
          lr: float = 2e-4, batch: int = 1, accumulation: int = 4, lora_rank: int = 0, max_length: int = 4096,
          max_steps: int = -1, seed: int = 0, callbacks: list[Any] | None = None, bf16: bool = False,
          resume: bool = False, checkpointing: bool = False) -> Any:
    """SFTTrainer on the rows (loss on assistant_masks only); LoRA of rank `lora_rank` on the attention and MLP
    projections through peft when > 0. `resume` continues from the last checkpoint in output_dir (a callback that
    sets `should_save` and `should_training_stop` splits a long run into chunks). `checkpointing` is TRL's
    default gradient checkpointing (activations recomputed: a third more compute, for memory a small policy does
    not need; a large one on a GPU may want it). Returns the trainer (its model
    is the trained policy)."""
    import torch
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer  # type: ignore[attr-defined]  # trl exports them lazily

    peft_config = None
    if lora_rank > 0:
        from peft import LoraConfig

        peft_config = LoraConfig(r=lora_rank, lora_alpha=2 * lora_rank, lora_dropout=0.0, task_type="CAUSAL_LM",
                                 target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                                 "down_proj"])
    args = SFTConfig(output_dir=output_dir, num_train_epochs=epochs, max_steps=max_steps, learning_rate=lr,
                     per_device_train_batch_size=batch, gradient_accumulation_steps=accumulation,
                     max_length=max_length, logging_steps=1, save_strategy="no", report_to="none",
                     use_cpu=not torch.cuda.is_available(), bf16=bf16, seed=seed, lr_scheduler_type="constant",
                     warmup_steps=0, gradient_checkpointing=checkpointing)
    trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tokenizer,
                         peft_config=peft_config, callbacks=callbacks)
    trainer.train(resume_from_checkpoint=resume or None)
    return trainer

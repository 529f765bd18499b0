"""SFT warm start of a small search policy on demonstrations (`scent rl demos`), then its tool use measured on
held-out tasks — the first stage of issue 27's loop (SFT, then GRPO from the checkpoint with bench/rl_smoke.py).

Demonstrations are rendered with the policy's chat template and the environment's tool schemas; the loss is on
the policy's turns only (scent.rl.sft: the rollout export's loss_mask as SFTTrainer's assistant_masks); LoRA
through peft with --lora R (0: full fine-tune). After training, --eval-tasks plays episodes of the trained model
in the environment (scent.rl.chat.play, the calls read by scent.rl.toolcalls) and reports tool-use rate,
well-formed calls, endings and rewards per subset.

    .venv/bin/scent rl demos --from-eval /work/rec/hotpot --out bench/out/rl-sft/demos.jsonl
    flock /tmp/scent-cpu.lock .venv/bin/python bench/rl_sft.py --demos bench/out/rl-sft/demos.jsonl \
        --model smollm2-135m --lora 16 --epochs 3 --out bench/out/rl-sft \
        --eval-index /work/idx/miniwiki --eval-tasks bench/out/rl-smoke/miniwiki-tasks.jsonl --eval-n 12

On a GPU: `--model Qwen/Qwen2.5-1.5B-Instruct` (any transformers checkpoint with a tool-calling template), `--bf16`,
`--batch 4 --accumulation 4`, more demonstrations (scent synth tasks, scent eval's agent on them, scent rl demos).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from scent.rl.export import read_rollouts
from scent.rl.sft import dataset_rows, load_model, train

ROOT = Path(__file__).resolve().parents[1]


def evaluate(model: Any, tokenizer: Any, index: Path, tasks: Path, n: int, max_replies: int) -> dict[str, Any]:
    from scent import app
    from scent.eval.datasets import load_questions
    from scent.rl.chat import TransformersChat, play, summarize
    from scent.rl.env import SearchEnv
    from scent.rl.export import rollout

    cfg = app.load(settings=["rl.k=2", "rl.observation_chars=900"])
    chat = TransformersChat(model, tokenizer, max_tokens=200, temperature=0.0)
    records = []
    with app.open_index(index, cfg, "bm25") as opened:
        env = SearchEnv(opened, cfg.rl)
        for task in load_questions(tasks, n):
            replies: list[str] = []
            episode = play(env, task, chat, max_replies, replies)
            records.append(rollout(episode, replies=replies))
    summary: dict[str, Any] = summarize(records)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demos", type=Path, required=True, help="scent-rollout/1 JSONL (scent rl demos)")
    parser.add_argument("--model", default="smollm2-135m", help="catalog name (embedded, smollm2-135m) or a "
                        "transformers folder / hub id")
    parser.add_argument("--lora", type=int, default=16, help="LoRA rank (0: full fine-tune)")
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--accumulation", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=4096, help="longer demonstrations are dropped")
    parser.add_argument("--max-minutes", type=float, default=20.0, help="stop after the optimizer step that passes "
                        "this, saving a checkpoint (--resume continues it: a long run in chunks)")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/trainer's last checkpoint")
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/out/rl-sft")
    parser.add_argument("--eval-index", type=Path, default=None)
    parser.add_argument("--eval-tasks", type=Path, default=None)
    parser.add_argument("--eval-n", type=int, default=12)
    parser.add_argument("--max-replies", type=int, default=6)
    args = parser.parse_args()

    from transformers import TrainerCallback

    started = time.monotonic()
    minutes = args.max_minutes  # (the callback's own `args` are the trainer's)

    class StopAfter(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
            if time.monotonic() - started > minutes * 60 and state.global_step < state.max_steps:
                control.should_training_stop = control.should_save = True  # a checkpoint to --resume from
            return control

    model, tokenizer = load_model(args.model)
    rows, counts = dataset_rows(read_rollouts(args.demos), tokenizer, args.max_length)
    print(f"{counts['records']} demonstrations, {len(rows)} within {args.max_length} tokens; {counts['tokens']} "
          f"tokens, {counts['trained_tokens']} trained (the policy's turns)", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    trainer = train(model, tokenizer, rows, str(args.out / "trainer"), epochs=args.epochs, lr=args.lr,
                    batch=args.batch, accumulation=args.accumulation, lora_rank=args.lora,
                    max_length=args.max_length, callbacks=[StopAfter()], bf16=args.bf16, resume=args.resume)
    state = trainer.state
    finished = state.global_step >= state.max_steps
    if finished:
        policy = trainer.model.merge_and_unload() if args.lora else trainer.model
        policy.save_pretrained(args.out / "policy")
        tokenizer.save_pretrained(args.out / "policy")
    trained = time.monotonic() - started
    summary: dict[str, Any] = {"model": args.model, "lora": args.lora, "epochs": args.epochs, **counts,
                               "step": state.global_step, "max_steps": state.max_steps, "finished": finished,
                               "chunk_seconds": round(trained, 1),
                               "log": [{k: e[k] for k in ("step", "epoch", "loss") if k in e}
                                       for e in state.log_history if "loss" in e]}
    metrics_path = args.out / "metrics.json"
    if args.resume and metrics_path.exists():  # the chunks' times add up
        summary["chunks_seconds"] = [*json.loads(metrics_path.read_text()).get("chunks_seconds", []), trained]
    else:
        summary["chunks_seconds"] = [trained]
    if finished and args.eval_tasks and args.eval_index:
        summary["eval"] = evaluate(policy, tokenizer, args.eval_index, args.eval_tasks, args.eval_n,
                                   args.max_replies)
    metrics_path.write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "log"}, indent=1))
    print("losses: " + " ".join(f"{e['loss']:.3f}" for e in summary["log"]))


if __name__ == "__main__":
    main()

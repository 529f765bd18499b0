"""RL smoke run: a few GRPO steps of TRL on the CPU with the embedded model (Qwen2.5-Coder-0.5B-Instruct, its GGUF
weights dequantized by transformers), acting through scent's tools on tasks from an index, rewarded by scent.rl.

It proves the plumbing end to end — tasks → environment → tool calls → rewards → a policy-gradient update →
rollouts exported — not learning: a handful of steps on a few tasks moves nothing measurable. Writes the rollouts
(scent-rollout/1 JSONL), the per-step metrics (JSON) and a plot of reward and tool-use rate per step.

    flock /tmp/scent-cpu.lock .venv/bin/python bench/rl_smoke.py --index bench/out/miniwiki-idx \
        --tasks ../shared/data/hotpotqa/dev.jsonl --steps 6 --out bench/out/rl-smoke --plot docs/images/rl_smoke.png

On a GPU (docs/rl.md): `--model DIR_OR_HUB_ID` (a larger instruct model with a tool-calling chat template),
`--bf16`, more `--steps`, `--generations 8`, `--batch 16`, `--max-completion 2048`; or serve generation with vLLM
(TRL's `use_vllm`).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from scent import app
from scent.config import RLConfig
from scent.eval.datasets import load_questions
from scent.rl.env import Episode, SearchEnv
from scent.rl.export import read_rollouts, rollout, write_rollouts
from scent.rl.rewards import COMPONENTS
from scent.rl.trl_env import dataset_rows, environment_factory, render_environment_tools, reward_funcs

ROOT = Path(__file__).resolve().parents[1]


def load_policy(model: str | None) -> tuple[Any, Any]:
    """The model and tokenizer: a transformers folder or hub id when given (e.g. bench/rl_sft.py's OUT/policy, the
    SFT warm start), else the embedded GGUF dequantized. The tokenizer reads tool calls with scent.rl.toolcalls
    (Qwen tags, fenced or bare JSON), as the environment does."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from scent.rl.toolcalls import install

    if model:
        return (AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32),
                install(AutoTokenizer.from_pretrained(model)))
    from scent.llm import catalog

    gguf = Path(catalog.resolve_gguf(catalog.DEFAULT_MODEL))
    tokenizer = install(AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name))
    policy = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # The weights are dequantized to float32 on load, but the model keeps its GGUF "quantizer", which the Trainer
    # refuses to train; drop it (transformers' own call) and check that every weight is a trainable float.
    quantizer = getattr(policy, "hf_quantizer", None)
    if quantizer is not None:
        quantizer.remove_quantization_config(policy)
    assert all(p.dtype == torch.float32 and p.requires_grad for p in policy.parameters())
    return policy, tokenizer


def step_metrics(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per training step: mean reward (total and each component), tool-use rate (share of episodes with at least
    one search or lookup), tool calls per episode, and how the episodes ended."""
    steps: dict[int, list[dict[str, Any]]] = {}
    for r in records:
        steps.setdefault(r["step"], []).append(r)
    out = []
    for step, group in sorted(steps.items()):
        n = len(group)
        out.append({"step": step, "episodes": n,
                    **{f"reward_{c}": sum(r["rewards"][c] for r in group) / n for c in (*COMPONENTS, "total")},
                    "tool_use_rate": sum(r["searches"] > 0 for r in group) / n,
                    "tool_calls_per_episode": sum(sum(r["tool_calls"].values()) for r in group) / n,
                    "status": {s: sum(r["status"] == s for r in group) for s in sorted({r["status"] for r in group})}})
    return out


def plot(metrics: list[dict[str, Any]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [m["step"] for m in metrics]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    left.plot(steps, [m["reward_total"] for m in metrics], "o-", color="black", label="total")
    for c in COMPONENTS:
        left.plot(steps, [m[f"reward_{c}"] for m in metrics], ".--", label=c, alpha=0.7)
    left.set(xlabel="GRPO step", ylabel="mean reward per episode", title="reward")
    left.legend(fontsize=7)
    right.plot(steps, [m["tool_use_rate"] for m in metrics], "o-", label="episodes with ≥1 search")
    right.set(xlabel="GRPO step", ylabel="share of episodes", ylim=(-0.05, 1.05), title="tool use")
    twin = right.twinx()
    twin.plot(steps, [m["tool_calls_per_episode"] for m in metrics], "s--", color="tab:red",
              label="tool calls per episode")
    twin.set_ylabel("tool calls per episode")
    right.legend(loc="upper left", fontsize=7)
    twin.legend(loc="upper right", fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=ROOT / "bench/out/miniwiki-idx")
    parser.add_argument("--tasks", type=Path, default=ROOT.parent / "shared/data/hotpotqa/dev.jsonl",
                        help="FlashRAG JSONL (scent eval's format; `scent synth` writes it)")
    parser.add_argument("--n-tasks", type=int, default=12)
    parser.add_argument("--model", default=None, help="transformers folder or hub id (default: the embedded GGUF)")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--batch", type=int, default=4, help="completions per step")
    parser.add_argument("--generations", type=int, default=2, help="completions per task (GRPO group)")
    parser.add_argument("--max-completion", type=int, default=512, help="tokens per rollout, tool output included")
    parser.add_argument("--tool-iterations", type=int, default=3)
    parser.add_argument("--lr", type=float, default=5e-6)
    parser.add_argument("--temperature", type=float, default=1.0, help="sampling temperature of the rollouts")
    parser.add_argument("--abstain-needs-search", action="store_true", help="an abstention before any search or "
                        "lookup scores its abstention reward as a guess (scent.rl.rewards.abstention_reward)")
    parser.add_argument("--trl-tool-schemas", action="store_true", help="render the tools as TRL lists them "
                        "(alphabetically, schemas from the docstrings), as the runs before issue 27's second round "
                        "did; by default the prompt shows SearchEnv.schemas(), as SFT and bench/rl_eval.py do")
    parser.add_argument("--max-minutes", type=float, default=12.0, help="stop after the step that passes this "
                        "(the steps done are still measured and plotted)")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/trainer's last checkpoint (saved "
                        "when --max-minutes stopped a run), appending to OUT/rollouts.jsonl: a long run in chunks")
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--retriever", default="bm25")
    parser.add_argument("--set", dest="settings", action="append", default=[],
                        help="rl.FIELD=VALUE (e.g. rl.k=2, rl.weights.citation=1)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/out/rl-smoke")
    parser.add_argument("--plot", type=Path, default=None)
    args = parser.parse_args()
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

    import torch
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import GRPOConfig, GRPOTrainer  # type: ignore[attr-defined]  # trl exports them lazily

    minutes = args.max_minutes  # (the callback's own `args` are the trainer's)

    class StopAfter(TrainerCallback):
        """Ends training after the step during which the time budget ran out."""

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
            if time.monotonic() - started > minutes * 60 and state.global_step < state.max_steps:
                print(f"time budget of {minutes} min spent after step {state.global_step}", flush=True)
                control.should_training_stop = control.should_save = True  # a checkpoint for --resume
            return control

    torch.manual_seed(0)
    started = time.monotonic()
    cfg = app.load(settings=["rl.k=2", "rl.observation_chars=900", *args.settings])
    rl: RLConfig = cfg.rl.model_copy(update={"abstain_needs_search": args.abstain_needs_search or
                                             cfg.rl.abstain_needs_search})
    tasks = load_questions(args.tasks, args.n_tasks)
    args.out.mkdir(parents=True, exist_ok=True)
    rollouts = args.out / "rollouts.jsonl"
    if not args.resume:
        rollouts.unlink(missing_ok=True)
    policy, tokenizer = load_policy(args.model)
    loaded = time.monotonic() - started  # (with the imports)
    funcs, weights = reward_funcs(rl)
    rewards: list[Any] = list(funcs)  # TRL takes a list of a union of kinds that ours cannot be matched to
    grpo = GRPOConfig(output_dir=str(args.out / "trainer"), max_steps=args.steps, learning_rate=args.lr,
                      per_device_train_batch_size=args.batch, num_generations=args.generations,
                      max_completion_length=args.max_completion, max_tool_calling_iterations=args.tool_iterations,
                      reward_weights=weights, beta=0.0, temperature=args.temperature, logging_steps=1,
                      save_strategy="no", report_to="none", use_cpu=not torch.cuda.is_available(), bf16=args.bf16,
                      seed=0)
    trainer: Any = None
    index = app.open_index(args.index, cfg, args.retriever)
    with index:
        def sink(episode: Episode) -> None:
            write_rollouts(rollouts, [rollout(episode, step=trainer.state.global_step + 1)])

        if not args.trl_tool_schemas:  # the prompt the SFT demonstrations and the evaluation render
            render_environment_tools(tokenizer, SearchEnv(index, rl).schemas())
        trainer = GRPOTrainer(model=policy, reward_funcs=rewards, args=grpo, processing_class=tokenizer,
                              train_dataset=Dataset.from_list(dataset_rows(tasks)),
                              environment_factory=environment_factory(index, rl, sink=sink),
                              callbacks=[StopAfter()])
        trainer.train(resume_from_checkpoint=args.resume or None)
    if trainer.state.global_step >= trainer.state.max_steps:  # the trained policy, for evaluation
        trainer.save_model(str(args.out / "policy"))
        tokenizer.save_pretrained(args.out / "policy")
    seconds = time.monotonic() - started
    metrics = step_metrics(list(read_rollouts(rollouts)))
    summary = {"model": args.model or "embedded GGUF (Qwen2.5-Coder-0.5B-Instruct Q4_K_M, dequantized)",
               "tasks": str(args.tasks), "n_tasks": len(tasks), "steps": args.steps, "batch": args.batch,
               "generations": args.generations, "max_completion": args.max_completion, "rl": rl.model_dump(),
               "temperature": args.temperature, "abstain_needs_search": rl.abstain_needs_search,
               "tool_schemas": "trl" if args.trl_tool_schemas else "environment",
               "load_seconds": round(loaded, 1), "seconds": round(seconds, 1), "per_step": metrics,
               "chunks_seconds": [*(json.loads((args.out / "metrics.json").read_text()).get("chunks_seconds", [])
                                    if args.resume and (args.out / "metrics.json").exists() else []), seconds],
               "trainer_log": trainer.state.log_history}
    (args.out / "metrics.json").write_text(json.dumps(summary, indent=1, default=str) + "\n")
    for m in metrics:
        print(f"step {m['step']}: reward {m['reward_total']:+.3f} (answer {m['reward_answer']:.2f}, citation "
              f"{m['reward_citation']:.2f}, abstention {m['reward_abstention']:+.2f}, format {m['reward_format']:.2f})"
              f"  tool use {m['tool_use_rate']:.2f}, calls/episode {m['tool_calls_per_episode']:.2f}  {m['status']}")
    print(f"{len(metrics)} steps in {seconds:.0f} s (model load {loaded:.0f} s); rollouts: {rollouts}")
    if args.plot:
        plot(metrics, args.plot, f"GRPO smoke run on CPU: {summary['model']}, {len(tasks)} tasks from "
                                 f"{args.tasks.name}, {args.batch} completions/step, temperature {args.temperature}"
                                 + (", abstention needs a search" if rl.abstain_needs_search else ""))
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()

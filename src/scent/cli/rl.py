"""`scent rl …`: training data for a search policy (docs/rl.md). `demos` turns the agent's recorded runs into
demonstrations; `rollouts` plays episodes of the embedded model without training and measures its tool use.
Only typer is imported here; the work is imported inside each command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from scent.cli.common import ConfigOption, JsonOption, RetrieverOption, SetOption, app_errors, fail

rl_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                     help="RL data: demonstrations from the agent's runs, rollouts of a base model.")


@rl_app.command("demos")
def demos(
    out: Annotated[Path, typer.Option(help="Demonstrations file (scent-rollout/1 JSONL, source 'demo').")],
    from_eval: Annotated[list[Path] | None, typer.Option("--from-eval", help="A `scent eval` output folder "
                                                         "(results.jsonl and traces/agent/); repeat it for "
                                                         "several (a task in several is kept once).")] = None,
    from_traces: Annotated[Path | None, typer.Option("--from-traces", help="A folder of agent traces (*.jsonl, "
                                                     "searched recursively).")] = None,
    tasks: Annotated[Path | None, typer.Option(help="With --from-traces: the task file (FlashRAG JSONL) whose gold "
                                               "answers judge the runs; without it a run is labelled by its own "
                                               "answer and kept only with verified citations.")] = None,
    index: Annotated[str | None, typer.Option("--index", "-i", help="Replay on this index instead of the one "
                                              "each run recorded.")] = None,
    min_reward: Annotated[float, typer.Option(help="Keep a demonstration whose episode total reward is at least "
                                              "this.")] = 1.0,
    balance: Annotated[float, typer.Option(help="No kind (task subset) keeps more than BALANCE × the smallest "
                                           "kind's count; 0 keeps all.")] = 2.0,
    max_per_kind: Annotated[int | None, typer.Option(help="No kind keeps more than this many (highest reward "
                                                     "first); with --balance 0 the only cap.", min=1)] = None,
    max_calls: Annotated[int | None, typer.Option(help="At most this many tool calls per demonstration: a longer "
                                                  "run keeps the calls that first showed a cited passage, then "
                                                  "the earliest others (default: the episode's tool budget).",
                                                  min=1)] = None,
    config: ConfigOption = None,
    setting: SetOption = [],  # noqa: B006
    as_json: JsonOption = False,
) -> None:
    """Demonstrations from the agent's recorded runs: every run that answered right (or abstained on an
    unanswerable task) with verified citations, replayed through the RL environment — its search, lookup and
    open calls, each observation as the environment shows it, then the answer with the passages it cites —
    filtered by the episode's reward, kinds balanced."""
    from scent import app
    from scent.rl import demos as build_demos
    from scent.rl.export import write_rollouts

    if (not from_eval) == (from_traces is None):
        raise fail("give one of --from-eval DIR or --from-traces DIR")
    if tasks is not None and from_traces is None:
        raise fail("--tasks goes with --from-traces (an eval folder has its gold answers)")
    with app_errors():
        cfg = app.load(config, [], None, setting)
        options: dict[str, Any] = {"min_reward": min_reward, "balance": balance, "index": index,
                                   "max_calls": max_calls, "max_per_kind": max_per_kind}
        if from_eval:
            for folder in from_eval:
                if not (folder / "results.jsonl").exists():
                    raise fail(f"{folder} has no results.jsonl: not a `scent eval` output folder")
            records, report = build_demos.from_eval(from_eval, cfg, **options)
        else:
            assert from_traces is not None
            records, report = build_demos.from_traces(from_traces, cfg, tasks, **options)
    out.unlink(missing_ok=True)
    write_rollouts(out, records)
    summary = {**report.as_dict(), "out": str(out),
               "tool_calls_per_demo": round(sum(sum(r["tool_calls"].values()) for r in records)
                                            / max(1, len(records)), 2)}
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    typer.echo(f"{len(records)} demonstrations → {out}")
    for kind in sorted(report.runs):
        typer.echo(f"  {kind}: {report.runs[kind]} runs, {report.passed.get(kind, 0)} pass the filters, "
                   f"{report.kept.get(kind, 0)} kept")
    if report.dropped:
        typer.echo("  dropped: " + ", ".join(f"{why} {n}" for why, n in report.dropped.most_common()))


@rl_app.command("rollouts")
def rollouts(
    index: Annotated[str, typer.Option("--index", "-i", help="Index folder the episodes search.")],
    tasks: Annotated[Path, typer.Option(help="Task file (FlashRAG JSONL; `scent synth` writes it).")],
    out: Annotated[Path, typer.Option(help="Rollouts file (scent-rollout/1 JSONL) with each raw reply.")],
    n: Annotated[int, typer.Option("--n", help="Episodes (the first N tasks).", min=1)] = 8,
    max_replies: Annotated[int, typer.Option(help="Replies per episode (TRL's tool iterations + 1).",
                                             min=1)] = 4,
    max_tokens: Annotated[int, typer.Option(help="Tokens per reply.", min=16)] = 256,
    temperature: Annotated[float, typer.Option(help="Sampling temperature.")] = 0.7,
    retriever: RetrieverOption = None,
    config: ConfigOption = None,
    setting: SetOption = [],  # noqa: B006
    as_json: JsonOption = False,
) -> None:
    """Episodes of the embedded model (llama.cpp, prompted by its own chat template with the environment's
    tools, as TRL renders it) with no training: its tool-use rate, well-formed calls and how episodes end."""
    from scent import app
    from scent.eval.datasets import load_questions
    from scent.rl.chat import LlamaCppChat, play, summarize
    from scent.rl.env import SearchEnv
    from scent.rl.export import rollout, write_rollouts

    with app_errors():
        cfg = app.load(config, [], None, setting)
        chosen = load_questions(tasks, n)
        chat = LlamaCppChat.embedded(max_tokens=max_tokens, temperature=temperature)
        opened = app.open_index(index, cfg, retriever)
    out.unlink(missing_ok=True)
    records = []
    with opened as idx:
        env = SearchEnv(idx, cfg.rl)
        for task in chosen:
            replies: list[str] = []
            episode = play(env, task, chat, max_replies, replies)
            records.append(rollout(episode, env.schemas(), replies=replies))
            write_rollouts(out, records[-1:])
            typer.echo(f"{task.id}: {episode.status}, calls {episode.tool_counts}, total "
                       f"{episode.rewards.get('total', 0.0):+.3f}", err=True)
    summary = summarize(records)
    typer.echo(json.dumps(summary, indent=2) if as_json else
               f"{summary['episodes']} episodes: tool-use rate {summary['tool_use_rate']:.2f}, calls per episode "
               f"{summary['calls_per_episode']:.2f}, well-formed calls {summary['well_formed']:.2f}, "
               f"endings {summary['status']}, mean total reward {summary['reward_total']:+.3f} → {out}")


def register(cli: typer.Typer) -> None:
    cli.add_typer(rl_app, name="rl")

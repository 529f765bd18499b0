"""The generalization table of issue 27: episodes of a policy (the base model, the SFT checkpoint, SFT+GRPO) on
task sets synthesized from several corpora, scored per subset (kind × corpus): accuracy, citation F1, abstention
on unanswerable tasks, tool-use rate, searches per task, well-formed calls — and the spread across subsets.

Each episode is the conversation TRL's GRPOTrainer builds (the task prompt with the environment's tool schemas,
each reply followed by the tool responses; scent.rl.chat.play), generated greedily by transformers and read by
scent.rl.toolcalls. Episodes are appended to OUT/LABEL.CORPUS.jsonl one at a time and a run skips the tasks
already there, so a long evaluation goes in chunks (`--max-minutes`, then the same command again).

    flock /tmp/scent-cpu.lock .venv/bin/python bench/rl_eval.py --model /work/runs27/sft/policy --label sft \
        --corpus miniwiki=/work/idx/miniwiki:/work/runs27/tasks/miniwiki.jsonl \
        --corpus pydocs=/work/idx/pydocs:/work/runs27/tasks/pydocs.jsonl --n 8 --out /work/runs27/eval
    .venv/bin/python bench/rl_eval.py --table --out /work/runs27/eval     # the markdown table of every file
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = ["rl.k=2", "rl.observation_chars=900"]  # the smoke run's and the demonstrations' observations


def play_corpus(model: Any, tokenizer: Any, label: str, corpus: str, index: Path, tasks: Path, n: int,
                out: Path, max_replies: int, max_tokens: int, deadline: float) -> int:
    """Episodes of the tasks not yet in OUT/LABEL.CORPUS.jsonl, until the deadline; returns how many were played."""
    from scent import app
    from scent.eval.datasets import load_questions
    from scent.rl.chat import TransformersChat, play
    from scent.rl.env import SearchEnv
    from scent.rl.export import read_rollouts, rollout, write_rollouts

    path = out / f"{label}.{corpus}.jsonl"
    done = {r["task_id"] for r in read_rollouts(path)} if path.exists() else set()
    cfg = app.load(settings=SETTINGS)
    chat = TransformersChat(model, tokenizer, max_tokens=max_tokens, temperature=0.0)
    played = 0
    with app.open_index(index, cfg, "bm25") as opened:
        env = SearchEnv(opened, cfg.rl)
        for task in _balanced(load_questions(tasks), n):
            if task.id in done:
                continue
            if time.monotonic() > deadline:
                break
            replies: list[str] = []
            started = time.monotonic()
            episode = play(env, task, chat, max_replies, replies)
            write_rollouts(path, [rollout(episode, replies=replies, corpus=corpus, policy=label,
                                          seconds=round(time.monotonic() - started, 1))])
            played += 1
            print(f"{label} {corpus} {task.id} ({task.subset}): {episode.log()['status']}, "
                  f"{sum(episode.log()['tool_calls'].values())} calls, {time.monotonic() - started:.0f} s", flush=True)
    return played


def _balanced(tasks: list[Any], n: int) -> list[Any]:
    """The first n tasks taken round-robin over the kinds (a synthesized file lists them kind by kind)."""
    by_kind: dict[str, list[Any]] = {}
    for task in tasks:
        by_kind.setdefault(task.subset, []).append(task)
    picked: list[Any] = []
    while len(picked) < n and any(by_kind.values()):
        for group in by_kind.values():
            if group and len(picked) < n:
                picked.append(group.pop(0))
    return picked


def scores(record: dict[str, Any]) -> dict[str, float | None]:
    """One episode's numbers: accuracy (cover-EM; an abstention is right only on an unanswerable task), citation
    F1 (the environment's citation reward, answerable tasks), abstained (unanswerable tasks), tool use, searches,
    well-formed calls."""
    from scent.eval.metrics import answer_scores

    golds = record["task"]["golden_answers"]
    answerable = record.get("answerable", True)
    actions = [m for m in record["messages"] if m["role"] == "tool"]
    return {"accuracy": answer_scores(str(record.get("answer") or ""), golds, bool(record["abstained"]))["cover_em"],
            "citation_f1": record["rewards"].get("citation", 0.0) if answerable else None,
            "abstained_unanswerable": None if answerable else float(record["abstained"]),
            "tool_use": float(record["searches"] > 0), "searches": float(record["searches"]),
            "calls": float(sum(record["tool_calls"].values())),
            "well_formed": (sum(not m["error"] for m in actions) / len(actions)) if actions else None}


def table(out: Path) -> str:
    """Markdown: one row per policy × corpus × kind (n, each number's mean), a row per policy × corpus, and per
    policy the spread of tool-use rate and searches across its subsets."""
    from scent.rl.export import read_rollouts

    groups: dict[tuple[str, str, str], list[dict[str, float | None]]] = {}
    for path in sorted(out.glob("*.jsonl")):
        for record in read_rollouts(path):
            key = (record.get("policy", path.stem.split(".")[0]), record.get("corpus", path.stem.split(".")[-1]),
                   record["subset"])
            groups.setdefault(key, []).append(scores(record))
            groups.setdefault((key[0], key[1], "all"), []).append(scores(record))
    cols = ["accuracy", "citation_f1", "abstained_unanswerable", "tool_use", "searches", "well_formed"]
    lines = ["| policy | corpus | kind | n | accuracy | citation F1 | abstained (unanswerable) | tool-use rate | "
             "searches / task | well-formed calls |", "|---|---|---|---|---|---|---|---|---|---|"]
    for (policy, corpus, kind), rows in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] == "all",
                                                                              kv[0][2])):
        cells = []
        for col in cols:
            values = [float(v) for r in rows if (v := r[col]) is not None]
            cells.append(f"{statistics.fmean(values):.2f}" if values else "–")
        name = f"**{kind}**" if kind == "all" else kind
        lines.append(f"| {policy} | {corpus} | {name} | {len(rows)} | " + " | ".join(cells) + " |")
    endings: dict[tuple[str, str], dict[str, int]] = {}
    for path in sorted(out.glob("*.jsonl")):
        for record in read_rollouts(path):
            count = endings.setdefault((record.get("policy", "?"), record.get("corpus", "?")), {})
            count[record["status"]] = count.get(record["status"], 0) + 1
    lines += ["", "| policy | corpus | how episodes ended |", "|---|---|---|"]
    lines += [f"| {p} | {c} | " + ", ".join(f"{k} {v}" for k, v in sorted(n.items())) + " |"
              for (p, c), n in sorted(endings.items())]
    lines += ["", "| policy | subsets | tool-use rate: min / max / sd | searches per task: min / max / sd |",
              "|---|---|---|---|"]
    for policy in sorted({k[0] for k in groups}):
        subsets = [rows for (p, _, kind), rows in groups.items() if p == policy and kind != "all"]
        use = [statistics.fmean(r["tool_use"] or 0.0 for r in rows) for rows in subsets]
        searches = [statistics.fmean(r["searches"] or 0.0 for r in rows) for rows in subsets]
        lines.append(f"| {policy} | {len(subsets)} | {min(use):.2f} / {max(use):.2f} / {statistics.pstdev(use):.2f} | "
                     f"{min(searches):.2f} / {max(searches):.2f} / {statistics.pstdev(searches):.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="catalog name (smollm2-135m, embedded) or a transformers folder")
    parser.add_argument("--label", help="the policy's name in the table (base, sft, sft+grpo)")
    parser.add_argument("--corpus", action="append", default=[], metavar="NAME=INDEX:TASKS")
    parser.add_argument("--n", type=int, default=8, help="tasks per corpus, round-robin over the kinds")
    parser.add_argument("--max-replies", type=int, default=4, help="TRL's tool-calling rounds + 1")
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--max-minutes", type=float, default=9.0, help="no new episode after this")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/out/rl-eval")
    parser.add_argument("--table", action="store_true", help="print the table of every file in OUT and exit")
    args = parser.parse_args()
    if args.table:
        print(table(args.out))
        return
    import torch

    from scent.rl.sft import load_model

    started = time.monotonic()
    torch.manual_seed(0)
    model, tokenizer = load_model(args.model)
    model.eval()
    args.out.mkdir(parents=True, exist_ok=True)
    deadline = started + args.max_minutes * 60
    for upto in range(2, args.n + 2, 2):  # the corpora in turns of two tasks: a chunk cut short covers each
        for spec in args.corpus:
            corpus, _, paths = spec.partition("=")
            index, _, tasks = paths.partition(":")
            play_corpus(model, tokenizer, args.label, corpus, Path(index), Path(tasks), min(upto, args.n),
                        args.out, args.max_replies, args.max_tokens, deadline)
    print(f"{time.monotonic() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()

"""Demonstrations from the agent's own runs: each recorded run that answered right with verified citations becomes
a tool-call conversation in the RL environment's action format, replayed through `SearchEnv` so that every
observation is what the environment would show (its `rl.k`, its clipping) and the episode is rewarded like a
policy's. The records are rollouts (`scent-rollout/1`, `source: "demo"`): the same messages and loss masks a
trainer reads from GRPO rollouts, so SFT trains on the policy's turns only.

    demos, report = from_eval(Path("runs/hotpot"), cfg)     # results.jsonl + traces/agent/*.jsonl
    demos, report = from_traces(Path("traces"), cfg, tasks)  # bare traces; gold answers from a task file

A run is replayed as: its search/lookup/open_document/find_in_document calls in order (when they exceed the
episode's tool budget, the calls that first show a cited passage are kept first), then `answer` with the run's
answer, the cited passages the replay showed, and the run's confidence — or `abstain` on an unanswerable task
the run abstained on. Filters: right (the eval's `correct`, or abstained on an unanswerable task), verified
(every citation supported), a cited passage shown at the environment's k, the episode's total reward at least
`min_reward`; then kinds (task subsets) are balanced: none keeps more than `balance` × the smallest kind's count.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scent.config import ScentConfig
from scent.eval.datasets import Question, load_questions
from scent.rl.env import Action, SearchEnv
from scent.rl.export import rollout
from scent.tools import TOOL_NAMES, Tools

if TYPE_CHECKING:
    from scent.protocols import Index


@dataclass(slots=True)
class Run:
    """One recorded agent run: its task (with gold), the tool calls it made, how it ended."""

    task: Question
    calls: list[tuple[str, dict[str, Any]]]
    answer: str
    citations: list[dict[str, Any]]
    confidence: float | None
    abstained: bool
    correct: bool | None  # None: no gold to judge by
    index: str
    retriever: str | None = None
    source: str = ""


@dataclass
class Report:
    """Counts per kind at each filter, and why runs were dropped."""

    runs: Counter[str] = field(default_factory=Counter)
    kept: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)  # reason -> runs
    passed: Counter[str] = field(default_factory=Counter)  # kind -> runs that passed every filter (before balance)

    def as_dict(self) -> dict[str, Any]:
        return {"runs": dict(self.runs), "passed": dict(self.passed), "kept": dict(self.kept),
                "dropped": dict(self.dropped), "total_kept": sum(self.kept.values())}


def runs_from_eval(folder: Path) -> list[Run]:
    """The agent's runs of a `scent eval` output folder (results.jsonl rows of system `agent` with a trace)."""
    meta = json.loads((folder / "run.json").read_text(encoding="utf-8")) if (folder / "run.json").exists() else {}
    runs = []
    for line in (folder / "results.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line) if line.strip() else None
        if not row or row.get("system") != "agent" or not row.get("trace"):
            continue
        events = _events(folder / row["trace"])
        start = next((e for e in events if e["type"] == "run_start"), {})
        task = Question(id=row["id"], question=row["question"], golden_answers=row["golden_answers"],
                        metadata={"type": row.get("subset") or "all", "supporting_ids": row.get("supporting_ids") or [],
                                  "answerable": not row.get("unanswerable")})
        correct = (row.get("metrics") or {}).get("correct")
        runs.append(Run(task, _calls(events), row.get("prediction") or "", row.get("citations") or [],
                        row.get("confidence"), bool(row.get("abstained")),
                        None if correct is None else bool(correct), start.get("index") or meta.get("index") or "",
                        meta.get("retriever"), str(folder / row["trace"])))
    return runs


def runs_from_traces(folder: Path, tasks: list[Question] | None = None) -> list[Run]:
    """Runs from bare agent traces (`scent ask --trace`, or an eval's traces folder). With `tasks` (a FlashRAG
    file) each run is matched by query id or question and judged by its gold answers; without, it has no gold
    (its own answer labels it: use it only with verified citations)."""
    by_key = {t.id: t for t in tasks or []} | {t.question.strip().lower(): t for t in tasks or []}
    runs = []
    for path in sorted(folder.rglob("*.jsonl")):
        events = _events(path)
        start = next((e for e in events if e["type"] == "run_start"), None)
        end = next((e for e in events if e["type"] == "run_end"), None)
        if (start is None or end is None or not isinstance(end.get("answer"), dict)
                or start.get("system", "agent") != "agent"):
            continue  # not a finished run of the agent (a baseline's trace has no agent moves to learn)
        result = end["answer"]
        task = by_key.get(str(start.get("query_id"))) or by_key.get(str(start["question"]).strip().lower())
        correct: bool | None = None
        if task is None and (tasks is not None or end.get("abstained")):
            continue  # unmatched, or an abstention nothing shows to be right
        if task is None:
            task = Question(id=str(start.get("query_id") or path.stem), question=start["question"],
                            golden_answers=[result.get("answer") or "unanswerable"], metadata={"type": "unlabelled"})
        else:
            from scent.eval.metrics import answer_scores

            correct = bool(answer_scores(result.get("answer") or "", task.golden_answers,
                                         bool(end.get("abstained")))["cover_em"])
        runs.append(Run(task, _calls(events), result.get("answer") or "", result.get("citations") or [],
                        end.get("confidence"), bool(end.get("abstained")), correct, start.get("index") or "",
                        None, str(path)))
    return runs


def _events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _calls(events: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(e["tool"], dict(e.get("args") or {})) for e in events
            if e["type"] == "tool_call" and e.get("tool") in TOOL_NAMES]


def demonstrate(run: Run, index: Index, cfg: ScentConfig, max_calls: int | None = None
                ) -> tuple[dict[str, Any] | None, str]:
    """One run as a demonstration rollout (at most `max_calls` tool calls besides the episode's budget), or None
    and why it was dropped."""
    task, rl = run.task, cfg.rl
    if task.unanswerable:
        if not run.abstained:
            return None, "wrong"
    elif run.abstained or run.correct is False:
        return None, "wrong"
    cited = [str(c["id"]) for c in run.citations if c.get("id")]
    if not task.unanswerable and (not cited or not all(c.get("supported") for c in run.citations)):
        return None, "citations not verified"
    calls = _within_budget(run.calls, cited, Tools(index, max_k=rl.k), cfg, max_calls)
    env = SearchEnv(index, rl)
    env.reset(task)
    for name, arguments in calls:
        if "k" in arguments:  # the environment shows at most rl.k passages: the demonstration asks for what it shows
            arguments = {**arguments, "k": min(int(arguments["k"]), rl.k)}
        env.step(Action(name, arguments))
    if task.unanswerable:
        final = Action("abstain", {"reason": "the documents do not say"})
    else:
        shown = [c for c in cited if c in env.episode.outcome.seen]
        if not shown:
            return None, "cited passage not shown at rl.k"
        given: dict[str, Any] = {"answer": run.answer, "citations": ", ".join(shown)}
        if run.confidence is not None:
            given["confidence"] = round(float(run.confidence), 2)
        final = Action("answer", given)
    env.step(final)
    episode = env.episode
    if episode.status not in ("answered", "abstained"):
        return None, f"episode ended {episode.status}"
    return rollout(episode, env.schemas(), source="demo", run=run.source), ""


def _within_budget(calls: list[tuple[str, dict[str, Any]]], cited: list[str], tools: Tools, cfg: ScentConfig,
                   max_calls: int | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The run's calls if they fit the episode's tool budget (one turn is left for the answer) and `max_calls`;
    else the calls that first showed a cited passage, then the others, in the run's order, up to the budget."""
    budget = min(cfg.rl.max_tool_calls, cfg.rl.max_turns - 1, max_calls or cfg.rl.max_tool_calls)
    if len(calls) <= budget:
        return calls
    needed: list[int] = []
    shown: set[str] = set()
    for n, (name, arguments) in enumerate(calls):
        ids = set(tools.call(name, arguments).ids)
        if ids & (set(cited) - shown):
            needed.append(n)
            shown |= ids
    rest = [n for n in range(len(calls)) if n not in needed]
    chosen = sorted(needed[:budget] + rest[: max(0, budget - len(needed))])
    return [calls[n] for n in chosen]


def build(runs: list[Run], cfg: ScentConfig, *, min_reward: float = 1.0, balance: float = 2.0,
          index: str | Path | None = None, max_calls: int | None = None, max_per_kind: int | None = None
          ) -> tuple[list[dict[str, Any]], Report]:
    """Demonstrations of the runs that pass the filters, kinds balanced; and the report of counts. `max_calls`
    shortens long runs to the calls that found the cited passages first (short demonstrations fit a small
    policy's context and a CPU's training time)."""
    from scent import app

    report = Report()
    passed: dict[str, list[dict[str, Any]]] = defaultdict(list)
    seen: dict[tuple[str, str], dict[str, Any]] = {}  # (index, question) -> the best demo of that task
    by_index: dict[tuple[str, str | None], list[Run]] = defaultdict(list)
    for run in runs:
        report.runs[run.task.subset] += 1
        by_index[(str(index or run.index), run.retriever)].append(run)
    for (path, retriever), runs_here in by_index.items():
        if not path:
            report.dropped["no index recorded (give --index)"] += len(runs_here)
            continue
        with app.open_index(Path(path), cfg, retriever) as opened:
            for run in runs_here:
                demo, reason = demonstrate(run, opened, cfg, max_calls)
                if demo is not None and demo["rewards"]["total"] < min_reward:
                    demo, reason = None, f"reward below {min_reward}"
                if demo is None:
                    report.dropped[reason] += 1
                    continue
                # several folders may hold runs of the same task (a replay, a rerun): one demonstration each
                key = (path, " ".join(run.task.question.lower().split()))
                if key in seen:
                    report.dropped["duplicate task"] += 1
                    if demo["rewards"]["total"] <= seen[key]["rewards"]["total"]:
                        continue
                    passed[run.task.subset].remove(seen[key])
                seen[key] = demo
                passed[run.task.subset].append(demo)
    report.passed.update({kind: len(group) for kind, group in passed.items()})
    cap = None if balance <= 0 or not passed else max(1, int(balance * min(map(len, passed.values()))))
    if max_per_kind:  # a cap of its own when one tiny kind would make `balance` cut every other kind to a few
        cap = min(cap or max_per_kind, max_per_kind)
    demos = []
    for kind, group in sorted(passed.items()):
        group.sort(key=lambda d: (-d["rewards"]["total"], d["task_id"]))
        kept = group[:cap] if cap else group
        report.kept[kind] = len(kept)
        if len(kept) < len(group):
            report.dropped["balance"] += len(group) - len(kept)
        demos += kept
    return demos, report


def from_eval(folders: Path | list[Path], cfg: ScentConfig, **options: Any
              ) -> tuple[list[dict[str, Any]], Report]:
    """Demonstrations from one or more `scent eval` folders (a task run in several is kept once, its best run)."""
    folders = [folders] if isinstance(folders, Path) else folders
    return build([run for folder in folders for run in runs_from_eval(folder)], cfg, **options)


def from_traces(folder: Path, cfg: ScentConfig, tasks: Path | None = None, **options: Any
                ) -> tuple[list[dict[str, Any]], Report]:
    return build(runs_from_traces(folder, load_questions(tasks) if tasks else None), cfg, **options)

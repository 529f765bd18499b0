"""Behaviour unchanged? Replay a recorded `scent eval` and compare, question by question.

A refactoring must not change what the program does with the same model replies. This script takes the output
folder of a real `scent eval` run (its traces hold every model call: the messages sent and the reply), turns the
recorded calls into a `scripted:` model, runs `scent eval` again over the same questions and index with that
model, and compares the two runs per (question, system):

- the sequence of prompts sent to the model (a prompt hash per call): equal means the program asked the same
  things in the same order, so every reply served was the one recorded for that prompt;
- the prediction, abstention, abstain reason, confidence, cited passages, evidence and retrieved passage ids.

    python bench/replay_check.py --recorded OUT --dataset QUESTIONS --index INDEX --out REPLAY [--systems agent]

Exit status 0 when every pair is identical; each difference is printed. Run it on a recording made before a
change with the code after it (BENCHMARKS.md, "Behaviour unchanged").
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from scent.eval.report import latest_rows
from scent.eval.run import RESULTS_FILE, read_rows
from scent.llm.scripted import request_key
from scent.trace import read_trace

COMPARED = ("prediction", "abstained", "abstain_reason", "confidence", "citations", "evidence_ids", "retrieved_ids",
            "decided_by")


def traces(out: Path, system: str) -> dict[str, Path]:
    return {p.stem: p for p in sorted((out / "traces" / system).glob("*.jsonl"))}


def prompt_hashes(path: Path) -> list[str]:
    return [e["prompt_hash"] for e in read_trace(path) if e.get("type") == "llm_call" and "reply" in e]


def write_script(recorded: Path, systems: list[str], rows: list[dict[str, Any]], script: Path) -> int:
    """Every recorded model call, in the order the run made them (questions in row order), as a scripted model."""
    calls = 0
    with script.open("w", encoding="utf-8") as f:
        for row in rows:
            if row["system"] not in systems:
                continue
            path = traces(recorded, row["system"]).get(Path(row.get("trace", "")).stem) or \
                recorded / "traces" / row["system"] / f"{row['id']}.jsonl"
            for event in read_trace(path):
                if event.get("type") != "llm_call" or "reply" not in event:
                    continue
                entry = {"key": request_key(event["messages"], event.get("schema"), None), "role": event["role"],
                         "response": {"model": event.get("model", ""), "text": event["reply"],
                                      "reasoning": event.get("reasoning") or "",
                                      "tool_calls": event.get("tool_calls") or [],
                                      "usage": {"prompt_tokens": event.get("prompt_tokens", 0),
                                                "completion_tokens": event.get("completion_tokens", 0)}}}
                f.write(json.dumps(entry, ensure_ascii=False) + "\n")
                calls += 1
    return calls


def compare(recorded: Path, replayed: Path, systems: list[str]) -> list[str]:
    before = {(r["id"], r["system"]): r for r in latest_rows(read_rows(recorded / RESULTS_FILE))}
    after = {(r["id"], r["system"]): r for r in latest_rows(read_rows(replayed / RESULTS_FILE))}
    problems = []
    for key, row in before.items():
        if key[1] not in systems:
            continue
        new = after.get(key)
        if new is None:
            problems.append(f"{key}: missing from the replay")
            continue
        for field in COMPARED:
            if row.get(field) != new.get(field):
                problems.append(f"{key} {field}: {row.get(field)!r} → {new.get(field)!r}")
        old_trace, new_trace = traces(recorded, key[1]).get(key[0]), traces(replayed, key[1]).get(key[0])
        if old_trace and new_trace and prompt_hashes(old_trace) != prompt_hashes(new_trace):
            problems.append(f"{key}: the prompts sent differ ({len(prompt_hashes(old_trace))} recorded, "
                            f"{len(prompt_hashes(new_trace))} replayed)")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recorded", type=Path, required=True, help="output folder of the recorded scent eval")
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--index", required=True)
    parser.add_argument("--out", type=Path, required=True, help="output folder of the replay (made anew)")
    parser.add_argument("--systems", default="agent")
    parser.add_argument("--set", action="append", default=[], help="--set passed to scent eval (as recorded)")
    args = parser.parse_args()
    systems = args.systems.split(",")
    rows = latest_rows(read_rows(args.recorded / RESULTS_FILE))
    args.out.mkdir(parents=True, exist_ok=False)
    script = args.out.with_name(args.out.name + "-script.jsonl")
    calls = write_script(args.recorded, systems, rows, script)
    ids = list(dict.fromkeys(r["id"] for r in rows if r["system"] in systems))
    subset = args.out.with_name(args.out.name + "-questions.jsonl")
    wanted = set(ids)
    subset.write_text("".join(line + "\n" for line in args.dataset.read_text(encoding="utf-8").splitlines()
                              if line.strip() and json.loads(line)["id"] in wanted), encoding="utf-8")
    command = [sys.executable, "-m", "scent", "eval", "--dataset", str(subset), "--index", str(args.index),
               "--out", str(args.out), "--systems", args.systems, "--model", f"scripted:{script}", "--no-plots",
               "--quiet", "--workers", "1", *[x for s in args.set for x in ("--set", s)]]
    subprocess.run(command, check=True)
    problems = compare(args.recorded, args.out, systems)
    print(f"{len(ids)} questions × {systems}: {calls} recorded model calls replayed; "
          f"{'identical' if not problems else f'{len(problems)} differences'}")
    print("\n".join(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

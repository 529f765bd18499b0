"""Record first replies of the embedded model (Qwen2.5-Coder-0.5B-Instruct through llama.cpp, scent.rl.chat) to the
environment's prompt for the parser's test fixture (tests/data/rl_model_replies.jsonl): the prompt as TRL renders
it, plus a suffix that asks for a format (e.g. Qwen's <tool_call> tags, which the model does not write unasked).
Each row gets the parser's reading as `expected`; check it by hand before adding rows to the fixture.

    flock /tmp/scent-cpu.lock .venv/bin/python bench/rl_record_replies.py --index /work/idx/miniwiki \
        --tasks ../shared/data/hotpotqa/dev.jsonl --n 3 --variant tags \
        --suffix $'\\n\\nWrite each tool call inside <tool_call></tool_call> tags.' --out replies.jsonl
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--tasks", type=Path, required=True)
    parser.add_argument("--n", type=int, default=3)
    parser.add_argument("--variant", default="tags")
    parser.add_argument("--suffix", default="")
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    from scent import app
    from scent.eval.datasets import load_questions
    from scent.rl.chat import LlamaCppChat
    from scent.rl.env import SearchEnv
    from scent.rl.toolcalls import parse

    cfg = app.load(settings=["rl.k=2", "rl.observation_chars=900"])
    chat = LlamaCppChat.embedded(max_tokens=args.max_tokens)
    with app.open_index(args.index, cfg, "bm25") as index, args.out.open("a", encoding="utf-8") as out:
        env = SearchEnv(index, cfg.rl)
        for task in load_questions(args.tasks, args.n):
            messages = [{"role": "user", "content": env.reset(task) + args.suffix}]
            reply = chat.reply(messages, env.schemas())
            read = parse(reply)
            row = {"variant": args.variant, "task_id": task.id, "turn": 0, "prompt_suffix": args.suffix,
                   "reply": reply, "expected": {"format": read.format,
                                                "calls": [[c.name, c.malformed] for c in read.calls]}}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
            print(json.dumps(row, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()

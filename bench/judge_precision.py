"""Can the judge role tell a supporting quote from an unrelated one? Its verdicts on known pairs, one run.

For each HotpotQA dev question with a span answer: the claim "question — gold answer" paired with (a) the sentence
of a gold passage that holds the answer (supported) and (b) the answer-holding sentence of another question's
gold passage (unsupported: same style, different subject). The agent's own judge prompt and schema are used.
A judge that approves most unsupported pairs cannot raise confidence; the agent's default then leaves it off.

    flock /tmp/scent-cpu.lock .venv/bin/python bench/judge_precision.py --index bench/out/miniwiki-idx [--model SPEC]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

from scent.agent import prompts
from scent.agent.verify import SUPPORT_SCHEMA
from scent.config import LLMConfig
from scent.index import Index
from scent.llm import load_llm
from scent.text import sentence_spans

ROOT = Path(__file__).resolve().parents[1]


def answer_sentence(text: str, answer: str) -> str | None:
    for start, end in sentence_spans(text, 0, len(text)):
        if re.search(re.escape(answer), text[start:end], re.I):
            return " ".join(text[start:end].split())
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--questions", type=Path, default=ROOT.parent / "shared/data/hotpotqa/dev.jsonl")
    parser.add_argument("--model", default="llamacpp:default")
    args = parser.parse_args()
    questions = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    pairs: list[tuple[str, str]] = []  # (claim, supporting sentence)
    with Index.open(args.index) as index:
        for q in questions:
            answer = q["golden_answers"][0]
            if answer.lower() in ("yes", "no"):
                continue
            for pid in q["metadata"]["supporting_ids"]:
                passage = index.get(pid)
                sentence = answer_sentence(passage.text, answer) if passage else None
                if sentence:
                    pairs.append((f"{q['question']} — {answer}", sentence))
                    break
    llm = load_llm(args.model, LLMConfig())
    verdicts: dict[str, list[bool]] = {"supported": [], "unsupported": []}
    started = time.perf_counter()
    for i, (claim, quote) in enumerate(pairs):
        other = pairs[(i + len(pairs) // 2) % len(pairs)][1]  # another question's answer sentence
        for kind, text in (("supported", quote), ("unsupported", other)):
            reply = llm.complete(prompts.messages("judge", claim=claim, quote=prompts.data(text)),
                                 schema=SUPPORT_SCHEMA, max_tokens=20)
            verdicts[kind].append(bool(isinstance(reply.json_value, dict) and reply.json_value.get("supported")))
    approved_good = sum(verdicts["supported"]) / len(pairs)
    approved_bad = sum(verdicts["unsupported"]) / len(pairs)
    precision = sum(verdicts["supported"]) / max(1, sum(verdicts["supported"]) + sum(verdicts["unsupported"]))
    print(f"{len(pairs)} claims · judge {args.model} · {time.perf_counter() - started:.0f} s")
    print(f"approves supporting quotes: {approved_good:.2f}; approves unrelated quotes: {approved_bad:.2f}; "
          f"precision of an approval: {precision:.2f}")


if __name__ == "__main__":
    main()

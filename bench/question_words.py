"""Which content words of each question the corpus lacks (an exact-word lookup over the index, any case).

Unanswerable questions "whose every content word occurs in the corpus" are checked with it: such a question
cannot be abstained on by spotting a word the corpus lacks; the agent has to see that the passages do not say it.

    python bench/question_words.py --dataset bench/data/pg-unanswerable.jsonl --index .scent
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from scent import app
from scent.text import content_words


def missing_words(question: str, index: object) -> list[str]:
    return [w for w in content_words(question) if not index.search(f'"{w}"', k=1)]  # type: ignore[attr-defined]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--index", required=True)
    parser.add_argument("--only", default="unanswerable", help="question type to check ('' for all)")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.dataset.read_text(encoding="utf-8").splitlines() if line.strip()]
    with app.open_index(args.index, app.load(None), "bm25") as index:
        bad = 0
        for row in rows:
            if args.only and row.get("metadata", {}).get("type") != args.only:
                continue
            missing = missing_words(row["question"], index)
            bad += bool(missing)
            print(f"{row['id']}: {'all words in the corpus' if not missing else 'missing ' + ', '.join(missing)}")
    print(f"{bad} questions with a word the corpus lacks")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

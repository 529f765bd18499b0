"""The agent's tuning constants, in one place: each was set on the development questions (HotpotQA dev and the
PostgreSQL-docs questions, BENCHMARKS.md); settings a user may change are in `scent.config.AgentConfig` instead."""

from __future__ import annotations

# retrieve.py
# The hops' reciprocal-rank constant (not the index's `retrieval.rrf_k`, which fuses BM25 and dense inside one
# search): small, so the top of each hop's list dominates.
HOP_RRF_K = 10
HOP_WEIGHTS = {"question": 1.0, "plan": 0.7, "phrase": 0.6, "entity": 0.5, "model": 0.5, "document": 0.3}
PASSAGE_QUOTAS = (3, 2, 1, 1, 1)  # bridge names taken from the 1st, 2nd, … best passage


# select.py
PRIOR_WEIGHT = 0.3  # how much the searches' ranking counts beside term coverage (coverage is in [0, 1])
LINK_BONUS = 0.3  # a passage a chosen one points to (or that points to it) — the second hop of a bridge
TITLE_BONUS = 0.5  # a passage whose title the question names is about one of the question's subjects
# Set on the tune halves of the PostgreSQL, Python-docs and HotpotQA questions (bench/passage_choice.py).
KEEP_RANKED = 1  # the first search's best passage always read, besides the best-scored one (2: a HotpotQA pair lost)
SECTION_BONUS = 0.2  # a passage of the best passage's section: the rest of its entry (0.4 lost a Python-docs answer)
SECTION_LEVELS = 2  # headings that name a section: the page and its first subdivision
SHINGLE_WORDS = 5  # words per shingle when telling two copies of one text apart from two texts
DUPLICATE_SHARE = 0.6  # share of the smaller passage's shingles two passages share that makes them one text


# relevance.py
TITLE_WEIGHT = 0.5  # a passage's title names what its sentences talk about ("He was born …")
MAX_SPAN_CHARS = 500


# answer.py
SNAP_MIN_F1 = 0.6  # how close a reply must be to a passage span to be snapped to it


# answerability.py
# Zipf frequency (wordfreq) below which a word is rare in English — a name, a technical term, a made-up word — and
# so names the question's subject; 3.0 is once per million words ("postgresql" 2.3, "mysql" 2.8, "default" 4.3).
RARE_ZIPF = 3.0
# Below this, a word written as a name (capitalised, an acronym) is a subject term too: "FIFA" is 4.2.
NAME_ZIPF = 4.5

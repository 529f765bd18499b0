"""Which sentences of the passages found bear on a question: pure functions over term sets.

A 0.5B reader shown a long list picks by position, not by meaning, so the program ranks first and the model
chooses among the few best. Scores are IDF-weighted term overlap, with IDF taken over the sentences being
ranked (the pool is small and local, which is what we want: a term that is in every candidate says nothing).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from scent.agent.tuning import MAX_SPAN_CHARS, TITLE_WEIGHT
from scent.text import sentence_spans
from scent.types import Passage

_TOKEN = re.compile(r"\w+")
_STOPWORDS = (
    "a an the of in on at to for by with from and or but not no is are was were be been being do does did has have "
    "had what which who whom whose when where why how this that these those it its as than then there their they "
    "he she his her him them we you your our i me my can could would should will shall may might must also into "
    "about over under after before between during other same such only any all each both more most some very"
)
_STOP = frozenset(_STOPWORDS.split())


def terms(text: str) -> set[str]:
    """Lower-cased content words with a crude plural strip; identifiers also yield their parts
    (`max_connections` → max_connections, max, connection)."""
    out: set[str] = set()
    for token in _TOKEN.findall(text.lower()):
        for part in {token, *token.split("_")}:
            if part and part not in _STOP and (len(part) > 2 or part.isdigit()):
                out.add(part[:-1] if len(part) > 4 and part.endswith("s") and not part.endswith("ss") else part)
    return out


def idf(pool: Iterable[set[str]]) -> dict[str, float]:
    sets = list(pool)
    df: dict[str, int] = {}
    for s in sets:
        for t in s:
            df[t] = df.get(t, 0) + 1
    n = len(sets)
    return {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}


@dataclass(frozen=True, slots=True)
class Span:
    passage: Passage
    text: str  # whitespace-normalised; a verbatim span of the passage modulo whitespace
    score: float
    first: int  # sentence numbers in the passage, inclusive
    last: int


def _sentences(passage: Passage) -> list[str]:
    return [" ".join(passage.text[s:e].split()) for s, e in sentence_spans(passage.text, 0, len(passage.text))]


def rank_spans(question: str, passages: list[Passage], limit: int) -> list[Span]:
    """The `limit` best non-overlapping spans, best first. A span is a sentence that shares a content word with
    the question, together with the sentence before it when that one holds question terms the sentence lacks
    ("max_connections (integer) …" then "The default is typically 100 connections").
    Long sentences are discounted as BM25 does (b = 0.5), so a table flattened into one "sentence" does not win
    by containing every word."""
    wanted = terms(question)
    per_passage = [(p, _sentences(p), terms(p.title)) for p in passages]
    pool = [terms(s) for _, sentences, _ in per_passage for s in sentences]
    weights = idf(pool)
    mean_len = sum(map(len, pool)) / len(pool) if pool else 1.0

    def score(found: set[str], title: set[str]) -> float:
        raw = sum(weights.get(t, 0.0) for t in wanted & found) + TITLE_WEIGHT * sum(
            weights.get(t, 1.0) for t in (wanted & title) - found)
        return raw / (0.5 + 0.5 * max(len(found), 1) / max(mean_len, 1.0))

    spans: list[Span] = []
    for passage, sentences, title in per_passage:
        previous: set[str] = set()
        for i, sentence in enumerate(sentences):
            own = terms(sentence)
            merge = bool(i and (wanted & previous) - own and len(sentences[i - 1]) + len(sentence) < MAX_SPAN_CHARS)
            if wanted & own and merge:
                spans.append(Span(passage, f"{sentences[i - 1]} {sentence}", score(own | previous, title), i - 1, i))
            elif wanted & own:
                spans.append(Span(passage, sentence, score(own, title), i, i))
            previous = own
    spans.sort(key=lambda s: -s.score)
    best: list[Span] = []
    for span in spans:
        if not any(span.passage.id == b.passage.id and span.first <= b.last and b.first <= span.last for b in best):
            best.append(span)
            if len(best) == limit:
                break
    return best


def relevance(question: str, text: str) -> float:
    """Share of the question's content words found in `text` (0 when the question has none)."""
    wanted = terms(question)
    return len(wanted & terms(text)) / len(wanted) if wanted else 0.0


def context_relevance(question: str, needle: str, passages: list[Passage]) -> float:
    """How well the context of `needle` answers to the question: the best `relevance` of a passage's title with
    one of its sentences that holds `needle` (0 when none does). Breaks ties between answers: "1.0" and "4.0" may
    both be "the default", but only one sits in the sentence about the setting the question names."""
    low = needle.lower()
    return max((relevance(question, f"{p.title} {sentence}") for p in passages for sentence in _sentences(p)
                if low in sentence.lower()), default=0.0)

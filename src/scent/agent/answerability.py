"""Whether the corpus can answer a question, read from meaning rather than capital letters.

Two checks, both case-blind (the question is read in lower case) and indifferent to word order:

1. **Absent subject** (before any model call): a content word of the question that is *rare in English* (a name,
   an identifier, a made-up word: Zipf frequency below `RARE_ZIPF`, from `wordfreq`) and occurs nowhere in the
   corpus — not in the passages retrieved, not in an exact-word lookup over the index — means the corpus does not
   hold the question's subject. A word one or two typing errors away from a word of the retrieved passages is a
   typo, not an absence ("defualt", "max_conections"). Common words the corpus happens not to use ("nationality")
   decide nothing: a small corpus lacks many of them.
2. **Evidence about the subject** (after the answer): the passages the answer rests on — the ones that hold it,
   and a chosen passage that links to one of them (the first hop of a bridge) — must name the question's subject
   (`subject_coverage`); the sentence that holds the answer should state the question's relation (`relation`:
   the share of the question's other content words in that sentence, its passage title and headings). An answer
   read from a passage about another subject ("5432", asked the default port of another server) has none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from scent.agent.tuning import NAME_ZIPF, RARE_ZIPF
from scent.text import UNICODE_FOLD, content_words, identifiers, key_terms
from scent.types import Passage

_WORD = re.compile(r"[\w'’-]+")


@lru_cache(maxsize=4096)
def zipf(word: str) -> float:
    """How common `word` is in English (Zipf scale: ~7 for "the", 3 for once per million words, 0 unseen)."""
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en"))


def subject_terms(question: str) -> list[str]:
    """The question's words that name what it is about, in any case: identifiers, and content words rare in
    English (names, technical terms, made-up words)."""
    out = [i.lower() for i in identifiers(question)]
    out += [w for w in content_words(question) if zipf(w) < RARE_ZIPF and not w.isdigit()]
    # a word written as a name ("FIFA", "Kafka") names the subject even when it is a common English word; case
    # only adds terms here, so a question typed in lower case still gets the rarity check above
    out += [w.lower() for w in key_terms(question) if zipf(w.lower()) < NAME_ZIPF and not w.isdigit()]
    return list(dict.fromkeys(out))


def fold(text: str) -> str:
    """Lower case without accents: "Café" and "cafe" are the same word to a reader typing a question."""
    return text.lower().translate(UNICODE_FOLD)


def vocabulary(passages: Iterable[Passage]) -> set[str]:
    return {w for p in passages for w in _WORD.findall(fold(f"{p.title}\n{' '.join(p.headings)}\n{p.text}"))}


def near(word: str, words: set[str]) -> str | None:
    """A word of `words` within one edit (two for words of eight letters or more) of `word`, if any."""
    limit = 2 if len(word) >= 8 else 1
    if len(word) < 4:
        return None
    for other in words:
        if abs(len(other) - len(word)) <= limit and other[:1] == word[:1] and edits(word, other, limit) <= limit:
            return other
    return None


def edits(a: str, b: str, limit: int) -> int:
    """Damerau–Levenshtein distance (adjacent swaps count one), cut off above `limit`."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def holds(text: str, term: str) -> bool:
    """Whether folded `text` holds `term` as a word (an identifier may be split: max_connections ~ max connections)."""
    pattern = r"(?<!\w)" + r"[\s_-]?".join(re.escape(part) for part in re.split(r"[_\s-]+", term) if part) + \
        r"(?:s|es)?(?!\w)"
    return re.search(pattern, text) is not None


def supporting(holders: list[Passage], chosen: list[Passage], question: str) -> list[Passage]:
    """The passages an answer rests on: those that hold it, and chosen passages that link to one of them."""
    from scent.agent.select import linked

    return holders + [p for p in chosen if p not in holders and any(linked(p, h, question) for h in holders)]


def subject_coverage(question: str, passages: list[Passage]) -> float:
    """Share of the question's subject terms named by `passages` (1.0 when the question has none)."""
    terms = subject_terms(question)
    if not terms:
        return 1.0
    text = fold(" ".join(f"{p.title}\n{' '.join(p.headings)}\n{p.text}" for p in passages))
    return sum(holds(text, t) for t in terms) / len(terms)


def relation(question: str, sentence: str, passage: Passage | None) -> float:
    """Share of the question's content words other than its subject terms that the answer's sentence states
    (with its passage's title and headings): "port" and "default" for "the default port of X"."""
    subject = set(subject_terms(question))
    wanted = [w for w in content_words(question) if w not in subject]
    if not wanted:
        return 1.0
    context = fold(" ".join([sentence, *([passage.title, *passage.headings] if passage else [])]))
    return sum(re.search(r"(?<!\w)" + re.escape(_stem(w)), context) is not None for w in wanted) / len(wanted)


def _stem(word: str) -> str:
    """A crude stem, matched as a word prefix: "connections" → "connection", "started" → "start"."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


_HOW_MANY = re.compile(r"\bhow (many|much|long|old|far|big|large)\b|\bwhat (number|percentage|size)\b")
_WHEN = re.compile(r"\b(when|what year|which year|in what year|what date|which date)\b")
_WHO = re.compile(r"^\s*(who|whom|whose)\b|\bwhich (person|man|woman|actor|actress|director|author|writer)\b")
_WHERE = re.compile(r"^\s*where\b|\bin (what|which) (city|country|state|town)\b")
_NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|hundred|thousand|"
                     r"million|billion|dozen)\b", re.I)
_MONTH_OR_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b|\b(january|february|march|april|may|june|july|august|"
                            r"september|october|november|december)\b", re.I)


def type_match(question: str, answer: str) -> float:
    """Whether the answer has the form the question asks for — a number for "how many", a date for "when", a
    name (a capitalised word) for "who"/"where": 1 or 0; 0.5 when the question asks for no particular form."""
    q = question.lower()
    if _HOW_MANY.search(q):
        return float(bool(_NUMBER.search(answer)))
    if _WHEN.search(q):
        return float(bool(_MONTH_OR_YEAR.search(answer)))
    if _WHO.search(q) or _WHERE.search(q):
        return float(any(w[:1].isupper() for w in answer.split()))
    return 0.5

"""Query-focused snippets: a pure function over a passage's text."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\w+")
_WORD = re.compile(r"\S+")


def _key(token: str) -> str:
    # a 6-letter prefix stands in for stemming: "connections" ~ "connection", "defaults" ~ "default"
    return token[:6]


def snippet(text: str, query: str, width: int = 40) -> str:
    """The window of `width` words of `text` that holds the most distinct query terms."""
    words = _WORD.findall(text)
    if len(words) <= width:
        return " ".join(words)
    terms = {_key(t) for t in _TOKEN.findall(query.lower()) if len(t) > 1}
    # for each word, the query terms it holds (usually none)
    hits = [{k for t in _TOKEN.findall(w) if (k := _key(t)) in terms} for w in text.lower().split()]
    best, best_score = 0, -1
    for start in range(0, len(words) - width + 1, max(1, width // 4)):
        score = len(set().union(*hits[start : start + width]))
        if score > best_score:
            best, best_score = start, score
    prefix = "… " if best > 0 else ""
    suffix = " …" if best + width < len(words) else ""
    return prefix + " ".join(words[best : best + width]) + suffix

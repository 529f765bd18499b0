"""Query-focused snippets: a pure function over a passage's text."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\w+")


def _stem(word: str) -> str:
    # a crude prefix match stands in for stemming: "connections" ~ "connection", "defaults" ~ "default"
    return word.lower()[:6]


def snippet(text: str, query: str, width: int = 40) -> str:
    """The window of `width` words of `text` that holds the most distinct query terms."""
    words = text.split()
    if len(words) <= width:
        return " ".join(words)
    terms = {_stem(t) for t in _TOKEN.findall(query) if len(t) > 1}
    stems = [{_stem(t) for t in _TOKEN.findall(w)} for w in words]
    best, best_score = 0, -1
    for start in range(0, len(words) - width + 1, max(1, width // 4)):
        score = len(terms & set().union(*stems[start : start + width]))
        if score > best_score:
            best, best_score = start, score
    prefix = "… " if best > 0 else ""
    suffix = " …" if best + width < len(words) else ""
    return prefix + " ".join(words[best : best + width]) + suffix

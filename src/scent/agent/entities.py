"""Names in text, found by the program: what a question is about, and what a passage points to.

Pure functions over strings. They drive the deterministic search moves: exact-phrase lookups of the question's
own names (first hop), names inside retrieved passages as the next hop (a bridge entity), and the check that
the question's key terms occur in the corpus at all (a question about something the corpus never mentions is
abstained on, whatever the writer says).
"""

from __future__ import annotations

import re

# A run of capitalised words, allowing short lower-case joiners inside ("Kiss and Tell", "Battle of Adwa") and
# initials ("Roger O. Egeberg"); digits may join ("2014 S/S" is caught by the quoted/identifier rules instead).
_NAME = re.compile(
    r"(?:[A-Z][\w'’.&-]*|[A-Z]\.)(?:\s+(?:(?:of|the|and|de|la|del|von|van|der|du|da|for|on|in|&)\s+)?"
    r"[A-Z][\w'’.&-]*)*")
_QUOTED = re.compile(r"[\"“”]([^\"“”]{2,80})[\"“”]")
_IDENTIFIER = re.compile(r"\b(?:\w*_\w+|[a-z]+[A-Z]\w*|[A-Za-z]+\d[\w.]*|\d+[A-Za-z][\w.]*)\b")
_TOKEN = re.compile(r"[\w'’-]+")
MONTHS = {m: i for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july", "august",
                                      "september", "october", "november", "december"], 1)}
# Capitalised words that are names only when something else follows ("The Beatles" is kept whole by _NAME).
_COMMON_WORDS = (
    "a an the this that these those it its he she his her they their there here what which who whom whose when "
    "where why how is are was were be been do does did has have had can could would should will may might must "
    "in on at to for of by with from and or but not no yes if as than then also after before during since until "
    "while about into over under between both either neither each every all any some other another such only "
    "however although though because so thus hence therefore i we you one two three"
)
_COMMON = frozenset(_COMMON_WORDS.split())


def _clean(span: str) -> str:
    return span.strip(" .,;:'’-")


def names(text: str) -> list[str]:
    """Quoted phrases and runs of capitalised words, in order of appearance, without repeats. A capitalised
    common word alone (a sentence's "The", "However") is not a name."""
    found: list[str] = [_clean(m.group(1)) for m in _QUOTED.finditer(text)]
    for m in _NAME.finditer(text):
        span = _clean(m.group(0))
        words = span.split()
        while words and (words[0].lower() in _COMMON or words[0].lower() in MONTHS):  # "The", "In", "March"
            words = words[1:]
        months = [i for i, w in enumerate(words) if w.lower() in MONTHS]
        if months:  # "Marylebone in December" → "Marylebone"
            words = words[: months[0]]
            while words and words[-1].lower() in _COMMON:
                words = words[:-1]
        single = len(words) == 1
        if words and not (single and (words[0].lower() in _COMMON or len(words[0]) < 3
                                      or _sentence_start(text, m.start()))):
            found.append(" ".join(words))
    parts = [p for f in found for p in re.split(r"\s+(?:and|&)\s+", f) if p != f and len(p) >= 3]
    return list(dict.fromkeys(f for f in [*found, *parts] if f))


def _sentence_start(text: str, at: int) -> bool:
    """A lone capitalised word that opens a sentence ("Widgets are …") is not known to be a name."""
    before = text[:at].rstrip()
    return not before or before[-1] in ".!?:;\"“(\n"


def identifiers(text: str) -> list[str]:
    """Technical tokens: snake_case, camelCase, and words with digits (`max_connections`, `pg_hba`, `UTF8`)."""
    return list(dict.fromkeys(m.group(0) for m in _IDENTIFIER.finditer(text) if not m.group(0).isdigit()))


def key_terms(question: str) -> list[str]:
    """The question's words that name what it is about: identifiers, and the words of its names (capitalised
    words that do not start the sentence), three letters or more. These are what a passage about the question's
    subject must contain, and what a corpus that does not hold the subject lacks."""
    out = identifiers(question)
    for name in names(question):
        out += [w for w in _TOKEN.findall(name) if len(w) >= 3 and w.lower() not in _COMMON]
    return list(dict.fromkeys(out))


def mentions(text: str, name: str, exact_case: bool = False) -> bool:
    """Whether `text` mentions `name` (whole words; a title's "(1945 film)" is ignored). Case-insensitive unless
    `exact_case`: "Comedy film" is a title, "comedy film" in a sentence is not a reference to it."""
    core = re.sub(r"\s*\([^)]*\)\s*$", "", name).strip()
    if len(core) < 3:
        return False
    return re.search(r"(?<!\w)" + re.escape(core) + r"(?!\w)", text, 0 if exact_case else re.I) is not None


def bare_title(title: str) -> str:
    """A title without its disambiguation: "Kiss and Tell (1945 film)" → "Kiss and Tell"."""
    return re.sub(r"\s*\([^)]*\)\s*$", "", title).strip()

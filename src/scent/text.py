"""Text functions shared by the agent, research, evaluation, synthesis and the servers: pure functions over strings.

- Answer normalisation: the official HotpotQA/SQuAD one (lower-case, drop punctuation, drop a/an/the, collapse
  whitespace). The agent compares its candidate answers with it; evaluation scores with it.
- Sentence spans: where sentences end, as offsets (chunking, quoting, ranking).
- Names in text, found by the program: what a question is about, and what a passage points to. They drive the
  deterministic search moves: exact-phrase lookups of the question's own names (first hop), names inside
  retrieved passages as the next hop (a bridge entity), and the check that the question's key terms occur in the
  corpus at all.
"""

from __future__ import annotations

import re
import string

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation)
# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace and a capital,
# digit or opening quote/bracket. Abbreviations like "e.g. the" are not split (lower-case follows).
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*(\s+)(?=[\"'(\[]?[A-Z0-9])")


def normalize_answer(text: str) -> str:
    """The official HotpotQA normalisation."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


# What a model writes when the passages do not hold the answer (normalised): the agent's views and the eval's
# baselines read it as "unknown", not as an answer.
UNKNOWN_REPLIES = ("", "unknown", "not found", "none", "n/a", "no answer")


def says_unknown(reply: str) -> bool:
    """The reply says the passages do not hold the answer (an empty reply says nothing)."""
    norm = normalize_answer(reply)
    return bool(norm) and (norm in UNKNOWN_REPLIES or norm.startswith(("unknown", "not found")))


# Words that carry no subject of their own in a question.
_STOPWORD_LIST = (
    "a an the this that these those it its he she his her him they them their there here what which who whom "
    "whose when where why how is are was were be been being do does did has have had can could would should will "
    "shall may might must in on at to for of by with from and or but not no yes if as than then also after before "
    "during since until while about into over under between both either neither each every all any some other "
    "another such only however although though because so thus hence therefore i we you your our us me my one two "
    "three many much more most less least very same first last name named called known give tell find list use "
    "used"
)
_STOPWORDS = frozenset(_STOPWORD_LIST.split())
_CONTENT = re.compile(r"[^\W_][\w'’-]*")
# Accented letters to their plain form, so that a question typed without accents finds the corpus's words.
UNICODE_FOLD = str.maketrans("àáâãäåçèéêëìíîïñòóôõöøùúûüýÿ", "aaaaaaceeeeiiiinoooooouuuuyy")


def content_words(text: str) -> list[str]:
    """The words of `text` that say what it is about, lower-cased, in order, without repeats: no stopwords, no
    possessive 's, three letters or more (numbers kept)."""
    out = []
    for token in _CONTENT.findall(text.lower()):
        word = re.sub(r"['’]s$", "", token).strip("'’-")
        if (len(word) >= 3 or word.isdigit()) and word not in _STOPWORDS:
            out.append(word)
    return list(dict.fromkeys(out))


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence boundaries inside text[start:end], as absolute offsets, whitespace trimmed."""
    spans = []
    pos = start
    for m in _SENTENCE_END.finditer(text, start, end):
        spans.append((pos, m.start(1)))
        pos = m.end()
    spans.append((pos, end))
    return [(s, e) for s, e in spans if e > s]


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


_DOTTED = re.compile(r"\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\b")  # json.dumps, http.client (not 3.10)


def dotted_names(text: str) -> list[str]:
    """Qualified names as code writes them (`json.dumps`, `queue.Queue`, `http.client`), in order, no repeats."""
    return list(dict.fromkeys(_DOTTED.findall(text)))


def code_names(text: str) -> list[str]:
    """The names `text` gives as code would: its identifiers, then its qualified names (`max_connections`,
    `subprocess.run`) — what a manual has an entry for."""
    return [*identifiers(text), *dotted_names(text)]


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


# A manual's section number ("53.39. ", "F.24. ", "Chapter 5. "): two or more numbered levels, an appendix letter,
# or a chapter word — never one bare number, which starts real names ("2. Bundesliga", "1985 World Series").
_SECTION_NUMBER = re.compile(
    r"^(?:(?:chapter|appendix|part)\s+[A-Z\d]+\.?|[A-Z]\.\d+(?:\.\d+)*\.?|\d+(?:\.\d+)+\.?)\s+", re.IGNORECASE)


def title_name(title: str) -> str:
    """What a title names: the bare title without a manual's section number or the description after an em dash —
    "53.39. pg_proc" → "pg_proc", "logging — Logging facility for Python" → "logging"."""
    return bare_title(_SECTION_NUMBER.sub("", title).split(" — ", 1)[0])

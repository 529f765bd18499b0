"""What the program decides better than a 0.5B model: comparisons of two subjects, each read from its own passage.

- "Who is older, Annie Morton or Terry Richardson?" — each option is matched to the passage about it (its title
  names the option), the first date of that passage is read (a biography or a work opens with it), and the two
  dates are compared. The program answers only when both sides have a date and they differ.
- "Which dog's ancestors include Gordon and Irish Setters: the Manchester Terrier or the Scotch Collie?" — when
  the question names something besides the options (a name, an identifier) and only one option's passage names
  it, that option.
- "Were Scott Derrickson and Ed Wood of the same nationality?" — the question is split into one narrow question
  per subject ("What is the nationality of Ed Wood?"), each read by the writer from that subject's passage
  (`scent.agent.answer.decide_same`), and the program compares the two grounded replies. A 0.5B model asked the
  whole yes/no question answered "no" to all nine such dev questions; asked for the attribute, it reads it.
Otherwise the writer's vote stands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scent.text import MONTHS, bare_title, key_terms, mentions, normalize_answer
from scent.types import Passage

# ", A or B?" at the end, or ", A or B, …" inside: "Which band, Letters to Cleo or Screaming Trees, had more members?"
_OPTIONS = re.compile(r"[,:]\s*(?:the\s+)?([^,:?]+?)\s+or\s+(?:the\s+)?([^,:?]+?)\s*(?:[,:]|\?\s*$|$)", re.I)
_EARLIER = re.compile(r"\b(older|oldest|elder|first|earlier|earliest|before|sooner)\b", re.I)
_LATER = re.compile(r"\b(younger|youngest|later|latest|last|more recent|most recent|newer|newest|after)\b", re.I)
_MONTH = "(" + "|".join(m.capitalize() for m in MONTHS) + ")"
_DATE = re.compile(rf"\b(?:(\d{{1,2}}) {_MONTH},? (\d{{4}})|{_MONTH} (\d{{1,2}}),? (\d{{4}})|{_MONTH} (\d{{4}})|"
                   rf"(1[0-9]\d\d|20\d\d))\b")


@dataclass(frozen=True)
class Decision:
    answer: str
    passages: list[str]  # the two passages whose values were compared
    values: list[str]  # what was compared: two dates (year-month-day) or two attributes


def first_date(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) of the first date in the text; month/day 0 when not given."""
    m = _DATE.search(text)
    if m is None:
        return None
    day1, month1, year1, month2, day2, year2, month3, year3, year4 = m.groups()
    if year1:
        return int(year1), MONTHS[month1.lower()], int(day1)
    if year2:
        return int(year2), MONTHS[month2.lower()], int(day2)
    if year3:
        return int(year3), MONTHS[month3.lower()], 0
    return int(year4), 0, 0


def options(question: str) -> tuple[str, str] | None:
    """The two options of a choice question — names or numbers ("Annie Morton or Terry Richardson", "5432 or
    5433"); a list of common nouns ("the name of a table, index or view") is not a choice."""
    m = _OPTIONS.search(question.strip())
    if m is None:
        return None
    pair = (m.group(1).strip(), m.group(2).strip())
    return pair if all(re.search(r"(?:^|\s)[A-Z0-9]", option) for option in pair) else None


def passage_about(option: str, passages: list[Passage]) -> Passage | None:
    """The passage whose title is the option (or names it), else the first that mentions it."""
    for p in passages:
        if mentions(option, bare_title(p.title)) or mentions(bare_title(p.title), option):
            return p
    return next((p for p in passages if mentions(p.text, option)), None)


def option_passages(pair: tuple[str, str], passages: list[Passage]) -> tuple[Passage, Passage] | None:
    """The two different passages the two options are about; None when one has none or both share one."""
    a, b = passage_about(pair[0], passages), passage_about(pair[1], passages)
    return (a, b) if a is not None and b is not None and a.id != b.id else None


def decide(question: str, passages: list[Passage]) -> Decision | None:
    pair = options(question)
    if pair is None:
        return None
    head = question[: question.lower().rfind(pair[0].lower())]
    earlier, later = bool(_EARLIER.search(head)), bool(_LATER.search(head))
    if earlier == later:
        return None
    found = option_passages(pair, passages)
    if found is None:
        return None
    a, b = first_date(found[0].text), first_date(found[1].text)
    if a is None or b is None or a == b or (a[0] == b[0] and not (a[1] and b[1])):  # same year, no months: unsure
        return None
    pick = 0 if (a < b) == earlier else 1
    return Decision(pair[pick], [found[0].id, found[1].id], [_iso(a), _iso(b)])


def _iso(date: tuple[int, int, int]) -> str:
    """(1815, 12, 10) → "1815-12-10"; a missing month or day is left out ("1815")."""
    year, month, day = date
    return f"{year:04d}" + (f"-{month:02d}" if month else "") + (f"-{day:02d}" if month and day else "")


def decide_named(question: str, passages: list[Passage]) -> Decision | None:
    """An "A or B" question whose other key terms (names, identifiers besides the options) occur in exactly one
    option's passage: that option. None when there are no such terms, or both or neither passage holds some."""
    pair = options(question)
    if pair is None:
        return None
    terms = [t for t in key_terms(question) if not any(mentions(o, t) for o in pair)]
    found = option_passages(pair, passages)
    if not terms or found is None:
        return None
    held = [[t for t in terms if mentions(f"{p.title}\n{p.text}", t)] for p in found]
    if bool(held[0]) == bool(held[1]):
        return None
    pick = 0 if held[0] else 1
    return Decision(pair[pick], [found[0].id, found[1].id], [", ".join(held[0]), ", ".join(held[1])])


# "Were A and B of the same nationality?", "Are A and B located in the same neighborhood?", "Do A and B have the
# same director?": two subjects, then up to three lower-case words, then "the same ATTRIBUTE".
_SAME = re.compile(r"^(?:are|were|is|was|do|does|did|have|had)\s+(?:both\s+)?(?:the\s+)?(.+?),?\s+and\s+(?:the\s+)?"
                   r"(.+?)\s+(?-i:[a-z]+\s+){0,3}?the\s+same\s+([\w\s'-]+?)\s*\??\s*$", re.I)


@dataclass(frozen=True)
class SameQuestion:
    subjects: tuple[str, str]
    attribute: str

    def asks(self, subject: str) -> str:
        """The narrow question for one subject."""
        return f"What is the {self.attribute} of {subject}?"


def same_question(question: str) -> SameQuestion | None:
    m = _SAME.match(question.strip())
    if m is None or len(m.group(3).split()) > 3:
        return None
    return SameQuestion((m.group(1).strip(), m.group(2).strip()), m.group(3).strip())


def same_value(a: str, b: str) -> bool:
    """Two replies name the same value: equal after normalisation, or one contains the other as whole words
    ("Istanbul" and "Fatih, Istanbul")."""
    x, y = normalize_answer(a), normalize_answer(b)
    return bool(x and y) and (x == y or f" {x} " in f" {y} " or f" {y} " in f" {x} ")

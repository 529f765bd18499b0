"""Shared pieces of the generic extractors: what a value looks like (a date, a version, a number with its unit, a
name), markup stripped off a span, a heading made into a subject, and the document's passages joined so that a
match anywhere maps back to the passage that holds it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scent.types import Passage

ISO_DATE = r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"  # 2024-03-25, as notes and logs write dates
MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
DATE = re.compile(rf"^(?:(?:(?:\d{{1,2}} )?{MONTH}(?: \d{{1,2}})?,? )?\d{{4}}|{ISO_DATE})$")
YEAR = re.compile(r"^(1[0-9]{3}|20[0-9]{2})$")
VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?$")
NUMBER = re.compile(r"^(-?\d{1,3}(?:,\d{3})+|-?\d+)(\.\d+)?(?: ?([A-Za-z%²³/]{1,12}))?$")
# links ([text][], [text](url)), code and emphasis marks; an underscore only at a word's edge (not in snake_case)
MARKUP = re.compile(r"\[([^\]\n]{1,80})\]\[[^\]\n]*\]|\[([^\]\n]{1,80})\]\([^)\n]*\)|[`*]{1,2}"
                    r"|(?<![\w.])_{1,2}(?=\w)|(?<=\w)_{1,2}(?![\w(])")
CALL = re.compile(r"^((?:new )?[A-Za-z_$][\w$.]*)\(.*\)$")
WORDS = re.compile(r"[\w'’.-]+")
CODE_LIKE = re.compile(r"[${}=;<>]|\(\s*$")
SKIP_VALUES = {"", "-", "—", "–", "n/a", "none", "null", "yes", "no", "x", "?"}


@dataclass(slots=True)
class Joined:
    """A document's passages joined with blank lines, and where each passage starts in the joined text."""

    passages: list[Passage]
    text: str
    starts: list[int]

    @classmethod
    def of(cls, passages: list[Passage]) -> Joined:
        starts, parts, at = [], [], 0
        for p in passages:
            starts.append(at)
            parts.append(p.text)
            at += len(p.text) + 2
        return cls(passages, "\n\n".join(parts), starts)

    def at(self, offset: int) -> Passage:
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return self.passages[lo]

    def within(self, start: int, end: int) -> Passage | None:
        """The passage holding text[start:end] whole, or None when the span crosses passages."""
        first = self.at(start)
        return first if self.at(max(end - 1, start)).id == first.id else None


def unmark(text: str) -> str:
    """Markdown links and emphasis removed: "[`dns.resolve4()`][]" → "dns.resolve4()", "**Default:**" →
    "Default:"; whitespace collapsed."""
    text = MARKUP.sub(lambda m: m.group(1) or m.group(2) or "", text)
    text = MARKUP.sub(lambda m: m.group(1) or m.group(2) or "", text)  # the emphasis inside a link's text
    return " ".join(text.split()).strip()


def subject_of_heading(heading: str) -> str:
    """A heading as a subject: markup removed, a call's arguments dropped ("dns.lookup(hostname[, options])" →
    "dns.lookup()"), a "Class: " style prefix dropped; "" when it is too long to name a thing."""
    text = unmark(heading)
    text = re.sub(r"^(?:Class|Event|Module|Function|Method|Property|Static method|Interface):\s+", "", text)
    call = CALL.match(text)
    if call:
        text = call.group(1) + "()"
    return text if 0 < len(text.split()) <= 8 and len(text) <= 70 else ""


def value_kind(value: str) -> str:
    """date | year | version | number | name | phrase: what a value is, for the question's wording and for which
    values compare."""
    if YEAR.match(value):
        return "year"
    if DATE.match(value):
        return "date"
    if VERSION.match(value):
        return "version"
    if NUMBER.match(value):
        return "number"
    words = value.split()
    if words and all(w[:1].isupper() or w.lower() in ("of", "de", "the", "and", "von", "van", "da") for w in words):
        return "name"
    return "phrase"


def as_number(value: str) -> tuple[float, str] | None:
    """(number, unit) of a value that compares: a number with an optional unit, a year, a date (as a sortable
    number), a version (major, minor, patch)."""
    kind = value_kind(value)
    if kind == "version":
        m = VERSION.match(value)
        assert m is not None
        return int(m.group(1)) * 1e6 + int(m.group(2)) * 1e3 + int(m.group(3) or 0), "version"
    if kind in ("year", "date"):
        return _date_number(value), "date"
    if kind == "number":
        m = NUMBER.match(value)
        assert m is not None
        return float(m.group(1).replace(",", "") + (m.group(2) or "")), (m.group(3) or "").lower()
    return None


_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"]


def _date_number(value: str) -> float:
    if re.fullmatch(ISO_DATE, value):
        year, month, day = (int(part) for part in value.split("-"))
        return year * 10_000 + month * 100 + day
    year = int(re.findall(r"\d{4}", value)[-1])
    month = next((i + 1 for i, m in enumerate(_MONTHS) if m in value.lower()), 0)
    day = next((int(d) for d in re.findall(r"\b\d{1,2}\b", value)), 0) if month else 0
    return year * 10_000 + month * 100 + day


def short_value(value: str, words: int = 8) -> bool:
    """A value a question can ask for: a few words, with a letter or digit, no code ("${name}", "a => b")."""
    return (value.lower() not in SKIP_VALUES and 0 < len(value.split()) <= words and len(value) <= 60
            and re.search(r"\w", value) is not None and not CODE_LIKE.search(value))


def relation_words(label: str) -> str:
    """A label or header as the words of a question: lower-cased unless it holds an acronym ("TTL", "URL")."""
    label = unmark(label).strip(" :")
    keep = any(len(w) > 1 and (w.isupper() or not w[1:].islower()) for w in label.split())  # TTL, napiVersion
    return label if keep else label.lower()

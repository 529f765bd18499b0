"""Extractors for reference documentation, tried on every document (each matches only its own layout):

- settings (PostgreSQL's `name (type)` headers): the type, and the default ("The default is 100", "5432 by
  default"); numeric defaults of one unit compare;
- SQL functions (`name ( args ) → type` signature lines, `name(args) → value` examples): the return type, and what
  an example call returns;
- catalog columns (`column type [(references t.c)]` rows in a `pg_…` catalog page): the type, the reference;
- Python callables (`module.name(params)` signature lines): the version that added it ("New in version 3.5."),
  compared by version, and each parameter's default (`fd=STDOUT_FILENO`).

A fact's subject and value must lie in one passage; a setting or callable's block (header to next header) records
the other settings or callables it names, for bridge tasks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from scent.synth.facts import Fact, FactBlock, Facts
from scent.types import Passage

SETTING = re.compile(r"^([a-z][a-z0-9_.]*) \((integer|string|boolean|enum|floating point|real)\)$", re.M)
SQL_FUNCTION = re.compile(r"^([a-z][a-z0-9_]*) \( .*\) → ([a-z][a-z ]*(?:\[\])?)$", re.M)
SQL_EXAMPLE = re.compile(r"^([a-z][a-z0-9_]*\([^\n→]{0,60}\)) → ([^\n]{1,30})$", re.M)
CATALOG_TITLE = re.compile(r"^\d+\.\d+\. (pg_[a-z_]+)$")
CATALOG_COLUMN = re.compile(r"^([a-z][a-z0-9_]*) ([a-z][a-z0-9_]*(?:\[\])?|\"char\")"
                            r"(?: \(references ([a-z_]+\.[a-z_]+)\))?\n\n(?=[A-Z])", re.M)
PY_SIGNATURE = re.compile(r"^(?:class |async |awaitable )?((?:[A-Za-z_]\w*\.)+[A-Za-z_]\w*)\(([^\n]{0,200})\)$",
                          re.M)
PY_ENTRY = re.compile(r"^(?:class |exception |attribute |method )?[A-Za-z_][\w.]*(?: \([\w.]*\))?$", re.M)
PY_ADDED = re.compile(r"^New in version (\d\.\d+)\.$", re.M)
PY_PARAM = re.compile(r"^\*{0,2}([a-z_][a-z0-9_]*)=([^\s,()]{1,30}|\(\)|'[^']{0,20}'|\"[^\"]{0,20}\")$")
PY_MENTION = re.compile(r"\b((?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*)\(\)")

_ADVERB = r"(?:typically |normally |usually |currently |also |set to )?"
_NUMBER_WORDS = "zero|one|two|three|four|five|six|seven|eight|nine|ten|sixteen|sixty|hundred"
_QUANTITY = rf"(?:-?\d+(?:\.\d+)?|(?:{_NUMBER_WORDS})\b)(?: ?[A-Za-z%]+)?"
DEFAULT_IS = re.compile(r"\b[Tt]he default(?: value)?(?: setting)? is " + _ADVERB +
                        rf"(?P<v>'[^'\n]{{1,30}}'|“[^”\n]{{1,30}}”|{_QUANTITY}|[A-Za-z_][\w-]*)"
                        r"(?P<alt> \([^()\n]{1,20}\))?")
BY_DEFAULT = re.compile(r"(?P<v>-?\d+(?:\.\d+)?(?: ?[A-Za-z%]+)?) by default\b")
NOT_UNITS = {"of", "for", "on", "in", "and", "to", "if", "but", "which", "when", "with", "or", "is", "as", "at",
             "the", "a", "an", "that", "this", "so", "by", "unless", "except", "per"}
NUMBER_UNIT = re.compile(r"^-?(\d+(?:\.\d+)?) ?([A-Za-z%]*)$")
WORD_VALUES = {"on", "off", "true", "false", "none", "empty", "auto", "local", "all", "unlimited", "disabled",
               *_NUMBER_WORDS.split("|")}
UNITS = {"": "", "kb": "kB", "mb": "MB", "gb": "GB", "tb": "TB", "ms": "ms", "s": "s", "min": "min", "h": "h",
         "d": "d", "seconds": "s", "second": "s", "milliseconds": "ms", "minutes": "min", "megabytes": "MB",
         "kilobytes": "kB", "gigabytes": "GB", "connections": "", "percent": "%", "%": "%", "bytes": "B"}
SCALE = {"kB": 1, "MB": 1024, "GB": 1024**2, "TB": 1024**3, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000,
         "d": 86_400_000}
SCALE_FAMILY = {"kB": "memory", "MB": "memory", "GB": "memory", "TB": "memory", "ms": "time", "s": "time",
                "min": "time", "h": "time", "d": "time"}


@dataclass(slots=True)
class _Doc:
    """A document's passages joined with blank lines, and where each passage starts in the joined text."""

    passages: list[Passage]
    text: str
    starts: list[int]

    @classmethod
    def of(cls, passages: list[Passage]) -> _Doc:
        starts, parts, at = [], [], 0
        for p in passages:
            starts.append(at)
            parts.append(p.text)
            at += len(p.text) + 2
        return cls(passages, "\n\n".join(parts), starts)

    def at(self, offset: int) -> Passage:
        """The passage holding the character at `offset` of the joined text."""
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return self.passages[lo]


def extract(passages: list[Passage]) -> Facts:
    doc = _Doc.of(passages)
    found = Facts()
    if " (" in doc.text:
        found.extend(_settings(doc))
    if " → " in doc.text:
        found.extend(_sql_functions(doc))
    title = CATALOG_TITLE.match(passages[0].title) if passages else None
    if title:
        found.extend(_catalog(doc, title.group(1)))
    if "(" in doc.text and "." in doc.text:
        found.extend(_python(doc))
    return found


def _entries(header: re.Pattern[str], text: str) -> Iterator[tuple[re.Match[str], int]]:
    """Each entry of a reference page: its header match and where its body ends (the next header, or the end)."""
    headers = list(header.finditer(text))
    for i, match in enumerate(headers):
        yield match, headers[i + 1].start() if i + 1 < len(headers) else len(text)


# settings --------------------------------------------------------------------------------------------------------

def _settings(doc: _Doc) -> Facts:
    found = Facts()
    for header, end in _entries(SETTING, doc.text):
        name, kind = header.group(1), header.group(2)
        body = doc.text[header.end():end]
        gold = doc.at(header.start())
        if not (gold.path.startswith("runtime-config") or "." in name):
            continue  # a command's options share the layout (CREATE SUBSCRIPTION's refresh (boolean)): not settings
        named = f"the configuration parameter {name}"
        found.blocks.append(FactBlock("pg-setting", name, "configuration parameter", named, gold.id, body,
                                      closed=doc.at(max(end - 1, header.end())).id == gold.id))
        found.facts.append(Fact(gold.id, "pg-setting", name, "configuration parameter", "type", kind,
                                "What is the data type of {s}?", named, group=gold.path))
        value = _default(body)
        if value is None or doc.at(header.end() + value[1]).id != gold.id:
            continue
        text = value[0]
        number, unit = _number(text) if text[0].isdigit() else (None, "")
        # two durations or two sizes compare anywhere; bare numbers (a cost, a count, a multiplier) only within one
        # section, where they measure the same kind of thing (planner cost constants, worker counts)
        section = gold.headings[-1] if gold.headings else gold.path
        key = f"pg-default:{unit}" if unit else f"pg-default::{section}"
        found.facts.append(Fact(
            gold.id, "pg-setting", name, "configuration parameter", "default", text,
            "What is the default value of {s}?", named, number=number,
            compare="Which configuration parameter has the larger default value, {a} or {b}?" if number is not None
            else "", compare_key=key, group=gold.path, also=value[2]))
    return found


def _default(body: str) -> tuple[str, int, tuple[str, ...]] | None:
    """The first stated default of a setting's block, its offset in the block and other ways to write it (the
    bare number of "100 connections", the "(2MB)" after "two megabytes"), when it is a clean value."""
    for pattern in (DEFAULT_IS, BY_DEFAULT):
        match = pattern.search(body)
        if match is None:
            continue
        raw = match.group("v")
        quoted = raw[:1] in "'“"
        value = raw.strip("'“”")
        start = match.start("v") + quoted
        words = value.split()
        if len(words) == 2 and words[1].lower() in NOT_UNITS:
            value = words[0]  # "100 for" → 100
        if not value or (not value[0].isdigit() and value.split()[0].lower() not in WORD_VALUES and "_" not in value
                         and not value.isupper() and not quoted):
            continue
        also: list[str] = []
        if len(value.split()) == 2 and value[0].isdigit() and UNITS.get(value.split()[1].lower(), "") == "":
            also.append(value.split()[0])  # "100 connections": a count, so "100" says the same
        alt = match.groupdict().get("alt")
        if alt and alt.strip(" ()") != value and value == raw:
            also.append(alt.strip(" ()"))
        if value.split()[0].lower() in _NUMBER_WORDS.split("|") and len(value.split()) == 1 and not alt:
            continue  # "two" alone: a number word without its unit is not the value
        return value, start, tuple(also)
    return None


def _number(value: str) -> tuple[float | None, str]:
    """(the value in the unit family's base unit, the family) for a number with an optional unit."""
    match = NUMBER_UNIT.match(value)
    if not match:
        return None, ""
    unit = UNITS.get(match.group(2).lower(), match.group(2).lower())  # a count: "16 workers" compares with workers
    return float(match.group(1)) * SCALE.get(unit, 1), SCALE_FAMILY.get(unit, unit)


# SQL functions ---------------------------------------------------------------------------------------------------

def _sql_functions(doc: _Doc) -> Facts:
    found = Facts()
    for match in SQL_FUNCTION.finditer(doc.text):
        gold = doc.at(match.start())
        name, returns = match.group(1), match.group(2).strip()
        found.facts.append(Fact(gold.id, "sql-function", name, "function", "returns", returns,
                                "What data type does {s} return?", f"the SQL function {name}", group=gold.path))
    for match in SQL_EXAMPLE.finditer(doc.text):
        gold = doc.at(match.start())
        call, result = match.group(1), match.group(2).strip()
        if gold.id != doc.at(match.end() - 1).id or len(result) > 30:
            continue
        found.facts.append(Fact(gold.id, "sql-call", call, "call", "result", result,
                                "In PostgreSQL, what does {s} return?", call, group=gold.path,
                                also={"t": ("true",), "f": ("false",)}.get(result, ())))
    return found


# catalog columns -------------------------------------------------------------------------------------------------

def _catalog(doc: _Doc, catalog: str) -> Facts:
    found = Facts()
    for match in CATALOG_COLUMN.finditer(doc.text):
        gold = doc.at(match.start())
        column, kind, references = match.group(1), match.group(2), match.group(3)
        subject = f"{catalog}.{column}"
        named = f"the column {column} of the system catalog {catalog}"
        found.facts.append(Fact(gold.id, "pg-column", subject, "column", "column-type", kind,
                                "What is the data type of {s}?", named, group=gold.path))
        if references:
            found.facts.append(Fact(gold.id, "pg-column", subject, "column", "references", references,
                                    "Which column does {s} reference?", named, group=gold.path))
    return found


# Python callables ------------------------------------------------------------------------------------------------

def _python(doc: _Doc) -> Facts:
    found = Facts()
    for header, end in _entries(PY_SIGNATURE, doc.text):
        name, params = header.group(1), header.group(2)
        body = doc.text[header.end():end]
        entry = PY_ENTRY.search(body)  # an attribute or constant documented inside: its notes are not the callable's
        if entry is not None:
            body, end = body[:entry.start()], header.end() + entry.start()
        gold = doc.at(header.start())
        named = f"{name}()"
        block = FactBlock("py-callable", name, "function", named, gold.id, body,
                          closed=doc.at(max(end - 1, header.end())).id == gold.id)
        module = name.rsplit(".", 1)[0]
        for mention in PY_MENTION.findall(body):
            full = mention if "." in mention else f"{module}.{mention}"
            if full != name:
                block.mentions.add(full)
        found.blocks.append(block)
        added = PY_ADDED.search(body)
        if added and doc.at(header.end() + added.start(1)).id == gold.id:
            major, minor = added.group(1).split(".")
            found.facts.append(Fact(
                gold.id, "py-callable", name, "function", "added", added.group(1),
                "In which Python version was {s} added?", named, number=int(major) * 1000 + int(minor),
                compare="Which was added to Python earlier, {a} or {b}?", compare_key="py-added",
                larger_wins=False, short=name, group=gold.path))
        for param in _split_params(params):
            default = PY_PARAM.match(param.strip())
            if default and default.group(2) not in ("...",):
                found.facts.append(Fact(
                    gold.id, "py-callable", name, "function", f"param:{default.group(1)}", default.group(2),
                    f"What is the default value of the {default.group(1)} parameter of {{s}}?", named,
                    group=gold.path))
    return found


def _split_params(params: str) -> list[str]:
    """Parameters at bracket depth 0 (defaults may hold commas inside brackets)."""
    out, depth, current = [], 0, ""
    for ch in params.replace("[", "").replace("]", ""):
        depth += ch in "({"
        depth -= ch in ")}"
        if ch == "," and depth == 0:
            out.append(current)
            current = ""
        else:
            current += ch
    return [*out, current] if current.strip() else out

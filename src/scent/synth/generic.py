"""Generic extractors that read sentences by their structure, with no template per domain:

- facts: a sentence whose subject is named — it opens with the passage's title, or a pronoun standing for it in
  the title's own passage (a sentence opening with another name is not read: most are not subjects) — and whose
  predicate holds a value:
    passive   "was directed by Sönke Wortmann", "was founded in 1860", "(born July 27, 1976)", "is located in
              Ohio"  → Who was {s} directed by? / In what year was {s} founded? / When was {s} born? / Where …?
    nominal   "has a population of 4,208", "covers an area of 12 km²" → What is the population of {s}?
    measure   "is 35 km long" → How long is {s}?
  Nothing may stand between the subject and the value that starts another clause (who, which, that, ";"), so the
  value is the subject's and not a name's mentioned on the way;
- definitions: "X is a 1994 German film comedy directed by …" → What is the name of the 1994 German film comedy
  directed by …? (the answer X); its class ("1994 German film comedy") names X in bridge questions.
Dates and years of one relation compare, and so do numbers of one noun and unit.
"""

from __future__ import annotations

import re

from scent.synth.facts import Fact, FactBlock, Facts
from scent.synth.shapes import MONTH, as_number, value_kind
from scent.text import bare_title, sentence_spans
from scent.types import Passage

_NAME = r"[A-Z][\w'’.&-]*(?:\s+(?:(?:of|the|and|de|la|del|von|van|der|du|da)\s+)?[A-Z][\w'’.&-]*){0,4}"
_DATE = rf"(?:(?:\d{{1,2}} )?{MONTH}(?: \d{{1,2}})?,? )?(?:1[0-9]{{3}}|20[0-9]{{2}})\b"
_QUANTITY = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_UNIT = r"(?: ?(?:%|[a-zA-Z]{1,12}[²³23]?\b))?"
IRREGULAR = "born|built|made|written|held|known|sold|won|given|taken|shown|run|drawn|grown|begun|chosen|driven|set"
PASSIVE = re.compile(rf"\b(?P<aux>is|are|was|were)\s+(?:also\s+|first\s+|originally\s+|later\s+)?"
                     rf"(?P<verb>[a-z]+ed|{IRREGULAR})(?=\s+(?:in|on|by|at|since)\s)")
# the prepositional phrases after a passive verb, chained: "was hired in 2019 by Carla Mendes"
PREP = re.compile(rf"\s+(?P<prep>in|on|by|at|since)\s+(?P<value>{_DATE}|{_NAME})(?=[\s,.;)]|$)")
BORN = re.compile(rf"^\s*\((?:[^()]*;\s*)?(?P<verb>born)\s+(?:on\s+)?(?P<value>{_DATE})")
PARTICIPLE_BY = re.compile(rf"^\s*(?:is|was)\s+an?\s+[^.;]{{0,80}}?\b(?P<verb>[a-z]+ed)\s+by\s+(?P<value>{_NAME})")
NOMINAL = re.compile(rf"\b(?:has|had|have|with|covers|covered|reaches|reached)\s+(?:a|an)\s+(?:total\s+)?"
                     rf"(?P<noun>[a-z]+(?: [a-z]+)?)\s+of\s+(?:about\s+|approximately\s+|over\s+|some\s+)?"
                     rf"(?P<value>(?:{_QUANTITY}){_UNIT})")
MEASURE = re.compile(rf"\b(?P<aux>is|are|was|were)\s+(?:about\s+|approximately\s+|roughly\s+|some\s+)?"
                     rf"(?P<value>(?:{_QUANTITY}) ?[a-zA-Z]{{1,12}})\s+(?P<adj>long|high|tall|wide|deep)\b")
DEFINITION = re.compile(r"^\s*(?:\([^()]*\)\s*)?,?\s*(?P<aux>is|was)\s+(?P<article>an?|the)\s+(?P<phrase>[^;]+)")
LIST_GOES_ON = re.compile(r"[^.;]*?(?:\b(?:and|or)\s+[A-Z]|,\s*(?:and\s+)?[A-Z])")
CLAUSE = re.compile(r"\b(?:who|which|that|whose|where|while|whom)\b|;|\band (?:is|was|has|had)\b")
PRONOUNS = ("He ", "She ", "It ", "They ")
NOT_NOUNS = {"number", "lot", "couple", "series", "set", "range", "list", "group", "maximum", "minimum", "average",
             "pair", "handful", "variety", "total", "career", "record", "score", "term", "rate", "period", "span",
             "member", "part", "result", "way", "mix", "collection", "combination", "cast", "staff"}
COMPARATIVE = {"long": "longer", "high": "higher", "tall": "taller", "wide": "wider", "deep": "deeper"}
CLASS_CUT = re.compile(r"\b(?:who|which|that|from|in|of|for|with|by|on|at|and|known|based|located|[a-z]+ed)\b|,")
ONE_OF_A_KIND = re.compile(r"\d|\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|only|last|"
                           r"debut)\b|\bby (?:[A-Z]|the [A-Z])")
GLUED = re.compile(r"(?<=[a-z)\]])\.(?=[A-Z])")  # "… the Cold War.He was …": two sentences glued by a lost space
PARAGRAPH = re.compile(r"\S[^\n]*(?:\n(?![ \t]*\n)[^\n]*)*")  # lines up to a blank line
MAX_SENTENCES = 6
MENTION_CHARS = 1500  # of a subject's own passage, read for the other subjects it names (bridges)
STATIVE = {"located", "situated", "based", "known", "used", "found", "listed", "named", "called", "placed",
           "ranked", "set", "included", "involved", "interested"}


def extract(passages: list[Passage]) -> Facts:
    found = Facts()
    for p in passages:
        title = bare_title(p.title).strip()
        if not title or len(title.split()) > 8:
            title = ""
        opening = p.text.lstrip()
        own = bool(title) and opening.startswith(title) and opening[len(title):len(title) + 1] in (" ", ",", "(")
        if own:
            found.blocks.append(FactBlock("generic-mention", title, "", title, p.id, p.text[:MENTION_CHARS]))
        for i, (start, end) in enumerate(_sentences(p.text)[:MAX_SENTENCES]):
            sentence = p.text[start:end]
            subject, rest = _subject(sentence, title, own)
            if subject:
                found.facts.extend(_facts(p, subject, rest))
                if subject == title and own and i == 0:
                    found.facts.extend(_definition(p, title, rest))
                    noun = _class(rest)
                    if noun:  # what the subject is, to name it in a bridge question ("that director")
                        found.blocks.append(FactBlock("generic-class", title, noun, title, p.id, ""))
    return found


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans, a blank line ending one too: a paragraph after label lines ("Budget: 12,000 EUR") or a
    heading's text is a sentence of its own, not the tail of the lines before it."""
    spans: list[tuple[int, int]] = []
    for paragraph in PARAGRAPH.finditer(text):
        spans.extend(sentence_spans(text, paragraph.start(), paragraph.end()))
    return spans


def unique_definitions(facts: list[Fact]) -> list[Fact]:
    """Definitions whose wording is one subject's alone: "the feature on Earth's Moon, a crater in …" said of
    three craters names none of them."""
    subjects: dict[str, set[str]] = {}
    for f in facts:
        if f.extractor == "definition":
            subjects.setdefault(f.ask.lower(), set()).add(f.subject)
    return [f for f in facts if f.extractor != "definition" or len(subjects[f.ask.lower()]) == 1]


def _subject(sentence: str, title: str, own: bool) -> tuple[str, str]:
    """The sentence's named subject and the rest of the sentence, or ("", "")."""
    if title and sentence.startswith(title) and sentence[len(title):len(title) + 1] in ("", " ", ",", "("):
        return title, sentence[len(title):]  # not "London's ancient core …", not "Nomad: The Warrior"
    if own and sentence.startswith(PRONOUNS):
        return title, sentence.split(" ", 1)[1]
    return "", ""


def _clear(rest: str, until: int) -> bool:
    """Nothing in rest[:until] (parentheses aside) opens another clause."""
    return CLAUSE.search(re.sub(r"\([^()]*\)", "", rest[:until])) is None


def _facts(p: Passage, subject: str, rest: str) -> list[Fact]:
    out: list[Fact] = []
    born = BORN.match(rest)
    if born:
        out.append(_passive(p, subject, "was", "born", "on", born.group("value")))
    by = PARTICIPLE_BY.match(rest)
    if by and _clear(rest, by.start("verb")):
        out.append(_passive(p, subject, "was", by.group("verb"), "by", by.group("value")))
    for m in PASSIVE.finditer(rest):
        if not _clear(rest, m.start()):
            continue
        at = m.end()
        while (prep := PREP.match(rest, at)) is not None:
            if not LIST_GOES_ON.match(rest, prep.end()):  # "bordered by Belgium, France and …": not one name
                out.append(_passive(p, subject, m.group("aux"), m.group("verb"), prep.group("prep"),
                                    prep.group("value")))
            at = prep.end()
    for m in NOMINAL.finditer(rest):
        noun = m.group("noun")
        if _clear(rest, m.start()) and noun.split()[-1] not in NOT_NOUNS:
            out.append(_nominal(p, subject, noun, m.group("value"), past=" was " in rest[:m.start()]
                                or m.group(0).startswith("had")))
    for m in MEASURE.finditer(rest):
        if _clear(rest, m.start()):
            adj = m.group("adj")
            out.append(_fact(p, subject, f"measure:{adj}", m.group("value"), f"How {adj} {m.group('aux')} {{s}}?",
                             f"Which is {COMPARATIVE[adj]}, {{a}} or {{b}}?", True, "sentence", (adj,)))
    return [f for f in out if f.value in p.text and f.value != subject]


def _passive(p: Passage, subject: str, aux: str, verb: str, prep: str, value: str) -> Fact:
    value = value.strip().rstrip(".,")
    kind = value_kind(value)
    if prep == "by":
        if kind != "name":
            return _none(p)
        ask, refer = f"Who {aux} {{s}} {verb} by?", (f"the {{noun}} that {verb} {{s}}" if verb.endswith("ed") else "")
        return _fact(p, subject, f"{verb} by", value, ask, "", True, "sentence", (verb,), refer)
    if kind in ("date", "year") and verb not in STATIVE:
        ask = (f"In what year {aux} {{s}} {verb}?" if kind == "year" else f"When {aux} {{s}} {verb}?")
        compare = ("Who was born first, {a} or {b}?" if verb == "born"
                   else f"Which {aux} {verb} earlier, {{a}} or {{b}}?")
        return _fact(p, subject, f"{verb} date", value, ask, compare, False, "sentence", (verb,))
    if kind == "name" and prep in ("in", "at"):
        return _fact(p, subject, f"{verb} {prep}", value, f"Where {aux} {{s}} {verb}?", "", True, "sentence",
                     (verb,))
    return _none(p)


def _nominal(p: Passage, subject: str, noun: str, value: str, past: bool) -> Fact:
    verb = "was" if past else "is"
    return _fact(p, subject, f"noun:{noun}", value, f"What {verb} the {noun} of {{s}}?",
                 f"Which has the larger {noun}, {{a}} or {{b}}?", True, "sentence", (noun.split()[-1],))


def _none(p: Passage) -> Fact:
    return Fact(p.id, "generic", "", "", "", "", "", "")  # dropped by its empty value


def _fact(p: Passage, subject: str, relation: str, value: str, ask: str, compare: str, larger_wins: bool,
          extractor: str, cue: tuple[str, ...], refer: str = "") -> Fact:
    number = as_number(value) if compare else None
    # a title's own disambiguation names the subject in the question: "Who was Bush (brand) owned by?", not Bush;
    # not one that gives the value away ("Gladiators of Rome (2012 film)" asked when it opened)
    title = p.title.strip()
    qualifier = title[len(subject) + 2:-1] if title.startswith(f"{subject} (") and bare_title(title) == subject else ""
    named = title if qualifier and not any(w.isdigit() and w in value for w in qualifier.split()) else subject
    return Fact(p.id, "generic", subject, "thing", relation, value, ask, named,
                number=number[0] if number else None, compare=compare if number else "",
                compare_key=f"{relation}:{number[1]}" if number else "", larger_wins=larger_wins, group=relation,
                extractor=extractor, refer=refer, cue=cue)


def _class(rest: str) -> str:
    """What a definition says the subject is, in at most 5 words: "1994 German film comedy", "state"."""
    m = DEFINITION.match(rest)
    if not m:
        return ""
    phrase = " ".join(m.group("phrase").split())
    cut = CLASS_CUT.search(phrase)
    if cut is not None and cut.group(0) in (",", "and"):
        return ""  # "German theatre, film and television actress", "theatre and film actress": the noun is past it
    kind = phrase[:cut.start()].strip() if cut is not None else phrase.rstrip(".")
    return kind if 1 <= len(kind.split()) <= 5 and kind[:1].isalnum() else ""


def _definition(p: Passage, title: str, rest: str) -> list[Fact]:
    m = DEFINITION.match(rest)
    if not m:
        return []
    phrase = " ".join(GLUED.split(m.group("phrase"))[0].split()).rstrip(".")
    words = phrase.split()
    if len(words) > 30:
        phrase = " ".join(words[:30]).rstrip(",")
        cut = max(phrase.rfind(","), 0)
        phrase = phrase[:cut] if cut > 40 else ""
    words = phrase.split()
    specific = sum(w[:1].isupper() or w[:1].isdigit() for w in words[1:]) >= 2
    if len(words) < 7 or not specific or "(" in phrase or title.lower() in phrase.lower():
        return []
    if m.group("article") != "the" and not ONE_OF_A_KIND.search(phrase):
        return []  # "a mountain in the North Cascades" is one of many; "a 2013 … film directed by X" is not
    noun = _class(rest)
    verb = "What is" if m.group("aux") == "is" else "What was"
    article = "the"
    ask = f"{verb} the name of {article} {phrase}?".replace("{", "{{").replace("}", "}}")
    return [Fact(p.id, "generic", title, noun or "thing", "definition", title, ask, "", extractor="definition")]

"""Extractors for encyclopedic text (one record per article, its title the subject), tried on every document:

- a person's years from the opening parenthesis: "Franco Corelli (8 April 1921 – 29 October 2003)";
- "founded / established / opened / completed / built in 1860" in the opening sentences;
- a work's year: "is a 1996 American romantic drama film";
- "The population was 4,208 at the 2010 census";
- relations for bridge tasks: "directed by X", "founded by X", … where X is named right after "by" (the candidates
  keep those whose X is the title of another article).

Years and populations compare (who was born first, which is larger). The subject must be written in the
passage's opening, so the gold passage names what the question asks about.
"""

from __future__ import annotations

import re

from scent.synth.facts import Fact, FactBlock, Facts
from scent.types import Passage

LIFE = re.compile(r"^[^()\n]{0,80}?\(([^()\n]{0,80})\)")
YEAR = re.compile(r"\b(1[0-9]{3}|20[0-2][0-9])\b")
EVENT = re.compile(r"\b(?:was|were) (founded|established|formed|opened|completed|built|incorporated|launched) in "
                   r"(1[0-9]{3}|20[0-2][0-9])\b")
WORK = re.compile(r"\b(?:is|was) an? (1[89][0-9]{2}|20[0-2][0-9]) (?:[A-Z][\w-]* |[a-z-]+ ){0,4}?"
                  r"(film|album|song|single|novel|video game|musical|opera)\b")
POPULATION = re.compile(r"\b[Tt]he population was ([\d,]{3,12}) at the (\d{4}) census\b")
RELATION = re.compile(r"\b(directed|written|founded|created|composed|produced|designed|developed|published|"
                      r"written and directed) by ((?:[A-Z][\w.'-]*\s?){1,4})")
ROLES = {"directed": "director", "written": "writer", "founded": "founder", "created": "creator",
         "composed": "composer", "produced": "producer", "designed": "designer", "developed": "developer",
         "published": "publisher", "written and directed": "director"}
RELEASED = {"novel": "published", "opera": "composed", "musical": "first staged"}


def extract(passages: list[Passage]) -> Facts:
    found = Facts()
    if not passages:
        return found
    first = passages[0]
    title, text = first.title.strip(), first.text
    opening = text[:400]
    if not title or title not in opening[:200] or len(title) > 60:
        return found
    head = _sentences(opening, 2)
    group = "wiki"
    life = LIFE.match(text)
    if life and text.startswith(title.split(" (")[0]):
        years = YEAR.findall(life.group(1))
        born = years[0] if years and ("born" in life.group(1) or len(years) == 2) else None
        if born:
            found.facts.append(Fact(first.id, "person", title, "person", "born", born,
                                    "In what year was {s} born?", title, number=float(born),
                                    compare="Who was born first, {a} or {b}?", compare_key="born",
                                    larger_wins=False, group=group))
        if len(years) == 2 and "born" not in life.group(1):
            found.facts.append(Fact(first.id, "person", title, "person", "died", years[1],
                                    "In what year did {s} die?", title, number=float(years[1]),
                                    compare="Who died first, {a} or {b}?", compare_key="died",
                                    larger_wins=False, group=group))
    event = EVENT.search(head)
    if event:
        verb, year = event.group(1), event.group(2)
        found.facts.append(Fact(first.id, "thing", title, "entity", verb, year, f"In what year was {{s}} {verb}?",
                                title, number=float(year), compare=f"Which was {verb} first, {{a}} or {{b}}?",
                                compare_key=verb, larger_wins=False, group=group))
    work = WORK.search(head)
    if work:
        year, noun = work.group(1), work.group(2)
        verb = RELEASED.get(noun, "released")
        found.facts.append(Fact(first.id, "work", title, noun, "year", year, f"In what year was {{s}} {verb}?",
                                f"the {noun} {title}", number=float(year),
                                compare=f"Which {noun} was {verb} first, {{a}} or {{b}}?",
                                compare_key=f"year-{noun}", larger_wins=False, group=group))
    population = POPULATION.search(text)
    if population:
        count, census = population.group(1), population.group(2)
        found.facts.append(Fact(first.id, "place", title, "place", f"population-{census}", count,
                                f"What was the population of {{s}} at the {census} census?", title,
                                number=float(count.replace(",", "")),
                                compare=f"Which had the larger population at the {census} census, {{a}} or {{b}}?",
                                compare_key=f"population-{census}", group=group))
    relation = RELATION.search(head)
    if relation:
        other = _name(relation.group(2))
        found.blocks.append(FactBlock("relation", title, ROLES[relation.group(1)], title, first.id, head,
                                      mentions={other}))
    return found


def _name(words: str) -> str:
    """The name after "directed by": capitalised words up to the end of the sentence (an initial "W." goes on)."""
    kept = []
    for word in words.split():
        kept.append(word.rstrip(".,"))
        if word.endswith(",") or (word.endswith(".") and len(word) > 2):
            break
    return " ".join(kept)


def _sentences(text: str, n: int) -> str:
    """The first `n` sentences (a period followed by a space and a capital ends one)."""
    ends = [m.end() for m in re.finditer(r"[.!?](?=\s+[A-Z\"])", text)]
    return text[:ends[n - 1]] if len(ends) >= n else text

"""Bridge and unanswerable candidates from generic facts (candidates.py makes the template ones):

- bridge: a fact's value is another passage's subject (matched as the agent's entity hop matches a title: the
  whole name, case-insensitive, a title's "(film)" ignored); the question asks the second subject's fact through
  the first fact's relation, naming the second subject by its class when its definition gives one: "When was the
  German film director that directed Der bewegte Mann born?", "In which version was the shorthand method for
  'A' in the table in dns.resolve() added?";
- unanswerable, a subject the corpus holds asked a relation it does not state: relations that go together (most
  subjects with one have the other: born and died, added and deprecated) asked of a subject with the first and
  not the second. The verifier checks no passage that names the subject states the relation (its cue words), by
  an exact scan and in the question's search hits.
"""

from __future__ import annotations

import random
import re
from collections import Counter

from scent.synth.facts import Fact, Facts, extractor_of
from scent.synth.task import UNANSWERABLE, TaskCandidate, make_id, template_of
from scent.text import bare_title

CODE = re.compile(r"`([^`\n]{3,60})`")
MIN_TOGETHER = 3     # subjects holding both relations before one is asked of a subject that lacks it
TOGETHER_SHARE = 0.3  # and the share of the first relation's subjects that also hold the second
PER_TARGET = 3       # bridges through mentions to one second fact
PER_SUBJECT = 2      # unstated-relation questions per subject


def _key(name: str) -> str:
    """A subject as names are matched: case-insensitive, a title's "(film)" ignored (a call's "()" kept)."""
    return (name if name.endswith("()") else bare_title(name)).lower().strip()


def bridges(found: Facts, rng: random.Random) -> list[TaskCandidate]:
    targets: dict[str, list[Fact]] = {}
    classes: dict[str, str] = {}
    for fact in found.facts:
        if fact.extractor == "definition":
            if fact.noun != "thing":
                classes[_key(fact.subject)] = fact.noun
            continue
        if fact.named and fact.subject in fact.named and len(_key(fact.subject)) >= 4:
            targets.setdefault(_key(fact.subject), []).append(fact)
    out = []
    for first in found.facts:
        if not first.refer or not first.extractor:
            continue
        for second in targets.get(_key(first.value), []):
            if second.passage_id == first.passage_id or _key(second.subject) == _key(first.subject):
                continue
            noun = classes.get(_key(second.subject), "one")
            via = first.refer.format(s=first.named, noun=noun)
            question = second.question(via)
            question = question[0].upper() + question[1:]
            golds = (first.passage_id, second.passage_id)
            out.append(TaskCandidate(make_id("bridge", question, golds), "bridge", question, second.value, golds,
                                     second.passage_id, template_of(second), (first.subject, second.subject),
                                     hidden=(second.subject, first.value), also=second.also,
                                     extractor=f"{extractor_of(first)}>{extractor_of(second)}"))
    return out


def mentions(found: Facts, rng: random.Random) -> list[TaskCandidate]:
    """Bridges through a mention: subject A's own passage names subject B, the only subject of B's class it names;
    the question asks B's fact through A: "The text about Der bewegte Mann mentions a German film director. When
    was that director born?"."""
    from scent.text import names

    targets: dict[str, list[Fact]] = {}
    classes: dict[str, str] = {}
    for fact in found.facts:
        if fact.extractor == "definition" and fact.noun != "thing":
            classes[_key(fact.subject)] = fact.noun
        elif fact.named and fact.subject in fact.named and len(_key(fact.subject)) >= 4:
            targets.setdefault(_key(fact.subject), []).append(fact)
    for block in found.blocks:
        if block.family == "generic-class":
            classes.setdefault(_key(block.subject), block.noun)
    for key, facts in targets.items():
        if key.endswith("()") and key not in classes:
            classes[key] = "function"
        work = next((f.noun for f in facts if f.family == "work"), None)  # a film, an album: the template's noun
        if work is not None and key not in classes:
            classes[key] = work
    out: list[TaskCandidate] = []
    for block in found.blocks:
        if block.family != "generic-mention":
            continue
        if block.subject.endswith("?") or len(block.subject.split()) > 6:
            continue  # a heading that asks a question or says a sentence names no subject
        spans = {_key(n) for n in [*names(block.text), *CODE.findall(block.text)]} - {_key(block.subject)}
        named = spans & classes.keys() & targets.keys()
        heads: dict[str, list[str]] = {}
        for key in named:
            heads.setdefault(classes[key].split()[-1].lower(), []).append(key)
        calls = {k for k in spans if k.endswith("()")}  # every call it names is a function, known or not
        if len(calls) > 1:
            heads.pop("function", None)
        for head, keys in heads.items():
            if len(keys) != 1:
                continue  # "that director" must name one subject
            other = keys[0]
            noun = classes[other]
            article = "an" if noun[:1].lower() in "aeiou" else "a"
            for second in targets[other][:2]:
                if second.passage_id == block.passage_id:
                    continue
                question = (f"The text about {block.named} mentions {article} {noun}. "
                            + second.question(f"that {head}"))
                golds = (block.passage_id, second.passage_id)
                out.append(TaskCandidate(make_id("bridge", question, golds), "bridge", question, second.value,
                                         golds, second.passage_id, template_of(second),
                                         (block.subject, second.subject), hidden=(second.subject,),
                                         also=second.also, extractor=f"generic:mention>{extractor_of(second)}"))
    return _capped(out, rng)


def _capped(candidates: list[TaskCandidate], rng: random.Random) -> list[TaskCandidate]:
    """At most `PER_TARGET` bridges to one second fact: New York, mentioned by many pages, is not most bridges."""
    by_target: dict[tuple[str, str], list[TaskCandidate]] = {}
    for c in candidates:
        by_target.setdefault((c.answer_passage, c.answer), []).append(c)
    return [c for group in by_target.values() for c in rng.sample(group, min(PER_TARGET, len(group)))]


def unstated(found: Facts, rng: random.Random) -> list[TaskCandidate]:
    by_subject: dict[str, dict[str, Fact]] = {}
    for fact in found.facts:
        if fact.named and fact.subject in fact.named and fact.extractor != "definition":
            by_subject.setdefault(fact.subject, {}).setdefault(_relation(fact), fact)
    having: Counter[str] = Counter()
    together: Counter[tuple[str, str]] = Counter()
    for relations in by_subject.values():
        having.update(relations.keys())
        together.update((a, b) for a in relations for b in relations if a != b)
    out = []
    for subject, relations in by_subject.items():
        asked = 0
        for (a, b), n in sorted(together.items()):
            if asked >= PER_SUBJECT or a not in relations or b in relations:
                continue
            if n < MIN_TOGETHER or n < TOGETHER_SHARE * having[a]:
                continue
            model = next(f for rels in by_subject.values() if a in rels and b in rels for f in [rels[b]])
            held = relations[a]
            if model.family != held.family or (model.noun != held.noun and model.extractor != held.extractor):
                continue
            named = held.named
            question = model.question(named)
            cue = _cue(model)
            if not cue:
                continue
            asked += 1
            out.append(TaskCandidate(make_id(UNANSWERABLE, question, []), UNANSWERABLE, question, UNANSWERABLE, (),
                                     "", f"unstated:{template_of(model)}", (subject,), source_id=held.passage_id,
                                     extractor=extractor_of(model), cue=cue))
    return out


def _relation(fact: Fact) -> str:
    """A fact's relation as unstated relations pair them: a table's column within its table ("table:scope@Cache
    settings"), so a row of one table is not asked a column of another ("According to the table in Cache
    settings, what is the scope for idle_timeout?" of a row of the connection table)."""
    return fact.attribute if fact.extractor == "table" else fact.attribute.split("@")[0]


def _cue(fact: Fact) -> tuple[str, ...]:
    """The words that state a relation: the fact's cue, or its attribute's words (a template fact: "died")."""
    words = fact.cue or tuple(w for w in fact.attribute.replace("-", " ").split() if w.isalpha() and len(w) > 3)
    stems = {w.lower()[:-1] if w.lower().endswith(("ed", "es")) and len(w) > 5 else w.lower() for w in words}
    if "died" in {w.lower() for w in words}:
        stems |= {"death", "dead"}
    return tuple(sorted(stems))

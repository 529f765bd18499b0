"""Candidate tasks from extracted facts, per kind, in a seeded order that mixes templates:

- single: one fact, its subject named;
- bridge: a block about subject A names exactly one other subject B (a setting's text names another setting, a
  function's text another function, an article "directed by" another article's subject); the question asks B's
  attribute through A without naming B;
- comparison: two facts of one comparable attribute (default values of one unit, versions, years, populations);
  the answer is the winning subject;
- unanswerable: a single question about a perturbed subject (a component of the name swapped with another
  subject's) that the verifier checks the corpus does not hold.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from scent.synth.facts import Fact, Facts, extractor_of
from scent.synth.task import UNANSWERABLE as UNANSWERABLE
from scent.synth.task import TaskCandidate as TaskCandidate
from scent.synth.task import make_id as make_id
from scent.synth.task import template_of

KINDS = ("single", "bridge", "comparison", "unanswerable")
PARTNERS = 2  # comparisons per fact
TRIES = 3  # perturbations tried per fact
TOKEN = re.compile(r"[a-z0-9_.]+")


@dataclass
class Pools:
    """Candidates per kind, each list in its seeded, template-mixed order."""

    by_kind: dict[str, list[TaskCandidate]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {kind: len(items) for kind, items in self.by_kind.items()}


def build(found: Facts, kinds: Iterable[str], seed: int) -> Pools:
    rng = random.Random(seed)
    from scent.synth import linking

    makers = {"single": single, "bridge": bridge, "comparison": comparison, "unanswerable": unanswerable}
    extra = {"bridge": linking.bridges, "unanswerable": linking.unstated}
    more = {"bridge": linking.mentions}
    pools = Pools()
    for kind in kinds:
        made = makers[kind](found, rng)
        if kind in extra:
            made += extra[kind](found, rng)
        if kind in more:
            made += more[kind](found, rng)
        pools.by_kind[kind] = mix(made, rng)
    return pools


def mix(candidates: list[TaskCandidate], rng: random.Random) -> list[TaskCandidate]:
    """Shuffle within each template, then take the templates in turn, so that no one template (a parameter whose
    default is None) fills a kind's quota."""
    buckets: dict[str, list[TaskCandidate]] = {}
    for c in candidates:
        buckets.setdefault(c.template, []).append(c)
    for items in buckets.values():
        rng.shuffle(items)
    order = sorted(buckets)
    rng.shuffle(order)
    out: list[TaskCandidate] = []
    while any(buckets[t] for t in order):
        out.extend(buckets[t].pop() for t in order if buckets[t])
    return out


def single(found: Facts, rng: random.Random) -> list[TaskCandidate]:
    out = []
    for fact in found.facts:
        question = fact.question()
        out.append(TaskCandidate(make_id("single", question, [fact.passage_id]), "single", question, fact.value,
                                 (fact.passage_id,), fact.passage_id, template_of(fact), (fact.subject,),
                                 also=fact.also, extractor=extractor_of(fact)))
    return out


def bridge(found: Facts, rng: random.Random) -> list[TaskCandidate]:
    facts_of: dict[tuple[str, str], list[Fact]] = {}
    for fact in found.facts:
        facts_of.setdefault((fact.family, fact.subject), []).append(fact)
    settings = {b.subject for b in found.blocks if b.family == "pg-setting" and "_" in b.subject}
    titles = {fact.subject: fact.family for fact in found.facts if fact.family in ("person", "thing", "work", "place")}
    out = []
    for block in found.blocks:
        if block.family == "pg-setting":
            mentioned = ({t.rstrip(".") for t in TOKEN.findall(block.text)} & settings) - {block.subject}
        else:
            mentioned = block.mentions - {block.subject}
        if len(mentioned) != 1 or not block.closed:
            continue
        other = next(iter(mentioned))
        if block.family == "relation":
            family = titles.get(other)
            if family is None:
                continue
            targets = facts_of.get((family, other), [])
        else:
            targets = facts_of.get((block.family, other), [])
        for fact in targets:
            if fact.passage_id == block.passage_id:
                continue
            if block.family == "relation":
                question = fact.question(f"the {block.noun} of {block.named}")
            else:
                question = f"The documentation of {block.named} refers to another {fact.noun}. " + \
                    fact.question(f"that {fact.noun}")
            golds = (block.passage_id, fact.passage_id)
            out.append(TaskCandidate(make_id("bridge", question, golds), "bridge", question, fact.value, golds,
                                     fact.passage_id, template_of(fact), (block.subject, fact.subject),
                                     hidden=(fact.subject,), also=fact.also, extractor=extractor_of(fact)))
    return out


def comparison(found: Facts, rng: random.Random) -> list[TaskCandidate]:
    by_key: dict[str, list[Fact]] = {}
    for fact in found.facts:
        if fact.compare and fact.number is not None:
            by_key.setdefault(fact.compare_key, []).append(fact)
    out = []
    pairs: set[frozenset[str]] = set()
    for facts in by_key.values():
        by_group: dict[str, list[Fact]] = {}
        for fact in facts:
            by_group.setdefault(fact.group, []).append(fact)
        for fact in facts:
            def differs(f: Fact, fact: Fact = fact) -> bool:  # another subject, another passage, another number
                return f.subject != fact.subject and f.passage_id != fact.passage_id and f.number != fact.number

            others = [f for f in by_group[fact.group] if differs(f)] or [f for f in facts if differs(f)]
            for other in rng.sample(others, min(PARTNERS, len(others))):
                assert fact.number is not None and other.number is not None
                pair = frozenset((f"{fact.compare_key}:{fact.subject}", f"{fact.compare_key}:{other.subject}"))
                if pair in pairs:
                    continue
                pairs.add(pair)
                first, second = (fact, other) if rng.random() < 0.5 else (other, fact)
                wins = (fact.number > other.number) == fact.larger_wins
                winner, loser = (fact, other) if wins else (other, fact)
                question = fact.compare.format(a=first.label, b=second.label)
                golds = tuple(sorted((fact.passage_id, other.passage_id)))
                out.append(TaskCandidate(make_id("comparison", question, golds), "comparison", question, winner.label,
                                         golds, winner.passage_id, template_of(fact), (first.subject, second.subject),
                                         values=(fact.value, other.value), alternatives=(loser.label,),
                                         extractor=extractor_of(fact)))
    return out


def unanswerable(found: Facts, rng: random.Random) -> list[TaskCandidate]:
    by_family: dict[str, list[str]] = {}
    by_kin: dict[tuple[str, str, str], list[str]] = {}  # the same family, document and noun: the likeliest names
    for fact in found.facts:
        by_family.setdefault(fact.family, []).append(fact.subject)
        by_kin.setdefault((fact.family, fact.group, fact.noun), []).append(fact.subject)
    known = {s for subjects in by_family.values() for s in subjects}
    out = []
    for fact in found.facts:
        if fact.family in ("pg-column", "sql-call") or not fact.named or fact.subject not in fact.named:
            continue  # a column that another catalog has, a call expression: no clean made-up subject
        if fact.extractor == "table" and " " in fact.subject:
            continue  # a row's words ("Reading only" → "Operate only") made up are no name
        kin = by_kin[(fact.family, fact.group, fact.noun)]
        donors = kin if len(set(kin)) >= 3 else by_family[fact.family]
        tries = (perturb(fact.subject, donors, rng) for _ in range(TRIES))
        made_up = next((m for m in tries if m is not None and m not in known), None)
        if made_up is None:
            continue
        question = fact.question(fact.named.replace(fact.subject, made_up))
        out.append(TaskCandidate(make_id(UNANSWERABLE, question, []), UNANSWERABLE, question, UNANSWERABLE, (), "",
                                 template_of(fact), (made_up,), perturbed=made_up, source_id=fact.passage_id,
                                 extractor=extractor_of(fact)))
    return out


def perturb(subject: str, donors: list[str], rng: random.Random) -> str | None:
    """`subject` with one part (an underscore component, a dotted component's word, or a name's first word)
    replaced by the same part of another subject of its family: a plausible name that may not exist."""
    donor = rng.choice(donors)
    if donor == subject:
        return None
    if any(name.replace("()", "").count(p) for name in (subject, donor) for p in "()"):
        return None  # a name with arguments or a stray bracket ("validateHeaderName())") swaps into no name
    if subject.endswith("()") or donor.endswith("()"):  # a call: its name made up, its "()" kept
        if not (subject.endswith("()") and donor.endswith("()")) or subject.count("(") != 1:
            return None
        made = perturb(subject[:-2], [donor[:-2]], rng)
        return made + "()" if made is not None and "(" not in made else None
    if "." in subject and " " in subject:
        return None  # a dotted phrase ("dns.DNS promises API") has no part to swap that keeps it a name
    if " " in subject:  # a title: swap the first word ("Franco Corelli" → "Giacomo Corelli"; not "Falcon Falcon")
        words, other = subject.split(" "), donor.split(" ")
        if (len(words) > 4 or not other[0].isalpha() or not words[0].isalpha() or other[0] in words
                or not other[0][:1].isupper() or other[0].lower() in ("the", "a", "an", "in", "on", "at", "of")):
            return None
        return " ".join([other[0], *words[1:]])
    head, dot, last = subject.rpartition(".")
    parts = last.split("_")
    donor_parts = [p for p in donor.rpartition(".")[2].split("_") if p and p not in parts
                   and p.islower() == last.islower()  # no "prepare_PyDLL_source" from a lower-case name
                   and " " not in p]  # no "2.Project Falcon" from a version key and a title
    if not donor_parts:
        return None
    parts[rng.randrange(len(parts))] = rng.choice(donor_parts)
    made_up = head + dot + "_".join(parts)
    return made_up if made_up != subject else None

"""Reading by likelihood: the answers the writer's views found, and their fuller forms in the sentences that hold
them, scored by the writer model's own log-probability of each as its whole reply to the passages.

Free generation from a 0.5B model often stops short ("Marion" for "Marion, South Australia", "70" for "more than
70 countries"); teacher-forcing each candidate with the end-of-turn token after it asks the model which complete
answer it finds most likely, so a half-answer loses to its full phrase when the model prefers the full one. The
given answer's share of the candidates' probability, its own probability and its probability against replying
"unknown" are calibration signals (`signals`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from scent.agent.answer import Candidate, Votes, agreement_with, arrangements, ground, is_yes_no, listing
from scent.agent.compare import options
from scent.agent.context import RunContext
from scent.agent.prompts import messages
from scent.text import normalize_answer, sentence_spans
from scent.types import Message, Passage

MAX_CANDIDATES = 8
UNKNOWN = "unknown"  # what the answer prompt tells the writer to reply when the passages do not hold the answer

# After a grounded name: ", South Australia" (a place's region), " (born 1882)" is not taken
_REGION = re.compile(r"^,\s+((?:[A-Z][\w.'-]*\s?){1,3})(?=[,.;:)]|\s+[a-z]|$)")
# Before a number: the words that qualify it; after it, its unit (one word)
_QUALIFIER = re.compile(r"(?:more than|less than|fewer than|over|under|about|around|approximately|nearly|almost|"
                        r"at least|at most|up to|some)\s+$", re.I)
_UNIT = re.compile(r"^(?:\s*%|\s+(?:[a-z][\w-]*))")
_NAME_BEFORE = re.compile(r"((?:[A-Z][\w.'-]*\s+){1,3})$")
_NAME_AFTER = re.compile(r"^((?:\s+[A-Z][\w.'-]*){1,2})")


@dataclass(frozen=True)
class Reading:
    """The candidates, best first, with their log-probabilities; `probability` is the winner's share of the
    candidates' probability mass (1.0 when it stands alone), `margin` its log-probability lead over the next."""

    texts: list[str]
    logprobs: list[float]
    unknown: float | None = None  # the log-probability of replying "unknown", as the answer prompt allows

    @classmethod
    def ranked(cls, texts: list[str], logprobs: list[float], unknown: float | None = None) -> Reading:
        """The candidates in scoring order, put best first."""
        order = sorted(range(len(texts)), key=lambda i: -logprobs[i])
        return cls([texts[i] for i in order], [logprobs[i] for i in order], unknown)

    @property
    def best(self) -> str:
        return self.texts[0]

    @property
    def margin(self) -> float:
        return self.logprobs[0] - self.logprobs[1] if len(self.logprobs) > 1 else 10.0

    @property
    def probability(self) -> float:
        top = self.logprobs[0]
        return 1.0 / sum(math.exp(lp - top) for lp in self.logprobs)


def expansions(answer: str, passages: list[Passage]) -> list[str]:
    """Fuller forms of `answer` in the sentences that hold it: the rest of a name around it ("Virginia Woolf" →
    "Adeline Virginia Woolf"), a place's region after a comma ("Marion" → "Marion, South Australia"), a number's
    qualifier and unit ("70" → "more than 70 countries"). Each is a span of the passage, so it stays grounded."""
    if not answer or normalize_answer(answer) in ("yes", "no"):
        return []
    pattern = re.compile(r"(?<!\w)" + re.escape(answer) + r"(?!\w)")
    out: list[str] = []
    for p in passages:
        for start, end in sentence_spans(p.text, 0, len(p.text)):
            sentence = p.text[start:end]
            for m in pattern.finditer(sentence):
                before, after = sentence[: m.start()], sentence[m.end() :]
                out += _around(answer, before, after)
    return list(dict.fromkeys(x for x in out if x != answer))[:4]


def _around(answer: str, before: str, after: str) -> list[str]:
    found = []
    if answer[:1].isupper():
        if region := _REGION.match(after):
            found.append(f"{answer}, {region.group(1).strip()}")
        name_before = _NAME_BEFORE.search(before)
        name_after = _NAME_AFTER.match(after)
        if name_before or name_after:
            found.append(f"{name_before.group(1) if name_before else ''}{answer}"
                         f"{name_after.group(1) if name_after else ''}".strip())
    if re.fullmatch(r"[\d.,]+", answer):
        qualifier = _QUALIFIER.search(before)
        unit = _UNIT.match(after)
        if unit:
            found.append(f"{answer}{unit.group(0)}".strip())
        if qualifier:
            found.append(f"{qualifier.group(0)}{answer}{unit.group(0) if unit else ''}".strip())
    return found


def candidates(question: str, views: list[Candidate], passages: list[Passage]) -> list[Candidate]:
    """What to score: for a yes/no question yes and no; for "A or B" both options; otherwise each distinct
    grounded answer of the views, then the fuller forms of each — at most MAX_CANDIDATES, grounded."""
    if is_yes_no(question):
        return [Candidate(0, "yes", "yes"), Candidate(0, "no", "no")]
    pair = options(question)
    if pair is not None:
        return [Candidate(0, option, option) for option in pair]
    out: list[Candidate] = []
    for view in views:
        if view.text and not any(normalize_answer(c.text) == normalize_answer(view.text) for c in out):
            out.append(view)
    for view in list(out):
        for fuller in expansions(view.text, passages):
            if not any(normalize_answer(c.text) == normalize_answer(fuller) for c in out):
                text, holders = ground(fuller, passages)
                if text:
                    out.append(Candidate(view.view, fuller, text, holders))
    return out[:MAX_CANDIDATES]


def scoring_prompt(question: str, passages: list[Passage], views: int, limit: int) -> list[Message]:
    """The answer prompt over all chosen passages — the last such arrangement the views wrote, so the model's
    cache still holds it and scoring costs only the candidates' tokens."""
    arranged = [a for a in arrangements(passages, views) if len(a) == len(passages)][-1:] or [passages]
    yes_no = is_yes_no(question)
    return messages("answer_yesno" if yes_no else "answer", system="system_text", question=question,
                    passages=listing(arranged[0], question, limit))


def read(ctx: RunContext, question: str, passages: list[Passage], views: list[Candidate]) -> tuple[Reading,
                                                                                                  list[Candidate]]:
    """The candidates scored by the writer model, best first; empty when there is nothing to score or the writer
    cannot score (then the views' vote stands alone)."""
    found = candidates(question, views, passages)
    if not found:
        return Reading([], []), []
    prompt = scoring_prompt(question, passages, len(views), ctx.config.passage_chars)
    asks_unknown = not is_yes_no(question)  # the yes/no prompt offers no "unknown"
    scores = ctx.score("writer", prompt, [c.text for c in found] + [UNKNOWN] * asks_unknown)
    if scores is None:
        return Reading([], []), []
    unknown = scores.pop() if asks_unknown else None
    reading = Reading.ranked([c.text for c in found], scores, unknown)
    ctx.trace.emit("score", candidates=reading.texts, logprobs=reading.logprobs, unknown=unknown)
    by_text = {c.text: c for c in found}
    return reading, [by_text[t] for t in reading.texts]


def signals(reading: Reading, at: int) -> dict[str, float]:
    """The likelihood signals of the answer `reading.texts[at]`: `likely`, its share of the candidates'
    probability; `answer_prob`, the model's probability of it as the whole reply; `answerable`, its probability
    against replying "unknown" (the model's own graded "not in these passages"; 1 when not asked)."""
    share = math.exp(reading.logprobs[at] - reading.logprobs[0]) * reading.probability
    lp = reading.logprobs[at]
    answerable = 1.0 if reading.unknown is None else 1 / (1 + math.exp(reading.unknown - lp))
    return {"likely": round(share, 4), "answer_prob": round(math.exp(lp), 4), "answerable": round(answerable, 4)}


RULES = ("vote", "fuller", "likelihood")


def choose(rule: str, vote: str, reading: Reading) -> str:
    """The answer a rule gives: "vote" the views' `vote`; "fuller" the vote or a fuller form of it that the model
    finds likelier ("Marion" → "Marion, South Australia"); "likelihood" the likeliest candidate."""
    if rule == "vote" or not reading.texts:
        return vote
    if rule == "likelihood":
        return reading.best
    inside = [t for t in reading.texts if contains(t, vote)]  # best first
    return inside[0] if inside else vote


def contains(fuller: str, answer: str) -> bool:
    """`fuller` holds `answer`'s words in order ("Adeline Virginia Woolf" holds "Virginia Woolf")."""
    a, b = normalize_answer(fuller), normalize_answer(answer)
    return bool(b) and f" {b} " in f" {a} "


def reread(ctx: RunContext, question: str, passages: list[Passage], votes: Votes) -> tuple[Votes, dict[str, float]]:
    """The views' vote read again by likelihood (`ctx.config.read_by`), and the likelihood signals of the answer
    it gives (`signals`). Unchanged, with no signals, when the writer cannot score."""
    if votes.winner is None:
        return votes, {}
    reading, ranked = read(ctx, question, passages, votes.candidates)
    if not reading.texts:
        return votes, {}
    text = choose(ctx.config.read_by, votes.winner.text, reading)
    at = next((i for i, t in enumerate(reading.texts) if normalize_answer(t) == normalize_answer(text)), None)
    if at is None:  # the vote is not among the scored (a yes/no vote the views grounded differently)
        return votes, {}
    winner = ranked[at] if normalize_answer(text) != normalize_answer(votes.winner.text) else votes.winner
    if winner is not votes.winner:
        holders = winner.passages or votes.winner.passages
        winner = Candidate(winner.view, winner.raw, winner.text, holders)
        ctx.trace.emit("vote", answer=winner.text, agreement=agreement_with(votes.candidates, winner),
                       settled=votes.settled, doubted=votes.doubted)
        votes = replace(votes, winner=winner, agreement=max(agreement_with(votes.candidates, winner),
                                                            votes.agreement if contains(text, votes.winner.text)
                                                            else 0.0))
    return votes, signals(reading, at)

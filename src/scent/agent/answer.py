"""Grounded answers: several writer views vote, and only an answer found in the passages (or yes/no) counts.

A view is one plain-text writer call over one arrangement of the chosen passages (all of them best first, the
best pair alone, the reverse order, …): a 0.5B model answers better in free words than under a JSON grammar, and
different arrangements fail differently. Each reply is cleaned to a short answer and grounded: kept as the
passage's own words when it occurs in a passage, snapped to the passage span it nearly copies, else dropped.
The grounded candidates vote; agreement is a calibration signal. A contested answer (no clear plurality) is still
given, its low agreement lowering the confidence; the views abstain only when more of them say the passages do
not hold the answer ("unknown") than back the best grounded one.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from scent.agent import compare, entries
from scent.agent.compare import Decision, same_value
from scent.agent.context import RunContext
from scent.agent.prompts import numbered_passages, template
from scent.agent.relevance import context_relevance, rank_spans
from scent.agent.tuning import SNAP_MIN_F1
from scent.text import UNKNOWN_REPLIES, normalize_answer, says_unknown
from scent.types import Passage

_YES_NO_START = re.compile(r"^(are|is|was|were|do|does|did|can|could|has|have|had|will|would|should)\b", re.I)
_PREFIX = re.compile(r"^(final answer|short answer|answer|a)\s*[:：-]\s*", re.I)
_WORD = re.compile(r"\w+")


@dataclass
class Candidate:
    """One view's answer, grounded."""

    view: int
    raw: str
    text: str  # the grounded answer ("" when it could not be grounded)
    passages: list[str] = field(default_factory=list)  # ids of the passages that hold it


def echoes_instructions(raw: str) -> bool:
    """The reply copies the answer prompt's own instructions ("a short phrase taken from the passages …"): a 0.5B
    writer sometimes does, and such a reply is no answer (it could even ground in a passage that uses the words)."""
    words = normalize_answer(raw)
    return len(words.split()) >= 4 and words in normalize_answer(template("answer"))


def is_yes_no(question: str) -> bool:
    return bool(_YES_NO_START.match(question.strip()))


def arrangements(passages: list[Passage], views: int) -> list[list[Passage]]:
    """Distinct orders/subsets of the chosen passages, best first: all, the best pair, reversed, rotated."""
    options = [passages, passages[:2], passages[::-1], passages[1:] + passages[:1], passages[:3]]
    out: list[list[Passage]] = []
    for option in options:
        if option and [p.id for p in option] not in [[p.id for p in o] for o in out]:
            out.append(option)
    return out[:views]


def excerpt(passage: Passage, question: str, limit: int) -> str:
    """The passage text — only the entries the question names when it is a list of reference entries
    (`scent.agent.entries.scope`) — or when longer than `limit`, a window around its sentence most relevant to
    the question."""
    scoped = entries.scope(question, passage.text)
    if scoped != passage.text:
        passage = dataclasses.replace(passage, text=scoped)
    text = " ".join(passage.text.split())
    if len(text) <= limit:
        return text
    spans = rank_spans(question, [passage], 1)
    at = text.find(spans[0].text) if spans else 0
    start = max(0, min(at - limit // 3, len(text) - limit))
    return text[start : start + limit]


def listing(passages: list[Passage], question: str, limit: int) -> str:
    """Numbered passages; everything that comes from a document (title included, its newlines collapsed) is
    inside the <passage> delimiters."""
    return numbered_passages([(p.title, excerpt(p, question, limit)) for p in passages])


def clean(reply: str, yes_no: bool) -> str:
    """The short answer in a reply: first line, no "Answer:" prefix, quotes or closing full stop; for a yes/no
    question, yes or no when the reply starts with one."""
    line = next((ln.strip() for ln in reply.strip().splitlines() if ln.strip()), "")
    line = _PREFIX.sub("", line).strip(" *\"'“”`").rstrip(".").strip()
    if yes_no:
        first = (_WORD.findall(line.lower()) or [""])[0]
        if first in ("yes", "no"):
            return str(first)
    return line[:200]


_NUMBERS = "zero one two three four five six seven eight nine ten eleven twelve"
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(_NUMBERS.split())}


def _token(word: str) -> str:
    """A word as grounding compares it: normalised, number words as digits ("five" = "5")."""
    norm = normalize_answer(word)
    return _NUMBER_WORDS.get(norm, norm)


def ground(answer: str, passages: list[Passage]) -> tuple[str, list[str]]:
    """(the answer as the passages word it, ids of the passages holding it in their title or text); ("", []) when
    none holds it or a span it nearly copies (token F1 ≥ SNAP_MIN_F1, every number of the answer kept: "5
    minutes" may become "five minutes", never "minutes"). yes/no is grounded as itself."""
    norm = normalize_answer(answer)
    if norm in ("yes", "no"):
        return norm, []
    if norm in UNKNOWN_REPLIES or not norm:
        return "", []
    pattern = re.compile(r"(?<!\w)" + r"\W+".join(map(re.escape, _WORD.findall(answer))) + r"(?!\w)", re.I)
    exact = [(p, m) for p in passages if (m := pattern.search(f"{p.title}\n{p.text}"))]
    if exact:
        return _balanced(exact[0][1]), [p.id for p, _ in exact]
    wanted = Counter(_token(w) for w in _WORD.findall(answer) if _token(w))
    numbers = {t for t in wanted if t.isdigit()}
    n = sum(wanted.values())
    best, best_f1, holder = "", 0.0, None
    for p in passages:
        text = f"{p.title}\n{p.text}"
        words = list(_WORD.finditer(text))
        tokens = [_token(w.group(0)) for w in words]
        for length in range(max(1, n - 2), n + 3):
            for i in range(0, max(0, len(words) - length + 1)):
                window = Counter(t for t in tokens[i : i + length] if t)
                common = sum((window & wanted).values())
                if not common or not numbers <= window.keys():
                    continue
                f1 = 2 * common / (length + n)
                if f1 > best_f1:
                    best, best_f1, holder = text[words[i].start() : words[i + length - 1].end()], f1, p
    if holder is None or best_f1 < SNAP_MIN_F1:
        return "", []
    return _trim(best), [holder.id]


def _balanced(match: re.Match[str]) -> str:
    """The matched span, with the closing bracket it opened ("one second (1s" → "one second (1s)")."""
    span = match.group(0)
    after = match.string[match.end() : match.end() + 1]
    return span + after if span.count("(") > span.count(")") and after == ")" else span


_JOINERS = frozenset(("a", "an", "the", "of", "in", "on", "at", "to", "for", "by", "and", "or", "with", "from"))


def _trim(span: str) -> str:
    """A snapped span without dangling joiners: "Chief of Protocol of" → "Chief of Protocol"."""
    words = span.split()
    while len(words) > 1 and words[-1].lower().strip(",.;:") in _JOINERS:
        words.pop()
    while len(words) > 1 and words[0].lower() in _JOINERS:
        words.pop(0)
    return " ".join(words).rstrip(",.;:")


def write_views(ctx: RunContext, question: str, passages: list[Passage], first: int = 1,
                count: int | None = None) -> list[Candidate]:
    """One writer call per arrangement (views `first` … `first + count - 1`, default the configured number);
    every reply is cleaned and grounded in *all* chosen passages."""
    yes_no = is_yes_no(question)
    count = ctx.config.views if count is None else count
    candidates = []
    for view, arranged in enumerate(arrangements(passages, first - 1 + count)[first - 1 :], first):
        reply = ctx.say("writer", "answer_yesno" if yes_no else "answer", max_tokens=8 if yes_no else 32,
                        question=question, passages=listing(arranged, question, ctx.config.passage_chars))
        raw = clean(reply or "", yes_no)
        raw = "" if echoes_instructions(raw) else raw
        text, holders = ground(raw, passages)
        if yes_no and text not in ("yes", "no"):
            text, holders = "", []
        elif text and not yes_no:
            text = fit_to_question(question, text)
            holders = holders if text else []
        candidates.append(Candidate(view, raw, text, holders))
        ctx.trace.emit("view", view=view, passages=[p.id for p in arranged], reply=reply, answer=raw,
                       grounded=text, holders=holders)
    return candidates


def fit_to_question(question: str, answer: str) -> str:
    """The answer as the question allows it ("" when it does not): for an "A or B" question, the option the answer
    names or is part of ("Collie" → "Scotch Collie"); otherwise, unless the question offers a choice ("or"), not
    the question's own words — a question does not hold its answer, and a 0.5B writer often replies with the
    subject it was asked about."""
    pair = compare.options(question)
    if pair is not None:
        return next((option for option in pair if same_value(option, answer)), "")
    if re.search(r"\bor\b", question, re.I):  # a choice among words the program did not take for options
        return answer
    words = normalize_answer(answer).split()
    return "" if words and set(words) <= set(normalize_answer(question).split()) else answer


def _agrees(a: Candidate, b: Candidate) -> bool:
    """Same answer; one containing another counts ("Greenwich Village" and "Greenwich Village, New York City"),
    except for yes/no."""
    x, y = normalize_answer(a.text), normalize_answer(b.text)
    return x == y or (x not in ("yes", "no") and y not in ("yes", "no") and same_value(x, y))


def vote(candidates: list[Candidate], context: Callable[[str], float] | None = None) -> tuple[Candidate | None,
                                                                                              float]:
    """The grounded answer most views agree with, ties to the answer whose `context` scores higher (see
    `relevance.context_relevance`), then to the earlier view; and the share of views that agree with it."""
    grounded = [c for c in candidates if c.text]
    if not grounded:
        return None, 0.0
    support = [sum(_agrees(c, other) for other in grounded) for c in grounded]
    tied = [i for i in range(len(grounded)) if support[i] == max(support)]
    scores = {i: context(grounded[i].text) for i in tied} if context is not None and len(tied) > 1 else {}
    best = max(tied, key=lambda i: (scores.get(i, 0.0), -i))
    return grounded[best], support[best] / len(candidates)


def agreement_with(candidates: list[Candidate], answer: Candidate) -> float:
    """The share of the views whose grounded answer agrees with `answer`."""
    return sum(_agrees(answer, c) for c in candidates if c.text) / len(candidates) if candidates else 0.0


def plurality(candidates: list[Candidate], winner: Candidate) -> bool:
    """At least two views back the winner, and more than back any answer it does not agree with."""
    grounded = [c for c in candidates if c.text]
    backing = sum(_agrees(winner, c) for c in grounded)
    rivals = [sum(_agrees(c, o) for o in grounded) for c in grounded if not _agrees(winner, c)]
    return backing >= 2 and backing > max(rivals, default=0)


@dataclass
class Votes:
    """The writer's views and what they settle on: `winner` None when no view could be grounded; `settled` False
    when the answer is contested (no `min_agreement` share, and after tie-break views no strict plurality of two
    or more); `doubted` when more views say "unknown" than back the winner — the writer's own reading is that the
    passages may not hold the answer."""

    candidates: list[Candidate]
    winner: Candidate | None
    agreement: float
    settled: bool
    doubted: bool = False


def recorded_candidates(views: list[dict[str, Any]],
                        grounded: Callable[[dict[str, Any]], str] | None = None) -> list[Candidate]:
    """The writer's views as a trace's `view` events or an eval row's `views` record them ({"view", "answer",
    "grounded"}), as the candidates `write_views` made: a reply that copies the prompt's instructions is no reply.
    `grounded` reads a view's grounded answer differently (an ablation); by default the recorded one."""
    out = []
    for v in views:
        echo = echoes_instructions(str(v["answer"] or ""))
        out.append(Candidate(v["view"], "" if echo else v["answer"], "" if echo else
                             (grounded(v) if grounded is not None else v["grounded"])))
    return out


def views_abstain(votes: Votes) -> Literal["ungrounded", "writer_failed", "disagree"] | None:
    """Why the writer's views alone abstain, or None when they give an answer (`votes.winner`): "writer_failed"
    when no view replied, "ungrounded" when no reply is in the passages, "disagree" when more views say "unknown"
    than back the best grounded answer."""
    if votes.winner is None:
        return "ungrounded" if any(c.raw for c in votes.candidates) else "writer_failed"
    return "disagree" if votes.doubted else None


def tally(candidates: list[Candidate], settled: bool | None = None,
          context: Callable[[str], float] | None = None) -> Votes:
    """The vote of these views (ties broken by `context`); `settled` as given, else by a strict plurality of two
    or more."""
    winner, agreement = vote(candidates, context)
    if winner is None:
        return Votes(candidates, None, 0.0, False)
    backing = sum(_agrees(winner, c) for c in candidates if c.text)
    unknown = sum(says_unknown(c.raw) for c in candidates)
    return Votes(candidates, winner, agreement, plurality(candidates, winner) if settled is None else settled,
                 doubted=unknown > backing)


def write_and_vote(ctx: RunContext, question: str, passages: list[Passage]) -> Votes:
    """The configured views vote; when they fall short of `min_agreement`, tie-break views are asked, and the
    answer is then settled only by two views and a strict plurality of all of them (a contested answer is still
    the most-backed one, earlier views first)."""
    def context(answer: str) -> float:
        return context_relevance(question, answer, passages)

    candidates = write_views(ctx, question, passages)
    votes = tally(candidates, settled=True, context=context)
    if votes.winner is None or len(candidates) < 3 or votes.agreement >= ctx.config.min_agreement:
        return votes
    if not ctx.config.tiebreak_views:
        return tally(candidates, settled=False, context=context)
    candidates += write_views(ctx, question, passages, len(candidates) + 1, ctx.config.tiebreak_views)
    return tally(candidates, context=context)


def decide_same(ctx: RunContext, question: str, passages: list[Passage]) -> Decision | None:
    """A "same X" question decided by the program: each subject's X read by the writer from that subject's own
    passage (grounded there), then compared (`scent.agent.compare`). None when the question is not of that form,
    the subjects do not have two different passages, or a reply cannot be grounded."""
    same = compare.same_question(question)
    found = compare.option_passages(same.subjects, passages) if same is not None else None
    if same is None or found is None:  # checked before any model call
        return None
    read: list[tuple[str, str]] = []
    for subject, passage in zip(same.subjects, found, strict=True):
        narrow = same.asks(subject)
        reply = ctx.say("writer", "answer", max_tokens=32, question=narrow,
                        passages=listing([passage], narrow, ctx.config.passage_chars))
        value, _ = ground(clean(reply or "", False), [passage])
        ctx.trace.emit("view", view=f"same:{subject}", passages=[passage.id], reply=reply, answer=value,
                       grounded=value, holders=[passage.id] if value else [])
        if not value:
            return None
        read.append((passage.id, value))
    answer = "yes" if same_value(read[0][1], read[1][1]) else "no"
    return Decision(answer, [read[0][0], read[1][0]], [read[0][1], read[1][1]])

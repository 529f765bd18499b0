"""The writer's rephrasing of a rule-written question (`scent synth --rephrase`, with a model).

A question written by a rule reads like one ("What is the facilitator of Falcon kickoff?"); the writer role may
put it in other words. A rephrasing is a new question, so it is kept only if it still holds as a task: it is one
question, it names every subject the rule named (and a made-up subject exactly as made up), it brings in no name or
number of its own, and the verification rules that read the question (leaks, one search, the absence checks, the
judge, closed-book) pass on it again. Otherwise the rule's question is kept; the report counts both outcomes by
reason. The answer and gold passages never change, so the answer stays a span of its gold passage.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from scent.text import normalize_answer

if TYPE_CHECKING:
    from scent.protocols import LLM
    from scent.synth.task import TaskCandidate

REPHRASE_SYSTEM = ("You rewrite questions in plain, natural English. Keep every name, identifier and number exactly "
                   "as written. Do not answer the question and add nothing to it. Reply with the rewritten question "
                   "only.")
REPHRASE_TOKENS = 64
# rejection reasons of a rephrasing (rules of verify.py that fail on it are reported as rephrase:RULE)
REPHRASE_RULES = ("rephrase_not_a_question", "rephrase_unchanged", "rephrase_drops_subject", "rephrase_adds_name",
                  "rephrase_adds_word")
_WORD = re.compile(r"[a-z]{3,}")
_FUNCTION_WORDS = {"what", "which", "who", "whom", "whose", "when", "where", "how", "why", "the", "and", "was", "were",
                   "are", "does", "did", "has", "had", "have", "that", "this", "its", "for", "from", "with", "into",
                   "than", "more", "most", "name", "named", "year", "date", "time", "tell", "can", "you", "could",
                   "please", "there", "been", "being", "one", "first", "earlier", "later", "larger", "bigger",
                   "greater", "higher", "value", "version", "according"}
_PREFIX = re.compile(r"^\s*(?:(?:rewritten|rephrased|new|revised)\s+question|question|rewrite|answer)\s*:\s*",
                     re.IGNORECASE)
# a name or number of the rephrasing: a capitalised word not opening it, a word with a digit, dot, _ or ()
_NAMED = re.compile(r"(?<=\s)[A-Z][\w'.-]*|[\w.]*\d[\w.,:-]*|\w+(?:[._]\w+)+(?:\(\))?|\w+\(\)")
_ASKING = {"what", "which", "who", "whom", "whose", "when", "where", "how", "in", "on", "at", "by", "for", "according",
           "is", "are", "was", "were", "does", "do", "did", "can", "could", "the", "a", "an", "i", "of", "to", "from"}


def messages(question: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": REPHRASE_SYSTEM},
            {"role": "user", "content": f"Rewrite this question in other words:\n{question}"}]


def ask(writer: LLM, question: str) -> str:
    """The writer's rephrasing, cleaned: its first line, without a 'Rewritten question:' label or quotes."""
    reply = writer.complete(messages(question), max_tokens=REPHRASE_TOKENS).text
    line = next((s for s in reply.strip().splitlines() if s.strip()), "")
    return _PREFIX.sub("", line).strip().strip('"“”\'`*').strip()


def problem(c: TaskCandidate, text: str) -> str | None:
    """Why the rephrasing `text` of `c.question` cannot stand for it, or None (the verification rules follow)."""
    words = text.split()
    if not text.endswith("?") or text.count("?") != 1 or not 4 <= len(words) <= 2 * len(c.question.split()) + 6:
        return "rephrase_not_a_question"
    if normalize_answer(text) == normalize_answer(c.question):
        return "rephrase_unchanged"
    named = [c.perturbed] if c.perturbed else [s for s in c.subjects if s not in c.hidden]
    if c.kind == "bridge":
        named = named[:1]  # a bridge names its first subject only
    low = text.lower()
    if any(s and s.lower() not in low for s in named):
        return "rephrase_drops_subject"
    source = c.question.lower()
    if any(m.strip(".,:;'").lower() not in source for m in _NAMED.findall(text)
           if m.strip(".,:;'") and m.strip(".,:;'").lower() not in _ASKING):
        return "rephrase_adds_name"
    # a content word of its own changes what is asked: "Which park has the larger area, … or Banín (a village)?"
    stems = {w[:5] for w in _WORD.findall(source)}
    if any(w[:5] not in stems for w in _WORD.findall(low) if w not in _FUNCTION_WORDS):
        return "rephrase_adds_word"
    return None

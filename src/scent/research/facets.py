"""What a broad question asks: its **subject** (what every section must be about: "index" in "What index types
does PostgreSQL offer, and when should each be used?") and its **facets** (what each section must say: *what* each
index type is, *when to use* it).

All by rule, from the question's words — no model. The subject is the question's content words less the words any
broad question uses ("offer", "provide"), the facet words ("when", "use"), the words that only name a kind of
thing ("types", "levels", "methods": a question about index *types* is not about JSON *types*) and the words that
occur in much of the corpus (the product's own name: "PostgreSQL", "Python"), which the caller passes as `common`.
A candidate section is about the subject when a subject word (or a listed synonym) is in its heading path or
recurs in its passages (`about`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from scent.research.tuning import SUBJECT_MENTIONS

# words naming a kind of thing, not the thing: "index types", "isolation levels", "authentication methods"
GENERIC = frozenset({"type", "types", "kind", "kinds", "sort", "sorts", "method", "methods", "way", "ways", "level",
                     "levels", "feature", "features", "option", "options", "mode", "modes", "form", "forms",
                     "variety", "varieties", "category", "categories", "mechanism", "mechanisms", "approach",
                     "approaches", "strategy", "strategies", "facility", "facilities", "tool", "tools"})
# words of the question's frame, not its subject
FRAME = frozenset({"what", "which", "when", "where", "why", "how", "who", "does", "do", "did", "is", "are", "was",
                   "were", "can", "could", "should", "would", "will", "may", "might", "must", "the", "a", "an", "and",
                   "or", "of", "in", "on", "for", "to", "with", "by", "from", "each", "every", "all", "any", "its",
                   "their", "it", "they", "them", "be", "been", "being", "there", "this", "that", "these", "those",
                   "offer", "offers", "provide", "provides", "support", "supports", "have", "has", "give", "gives",
                   "use", "used", "using", "work", "works", "main", "available", "different", "difference",
                   "differences", "compare", "compared", "between", "choose", "chosen", "best", "one", "ones",
                   "some", "much", "many", "more", "most", "about", "exist", "exists", "i", "you", "we", "my",
                   "your", "our", "me", "get", "got", "make", "makes", "handle", "handled", "handles", "happen",
                   "happens", "explain", "describe", "advantage", "advantages", "disadvantage", "disadvantages",
                   "limitation", "limitations", "benefit", "benefits", "drawback", "drawbacks", "appropriate",
                   "good", "kinds", "mean", "means", "purpose", "deal", "dealt", "set", "up", "configure",
                   "configured", "done", "way", "ways"})
SYNONYMS: dict[str, tuple[str, ...]] = {  # subject roots another word names: the heading may say either
    "index": ("access method",), "exception": ("error",), "error": ("exception",), "replicat": ("standby",),
    "authenticat": ("auth",), "backup": ("back up", "dump", "archiv"), "back": ("backup", "dump", "archiv"),
    "restor": ("recover",), "partition": ("partitioning",), "log": ("logging",), "class": ("object",),
    "coroutin": ("async", "await"), "isolat": ("serializ",)}


@dataclass(frozen=True, slots=True)
class Facet:
    """One thing the question asks of each section: `name` ("when to use"), words added to the section's query
    when looking for it, and the sentences that answer it (`cues`)."""

    name: str
    query: str
    cues: re.Pattern[str]
    # phrases of which a sentence needs one to answer the facet at all: "when to use" is answered by "effective
    # for", "appropriate for", "can handle", not by "can be used vary depending on" (its cue words "can", "used")
    strong: re.Pattern[str] | None = None

    def answers(self, sentence: str) -> int:
        """How many of the facet's cue words and phrases the sentence holds (0: it does not answer the facet)."""
        strong = len(self.strong.findall(sentence)) if self.strong is not None else 0
        if self.strong is not None and not strong:
            return 0
        return strong + len(self.cues.findall(sentence))


def _cues(words: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(words.split()) + r")\b", re.I)


WHAT = Facet("what it is", "", _cues(
    r"is are provides implements stores consists represents means defines allows lets enables refers"))
FACETS = {
    "when to use": Facet("when to use", "use useful appropriate", _cues(
        r"use used useful usable suitable suited appropriate best better ideal prefer\w* recommended efficient"
        r" effective faster slower handle handles can only cannot support supports supported advantage\w*"
        r" benefit\w* limit\w* good well when whenever consider choose typically especially particularly"
        r" intended designed"), re.compile(
        r"\b(?:useful|usable|suitable|suited|appropriate|ideal|best|better|prefer\w*|recommended|effective\w*"
        r"|efficient\w*|faster|capable|designed|intended|advantage\w*|benefit\w*|helpful|whenever|consider using"
        r"|good (?:for|choice)|speed\w* up|optimi[sz]\w*|can (?:only |also |efficiently )?handle"
        r"|(?:is|are|be) used (?:for|to|when)|support\w*\s+(?:\S+\s+){0,3}?(?:queries|searches|lookups"
        r"|comparisons))\b", re.I)),
    "how it works": Facet("how it works", "works how", _cues(
        r"works? when each then first after before until stores? keeps? checks? sends? reads? writes? uses?"
        r" calls? returns? runs? creates? means happens")),
    "differences": Facet("differences", "difference compared", _cues(
        r"unlike whereas while than differs? difference\w* compared instead rather however but both either"
        r" neither only")),
    "limits": Facet("limits", "limitation cannot", _cues(
        r"cannot can't not only limit\w* restriction\w* drawback\w* disadvantage\w* however but unless must"
        r" require\w* never")),
    "how to use": Facet("how to use", "example create", _cues(
        r"create\w* call\w* set\w* configure\w* specify\w* specified enable\w* run\w* write\w* use\w* example"
        r" command option parameter")),
}
_ASKS = [  # question patterns → facet (in the order a section answers them)
    (re.compile(r"\bwhen\b.*\b(use|used|using|choose|chosen|prefer|appropriate)\b|\bwhich (one )?(to|should)"
                r"\b|\bbest (for|suited)|\bappropriate\b|\bchoos", re.I), "when to use"),
    (re.compile(r"\bhow (does|do|is|are)\b.*\b(work|works|implemented|handled|done|happen)\b|\bhow (does|do) \w+"
                r" (\w+ )?(authenticate|replicate|partition|handle|manage|store|run|schedule)", re.I),
     "how it works"),
    (re.compile(r"\bdiffer|\bcompar|\bversus\b|\bvs\.?\b", re.I), "differences"),
    (re.compile(r"\blimit|\bdrawback|\bdisadvantage|\bcaveat|\bpitfall", re.I), "limits"),
    (re.compile(r"\bhow (can|do i|to|should)\b", re.I), "how to use"),
]


@dataclass(slots=True)
class Asked:
    """What a question asks: the subject's roots (and the words shown), the facets each section answers."""

    subject: list[str]  # roots: "index", "authenticat"
    words: list[str]  # the subject as the question words it ("index")
    kind: list[str]  # the generic words the question uses ("types"): with the subject, the enumerating page's title
    facets: list[Facet] = field(default_factory=list)

    @property
    def facet_names(self) -> list[str]:
        return [f.name for f in self.facets]


def root(word: str) -> str:
    """A crude stem that keeps words apart that a four-letter cut joins: "indexes" → "index" (not "independent"),
    "authentication" → "authenticat", "restored" → "restor"."""
    w = word.lower()
    for suffix in ("ications", "ication", "ations", "ation", "ings", "ing", "ies", "ed", "es", "s", "e", "ion"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            return w[: -len(suffix)]
    return w


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z][a-z0-9_+-]*", text.lower())


def asks(question: str, common: set[str] | None = None) -> Asked:
    """The question's subject and facets. `common`: roots so frequent in the corpus that they mark nothing (the
    product's own name), left out of the subject unless nothing else is left."""
    common = common or set()
    words = [w.strip("-+") for w in _words(question)]
    content = [w for w in words if w and w not in FRAME and len(w) > 2]
    kind = [w for w in content if w in GENERIC]
    subject_words = [w for w in content if w not in GENERIC and root(w) not in common]
    if not subject_words:  # a question about the corpus's own name, or only generic words
        subject_words = [w for w in content if w not in GENERIC] or content
    facets = [WHAT]
    for pattern, name in _ASKS:
        if pattern.search(question) and FACETS[name] not in facets:
            facets.append(FACETS[name])
    return Asked(list(dict.fromkeys(root(w) for w in subject_words)), list(dict.fromkeys(subject_words)), kind,
                 facets)


def mentions_subject(text: str, subject: list[str]) -> int:
    """How often the text names the subject: a word starting with a subject root (at most five letters more:
    "indexes", "indexing"; not "independently") or a listed synonym."""
    count = 0
    lowered = text.lower()
    for w in _words(text):
        count += any(w.startswith(r) and len(w) - len(r) <= 5 for r in subject)
    for r in subject:
        for synonym in SYNONYMS.get(r, ()):
            if " " in synonym:
                count += lowered.count(synonym)
            elif synonym not in subject:
                count += sum(w.startswith(synonym) and len(w) - len(synonym) <= 5 for w in _words(text))
    return count


def about(headings: list[str], texts: list[str], subject: list[str]) -> float:
    """How much a section is about the subject: 1.0 when its heading path names it, else the mean over its
    passages of how far each makes `SUBJECT_MENTIONS` mentions (a passage that names the subject once in passing
    is half about it; one passage of four about "jsonb indexing" does not make "JSON Types" about indexes)."""
    if not subject:
        return 1.0
    if any(mentions_subject(h, subject) for h in headings):
        return 1.0
    if not texts:
        return 0.0
    return sum(min(1.0, mentions_subject(t, subject) / SUBJECT_MENTIONS) for t in texts) / len(texts)

"""The research run's tuning constants, in one place (set on bench/data/research-questions.jsonl); settings a user
may change are in `scent.config.ResearchConfig` instead."""

from __future__ import annotations

# outline.py
ENUMERATION_PASSAGES = 5  # the best passages searched for a list of the question's topic, item by item
STRUCTURE_DOCUMENTS = 2  # documents whose own section headings become topics
MIN_CLUSTER = 0.4  # a cluster's best hit, as a share of the best hit's score, below which it is off the question
LONG_DOCUMENT = 12  # passages: a longer document is split into its own sections
MAX_ITEM_WORDS = 5
ANCHOR_HITS = 10  # hits of the subject's own search among which the page enumerating it is looked for
ANCHOR_TITLE_WORDS = 5  # "Index Types", not a chapter title that happens to name the subject
ANCHOR_SCORE = 3.0  # the anchor page's sections lead the outline (other topics score at most about 2)

# facets.py, run.py: relevance to the question's subject
SUBJECT_MENTIONS = 2  # mentions of the subject in a passage that make it about the subject (heading: always)
MIN_ABOUT = 0.5  # a candidate section less about the subject than this is off the question
COMMON_SHARE = 0.5  # a capitalised question word in this share of the first hop's passages is the corpus's name
ITEM_PARAGRAPH_CHARS = 400


# sections.py
HEADING_BONUS = 0.5  # a passage under a heading that names the section is the section's own text
MIN_CLAIM_CHARS = 30
MAX_CLAIM_CHARS = 450
REWRITE_MIN_SHARE = 0.9  # share of a rewrite's content words that must be the quote's own
HEAVY_CITES = 4  # passages the report cites from one document, from which on a section looks for other documents
FRESH_TIE = 0.8  # a passage of a not-yet-cited document ties when its score is this share of the weakest chosen one
FRESH_K = 3  # the wider search for another document: `section_k` times this
FACET_CUES = 2  # cue words a sentence needs to count as answering a facet by itself; more do not score more
FACET_NAMED = 2.0  # a facet sentence that names the section outranks one that only stands under its heading
FACET_OWN = 1.0  # ... and one of the section's own passages outranks one the facet's search found
CONTENTS_CAPS = 0.45  # share of capitalised words above which a passage is a list of headings (contents, index)

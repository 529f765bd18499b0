"""Search tasks synthesized from an index's own passages, each verified to need search (docs/synth.md).

    facts.py       Fact and FactBlock: what an extractor reads off a passage (a subject, an attribute, its value)
    corpus.py      every document of an index through every extractor
    techdocs.py    extractors for reference documentation: settings and defaults, functions and return types,
                   catalog columns, signatures and parameter defaults, "New in version"
    wiki.py        extractors for encyclopedic text: years, populations, "directed by" relations
    generic.py     generic extractors of any corpus, by sentence structure: facts of a named subject, definitions
    layout.py      generic extractors by layout: table rows (header → cell), labelled values under a heading
    shapes.py      what values look like (dates, versions, numbers with units, names), markup, headings as subjects
    linking.py     bridges (a value that is another subject; a mention) and unanswerable questions of a relation
                   the corpus does not state, from generic facts
    candidates.py  candidate tasks per kind (single, bridge, comparison, unanswerable) from the facts
    verify.py      the verification rules, one pure function over one candidate (mappable over workers)
    dedup.py       duplicate and near-duplicate questions
    run.py         the driver: quotas per kind, resumable progress, atomic output, the report
    report.py      the report as JSON and markdown
"""

"""Search tasks synthesized from an index's own passages, each verified to need search (docs/synth.md).

    facts.py       Fact and FactBlock: what an extractor reads off a passage (a subject, an attribute, its value)
    corpus.py      every document of an index through every extractor
    techdocs.py    extractors for reference documentation: settings and defaults, functions and return types,
                   catalog columns, signatures and parameter defaults, "New in version"
    wiki.py        extractors for encyclopedic text: years, populations, "directed by" relations
    candidates.py  candidate tasks per kind (single, bridge, comparison, unanswerable) from the facts
    verify.py      the verification rules, one pure function over one candidate (mappable over workers)
    dedup.py       duplicate and near-duplicate questions
    run.py         the driver: quotas per kind, resumable progress, atomic output, the report
    report.py      the report as JSON and markdown
"""

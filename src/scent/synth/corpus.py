"""The extractors run over a whole index: every document's passages, every extractor, ambiguous facts dropped."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from scent.synth import techdocs, wiki
from scent.synth.facts import Extracted, Fact
from scent.types import Passage

if TYPE_CHECKING:
    from scent.index import Index


def documents(index: Index) -> Iterator[list[Passage]]:
    """Every document's passages in document order; a record of a corpus file is a document of its own."""
    store = index.store
    for row in sorted(store.documents().values(), key=lambda r: r.doc):
        if row.state != "indexed":
            continue
        passages = store.doc_passages(row.doc)
        by_record: dict[str | None, list[Passage]] = {}
        for passage in passages:
            by_record.setdefault(passage.source_id, []).append(passage)
        yield from by_record.values()


def extract(docs: Iterable[list[Passage]]) -> Extracted:
    """Run every extractor over every document; facts whose (family, subject, attribute) occurs with two different
    values are dropped (an overloaded function, a setting documented twice): their question would be ambiguous."""
    found = Extracted()
    for doc in docs:
        found.extend(techdocs.extract(doc))
        found.extend(wiki.extract(doc))
    values: dict[tuple[str, str, str], set[str]] = {}
    for fact in found.facts:
        values.setdefault((fact.family, fact.subject, fact.attribute), set()).add(fact.value)
    seen: set[tuple[str, str, str]] = set()
    unique: list[Fact] = []
    for fact in found.facts:
        key = (fact.family, fact.subject, fact.attribute)
        if len(values[key]) == 1 and key not in seen:
            seen.add(key)
            unique.append(fact)
    found.facts = unique
    return found

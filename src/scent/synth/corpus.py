"""The extractors run over a whole index: every document's passages, every extractor, ambiguous facts dropped."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from scent.index import Index
from scent.synth import generic, layout, techdocs, wiki
from scent.synth.facts import Fact, Facts
from scent.types import Passage

if TYPE_CHECKING:
    from scent.protocols import OpenIndex


PAGE = 500  # documents listed per call of a Milvus index


def documents(index: OpenIndex) -> Iterator[list[Passage]]:
    """Every document's passages in document order; a record of a corpus file is a document of its own. An
    embedded index is read from its store in the order documents were indexed; another (Milvus) through the
    `OpenIndex` listing, by path."""
    if isinstance(index, Index):
        store = index.store
        groups = (store.doc_passages(row.doc) for row in sorted(store.documents().values(), key=lambda r: r.doc)
                  if row.state == "indexed")
    else:
        groups = (index.document_passages(doc["path"]) for doc in _listing(index))
    for passages in groups:
        by_record: dict[str | None, list[Passage]] = {}
        for passage in passages:
            by_record.setdefault(passage.source_id, []).append(passage)
        yield from by_record.values()


def _listing(index: OpenIndex) -> Iterator[dict[str, Any]]:
    total, offset = index.list_documents(limit=1)[0], 0
    while offset < total:
        page = index.list_documents(limit=PAGE, offset=offset)[1]
        if not page:
            return
        yield from page
        offset += len(page)


def extract(docs: Iterable[list[Passage]], generic_extractors: bool = True) -> Facts:
    """Run every extractor over every document; facts whose (family, subject, attribute) occurs with two different
    values are dropped (an overloaded function, a setting documented twice): their question would be ambiguous.
    The generic extractors (sentences, definitions, tables, labelled values) add facts of any corpus; a generic
    fact about a subject a template extractor already read the same relation of is dropped (the template's
    question is the better one)."""
    found = Facts()
    general = Facts()
    for doc in docs:
        found.extend(techdocs.extract(doc))
        found.extend(wiki.extract(doc))
        if generic_extractors:
            general.extend(generic.extract(doc))
            general.extend(layout.extract(doc))
    general.facts = generic.unique_definitions(general.facts)
    found.blocks.extend(general.blocks)
    held = {(f.subject, f.attribute) for f in found.facts}
    found.facts.extend(f for f in general.facts if f.value and f.subject
                       and not any((f.subject, cue) in held for cue in f.cue))
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

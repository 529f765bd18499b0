"""Duplicate groups in a Milvus index, by the folder index's rules: documents are signed and grouped as
`scent.ingest.duplicates` does (MinHash of 5-word shingles at similarity 0.8, plus the Sphinx source rule; the
best-formatted member stands for its group), and a search shows one member per group with the others as
`Hit.also_in` (`scent.index.groups.collapse_groups`, the folder index's code).

Kept in `COLLECTION__groups` (`scent.milvus.client`): a document's signature is written when it is indexed (from
its extracted text, as the folder index signs its stored text); after a run that changed anything the groups are
recomputed from all signatures. A document indexed before the collection had groups is signed from its passages,
in order, by the next run. Corpus files (records, no whole text) are not signed, as in the folder index.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from scent.milvus.client import Client, quote
from scent.types import Hit

PLACEHOLDER = [0.0, 0.0]


def signed_row(doc: str, text: str) -> dict[str, Any]:
    """The groups row of a document just indexed (its group is set by the run's `regroup`)."""
    from scent.ingest.duplicates import signature

    return {"doc": doc, "minhash": signature(text).hex(), "standing": "", "placeholder": PLACEHOLDER}


def _all_rows(client: Client, collection: str, fields: list[str], expr: str) -> list[dict[str, Any]]:
    iterator = client.call("read " + collection, client.milvus.query_iterator, collection, batch_size=1000,
                           filter=expr, output_fields=fields)
    rows: list[dict[str, Any]] = []
    try:
        while batch := client.call("read " + collection, iterator.next):
            rows += batch
    finally:
        iterator.close()
    return rows


def _text_of(client: Client, doc: str) -> str:
    rows = _all_rows(client, client.location.collection, ["seq", "text"], f"doc == {quote(doc)}")
    return "\n\n".join(r["text"] for r in sorted(rows, key=lambda r: r["seq"]))


def regroup(client: Client, documents: dict[str, tuple[str, str, str]]) -> int:
    """Recompute every group from the signatures; `documents`: indexed doc → (root, path, kind). Rows of documents
    no longer indexed are removed, indexed documents without a row are signed from their passages. Returns how
    many documents changed group."""
    from scent.ingest.duplicates import groups, near_pairs, signature, sphinx_pairs

    location = client.location
    rows = {r["doc"]: r for r in _all_rows(client, location.groups, ["doc", "minhash", "standing"], 'doc != ""')}
    gone = [d for d in rows if d not in documents]
    if gone:
        client.call("delete groups", client.milvus.delete, location.groups, ids=gone)
    for doc, (_root, _path, kind) in documents.items():
        if doc not in rows and kind != "jsonl":
            text = _text_of(client, doc)
            if text:
                rows[doc] = {"doc": doc, "minhash": signature(text).hex(), "standing": "\0"}  # "\0": write it
    signed = {d: documents[d][:2] for d in rows if d in documents}
    docs = sorted(signed)
    pairs = near_pairs(docs, [bytes.fromhex(rows[d]["minhash"]) for d in docs]) + sphinx_pairs(signed)
    standing = groups(signed, pairs)
    changed = [{"doc": d, "minhash": rows[d]["minhash"], "standing": standing.get(d, ""), "placeholder": PLACEHOLDER}
               for d in docs if rows[d]["standing"] != standing.get(d, "")]
    for start in range(0, len(changed), 1000):
        client.call("write groups", client.milvus.upsert, location.groups, changed[start : start + 1000])
    if changed or gone:
        client.call("flush", client.milvus.flush, location.groups)
    return len(changed)


def collapse(client: Client, hits: Sequence[Hit], doc_of: dict[str, str],
             standing_hit: Callable[[str], Hit | None] | None = None) -> list[Hit]:
    """`hits` (passage id → document in `doc_of`) with one member per duplicate group, in order; `standing_hit`:
    as `scent.index.groups.collapse_groups`."""
    from scent.index.groups import collapse_groups

    location = client.location
    docs = sorted(set(doc_of.values()))
    if not docs:
        return list(hits)
    group_of = {d: d for d in docs} | {r["doc"]: r["standing"] or r["doc"]
                                       for r in client.get(location.groups, docs, ["doc", "standing"])}
    heads = sorted(set(group_of.values()))
    members: dict[str, list[str]] = {}
    expr = f"standing in [{', '.join(map(quote, heads))}]"
    for r in sorted(client.call("query groups", client.milvus.query, location.groups, filter=expr,
                                output_fields=["doc", "standing"]), key=lambda r: r["doc"]):
        members.setdefault(r["standing"], []).append(r["doc"])
    if not members:
        return list(hits)
    everyone = sorted({d for head, group in members.items() for d in (head, *group)})
    names = {r["doc"]: r["path"] for r in client.get(location.documents, everyone, ["doc", "path", "state"])
             if r["state"] != "deleting"}
    return collapse_groups(hits, doc_of, group_of, members, names, standing_hit)

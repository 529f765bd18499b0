"""Duplicate groups at search time: one member per group in a result list, the others named as "also in".

Groups are made when indexing (`scent.ingest.duplicates`) and stored in `passages.sqlite`: `duplicates(doc,
standing)` names, for every member of a group but one, the member that stands for the group. A result list shows
each group through one member: the standing one when any of its passages is in the list, else the standing
one's best passage for the query when it has one (`standing_hit`), else the best-ranked member (so a passage only
a member holds is still found); the other members' passages are left out. The group's
first shown passage takes the place of the group's best-ranked passage (and its score, when higher), so a page
whose source text ranked first still ranks first. The shown passages carry `also_in`: the group's other
documents, as paths are shown.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

from scent.types import Hit

D = TypeVar("D", bound=Hashable)  # a document's key: the store's number, Milvus's doc key


def has_groups(db: sqlite3.Connection) -> bool:
    try:
        return db.execute("SELECT 1 FROM duplicates LIMIT 1").fetchone() is not None
    except sqlite3.OperationalError:  # an index made before duplicate groups: none
        return False


def collapse(db: sqlite3.Connection, hits: Sequence[Hit], shown: Callable[[str, str], str],
             standing_hit: Callable[[int], Hit | None] | None = None) -> list[Hit]:
    """`hits` with one member per duplicate group (see the module docstring), in order; `standing_hit`: see
    `collapse_groups`."""
    if not hits or not has_groups(db):
        return list(hits)
    ids = [h.id for h in hits]
    doc_of = dict(db.execute(f"SELECT id, doc FROM passages WHERE id IN ({','.join('?' * len(ids))})", ids))
    docs = sorted(set(doc_of.values()))
    marks = ",".join("?" * len(docs))
    standing = dict(db.execute(f"SELECT doc, standing FROM duplicates WHERE doc IN ({marks})", docs))
    group_of = {d: standing.get(d, d) for d in docs}
    heads = sorted(set(group_of.values()))
    marks = ",".join("?" * len(heads))
    members: dict[int, list[int]] = {}
    for doc, head in db.execute(f"SELECT doc, standing FROM duplicates WHERE standing IN ({marks}) ORDER BY doc",
                                heads):
        members.setdefault(head, []).append(doc)
    if not members:
        return list(hits)
    everyone = sorted({d for head, group in members.items() for d in (head, *group)})
    marks = ",".join("?" * len(everyone))
    names = {doc: shown(root, path) for doc, root, path in db.execute(
        f"SELECT doc, root, path FROM documents WHERE doc IN ({marks}) AND state != 'deleting'", everyone)}
    return collapse_groups(hits, doc_of, group_of, members, names, standing_hit)


def collapse_groups(hits: Sequence[Hit], doc_of: dict[str, D], group_of: dict[D, D], members: dict[D, list[D]],
                    names: dict[D, str], standing_hit: Callable[[D], Hit | None] | None = None) -> list[Hit]:
    """The rule of the module docstring over any backend's documents: `doc_of` passage id → document, `group_of`
    document → the document standing for its group (itself when alone), `members` standing document → the
    others of its group, `names` document → its path as shown. `standing_hit(doc)`: the standing document's best
    passage for the query, asked when only other members have passages here (a page's Sphinx source cut
    differently can rank a passage where the page's own ranks lower): it takes their place, so the list shows
    the page; when it gives None (the page does not match), the best-ranked member stands in."""
    if not members:
        return list(hits)
    present = set(doc_of.values())
    doc_of = dict(doc_of)
    chosen: dict[D, D] = {}
    fetched: dict[D, Hit] = {}
    for h in hits:
        doc = doc_of.get(h.id)
        if doc is None or (head := group_of[doc]) in chosen:
            continue
        if head in present or head not in members or standing_hit is None:
            chosen[head] = head if head in present else doc
        elif (best := standing_hit(head)) is not None:
            fetched[head], doc_of[best.id], chosen[head] = best, head, head
        else:
            chosen[head] = doc
    visible = {head: [fetched[head]] if head in fetched else [h for h in hits if doc_of.get(h.id) == doc]
               for head, doc in chosen.items() if head in members}
    for head, group_hits in visible.items():
        for h in group_hits:
            h.also_in = [names[d] for d in (head, *members[head]) if d != chosen[head] and d in names]
    kept: list[Hit] = []
    placed: set[str] = set()
    for h in hits:
        of = doc_of.get(h.id)
        group = group_of.get(of) if of is not None else None
        if group is None or group not in visible:
            kept.append(h)
            continue
        if h.id in placed:
            continue
        first = visible[group][0]
        if first.id not in placed:  # the group's first appearance: its shown member ranks here
            first.score = max(first.score, h.score)
            kept.append(first)
            placed.add(first.id)
        elif doc_of[h.id] == chosen[group]:
            kept.append(h)
            placed.add(h.id)
    return kept

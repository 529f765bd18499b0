"""The roots an index remembers and their include/exclude rules (docs/ingest.md, "Identity").

`scent index PATH…` resolves each path (a symlinked folder is its real folder; a path inside a known root is
that part of the root, not a new root; a new folder above known roots absorbs them, keeping their documents and
passage ids) and remembers new roots with the rules given. `scent index` with no path re-syncs every remembered
root with its own rules. Rules given on the command line replace a named root's rules; the walk then removes
what they now leave out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from scent.config import IngestConfig
from scent.index.store import Store
from scent.ingest.walk import root_of


class IngestOptions(IngestConfig):
    """`IngestConfig` plus what one `scent index` run is asked: `rehash` reads every file's content to find
    changes that kept size and mtime; `ocr` reads image-only PDF pages and images with tesseract when it is
    installed."""

    rehash: bool = False
    ocr: bool = True


@dataclass
class Walk:
    """One root's part of a run: the paths to walk under it and the rules to walk them with."""

    root: str
    paths: list[Path]
    config: IngestConfig


def plan(store: Store, paths: list[Path], config: IngestConfig) -> list[Walk]:
    """Which walks a run makes; records new roots (and rules given) in the store (the caller's transaction)."""
    sources = store.sources()
    given = bool(config.include or config.exclude)
    if not paths:  # re-sync every remembered root (and single file) with its own rules, or with the rules given
        if given:
            for root in sources:
                store.remember(root, config.include, config.exclude)
            sources = store.sources()
        return [Walk(root, [Path(root)], _with_rules(config, *rules)) for root, rules in sources.items()]
    walks: dict[str, Walk] = {}
    for path in paths:
        if not os.path.lexists(path):  # reported by the walk as not-found
            walks.setdefault("", Walk("", [], config)).paths.append(path)
            continue
        folders = [r for r in sources if os.path.isdir(r)]
        root, inside = root_of(path, folders)
        if os.path.isdir(path) and not inside and root not in sources:
            for old in folders:  # known roots below the new one become part of it
                if old.startswith(root.rstrip("/") + "/"):
                    store.rekey_root(old, root, os.path.relpath(old, root) + "/")
            for single in [s for s in sources if not os.path.isdir(s) and s.startswith(root.rstrip("/") + "/")]:
                store.forget_source(single)
            sources = store.sources()
        if root in sources:
            rules = (config.include, config.exclude) if given else sources[root]
        else:
            rules = (config.include, config.exclude)
        key = root if os.path.isdir(path) or root in sources else os.path.realpath(path)
        if key not in sources or given:
            store.remember(key, *rules)
        walk = walks.setdefault(root, Walk(root, [], _with_rules(config, *rules)))
        walk.paths.append(path)
    return list(walks.values())


def _with_rules(config: IngestConfig, include: list[str], exclude: list[str]) -> IngestConfig:
    return config.model_copy(update={"include": list(include), "exclude": list(exclude)})


def resolve_target(store: Store, target: str) -> tuple[str, str] | None:
    """(root, path inside it; "" for the whole root) of what `scent forget` names: a root or any path under one
    (as shown in results, `label/path`, or on disk), or None."""
    real = os.path.realpath(target)
    roots = sorted(set(store.roots()) | set(store.sources()), key=len, reverse=True)
    for root in roots:
        if real == root:
            return root, ""
        if real.startswith(root.rstrip("/") + "/"):
            return root, os.path.relpath(real, root)
    for root, label in store.labels().items():
        if label and (target == label or target.startswith(label + "/")):
            return root, target[len(label) + 1:]
    return None


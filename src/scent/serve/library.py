"""What one server serves: the indexes and evaluation folders named at start, each under a short name.

Every route and tool names the index it reads (`index=NAME`; empty: the first one named at start); a name is
looked up in this dict and nothing else — never joined to a path — so an unknown name, `../x` or `/etc` is
"not found". Evaluation folders (`scent eval --out DIR`) serve only `summary.json`, `summary.md` and the `.png`
plots that lie directly in them, matched against the folder's listing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scent.serve.corpus import Corpus, NotFound
from scent.serve.indexing import Indexer
from scent.serve.runs import RunManager

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
EVAL_FILE = re.compile(r"^(summary\.json|summary\.md|[A-Za-z0-9][A-Za-z0-9_.-]{0,120}\.png)$")
MEDIA = {".json": "application/json", ".md": "text/markdown; charset=utf-8", ".png": "image/png"}


class NamingError(ValueError):
    """Names given at start that cannot be served (clashing or malformed); the message says what to pass."""


def default_name(folder: Path) -> str:
    """A served name from a folder: its last part, leading dots dropped, other characters made '-'."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", folder.resolve().name.lstrip(".")).strip("-.")[:64]
    return name or "index"


def parse_named(specs: list[str], what: str = "index") -> list[tuple[str, Path]]:
    """`DIR` or `NAME=DIR` → [(name, folder)], names unique and valid."""
    out: list[tuple[str, Path]] = []
    for spec in specs:
        name, eq, rest = spec.partition("=")
        if eq and NAME.match(name) and not Path(spec).exists():
            folder = Path(rest).expanduser()
        else:
            folder = Path(spec).expanduser()
            name = default_name(folder)
        if not NAME.match(name):
            raise NamingError(f"--{what} name {name!r}: use letters, digits, '_', '.', '-' (NAME=DIR)")
        if name in {n for n, _ in out}:
            raise NamingError(f"two --{what} folders would be named {name!r}: name them, e.g. "
                              f"--{what} other={folder}")
        out.append((name, folder))
    return out


@dataclass
class Library:
    """The served indexes (name → `Corpus`, and → `RunManager` when models are loaded), evaluation folders and
    the indexing of folders from the page."""

    corpora: dict[str, Corpus]
    runs: dict[str, RunManager] = field(default_factory=dict)
    evals: dict[str, Path] = field(default_factory=dict)
    indexer: Indexer | None = None  # indexing from the page (--allow-index-root); None: off

    @property
    def names(self) -> list[str]:
        return list(self.corpora)

    def _name(self, index: str) -> str:
        name = index or next(iter(self.corpora))
        if name not in self.corpora:
            raise NotFound(f"no index {index!r} is served (served: {', '.join(self.corpora)})")
        return name

    def corpus(self, index: str = "") -> Corpus:
        return self.corpora[self._name(index)]

    def runner(self, index: str = "") -> RunManager | None:
        """The index's run manager, or None on a server started without models."""
        return self.runs.get(self._name(index))

    def stats(self) -> list[dict[str, Any]]:
        return [c.stats() for c in self.corpora.values()]

    # -- evaluation folders ----------------------------------------------------------------------------------
    def _eval_files(self, name: str) -> dict[str, Path]:
        folder = self.evals.get(name)
        if folder is None:
            raise NotFound(f"no evaluation {name!r} is served (served: {', '.join(self.evals) or 'none'})")
        if not folder.is_dir():
            return {}
        return {p.name: p for p in sorted(folder.iterdir()) if EVAL_FILE.match(p.name) and p.is_file()
                and not p.is_symlink()}

    def list_evals(self) -> list[dict[str, Any]]:
        return [{"name": name, "files": list(self._eval_files(name))} for name in self.evals]

    def eval_summary(self, name: str) -> dict[str, Any]:
        """The folder's summary.json (null if absent) and the names of its files."""
        files = self._eval_files(name)
        summary = json.loads(files["summary.json"].read_text(encoding="utf-8")) if "summary.json" in files else None
        return {"name": name, "files": list(files), "summary": summary}

    def eval_file(self, name: str, file: str) -> tuple[Path, str]:
        """(path, media type) of a file of an evaluation folder, by its name in the folder's listing."""
        path = self._eval_files(name).get(file)
        if path is None:
            raise NotFound(f"no file {file!r} in the evaluation {name!r}")
        return path, MEDIA[path.suffix]

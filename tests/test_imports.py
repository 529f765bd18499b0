"""The import graph of src/scent, read with `ast` (every import: module-level, inside a function, or under
`if TYPE_CHECKING:`): no circle, and no module imports another module's private (`_name`) names. The direction
between packages is tests/test_layers.py's."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _module(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> tuple[dict[str, set[str]], list[str]]:
    """module → the scent modules it imports; and each `from X import _private` found."""
    modules = {_module(p): p for p in SRC.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    private: list[str] = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = []
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    targets.append(sub if sub in modules else node.module)
                    if alias.name.startswith("_") and node.module.startswith("scent"):
                        private.append(f"{name}: from {node.module} import {alias.name}")
            else:
                continue
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph, private


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circle_in_src():
    graph, _ = import_graph()
    assert cycles(graph) == []


def test_no_module_imports_a_private_name():
    _, private = import_graph()
    assert private == []


if __name__ == "__main__":  # python tests/test_imports.py: print what the tests check
    g, p = import_graph()
    print("circles:", cycles(g) or "none")
    print("private imports:", p or "none")

"""The package's layering: each package imports only from packages below it in one declared order (docs/
architecture.md), every import counted — module-level, inside a function, and under `if TYPE_CHECKING:`."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

# Bottom to top. A package may import its own modules and any package on a lower line, never one on its own line
# or above. `scent` itself (the public facade, `from scent import Index`) is outside the order.
LAYERS: list[set[str]] = [
    {"text", "interrupt"},  # pure functions over strings; Ctrl-C handling
    {"types"},  # data shared across components
    {"config"},  # one typed config, a section per component
    {"protocols", "events"},  # the interfaces; the typed trace events
    {"llm"},  # chat model backends
    {"trace", "embed"},  # run traces (wrap an llm); embedders
    {"index"},  # the embedded index: BM25, vectors, passage store
    {"ingest"},  # folders and corpora → passages
    {"milvus"},  # the Milvus index backend
    {"backends"},  # index backends by URI scheme, one registry
    {"tools"},  # the agent's tools, declared once
    {"agent"},  # answers one question
    {"app"},  # the one wiring layer: config, models, an index by URI, make_agent
    {"research", "eval"},  # reports from agent parts; evaluation
    {"serve", "synth", "rl"},  # front ends and jobs built on the above
    {"scale"},  # eval, synth, RL and embedding fanned out over Ray
    {"cli"},  # the command line, terminal rendering
    {"__main__"},  # python -m scent
]
LEVEL = {package: level for level, packages in enumerate(LAYERS) for package in packages}


def package_of(module: str) -> str:
    """scent.agent.loop → agent; scent.app → app; scent → scent."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported scent module) for every import in the file, TYPE_CHECKING blocks included."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "scent"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and \
                node.module.split(".")[0] == "scent":
            if node.module == "scent":  # from scent import app → the module scent.app
                found += [(node.lineno, f"scent.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


def module_of(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def violations() -> list[str]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        module = module_of(path)
        source = package_of(module)
        if source == "scent":
            continue
        if source not in LEVEL:
            out.append(f"{module}: package {source!r} is not in the declared order (tests/test_layers.py)")
            continue
        for line, target in imports(path):
            dest = package_of(target)
            if dest == source or dest == "scent":
                continue
            if dest not in LEVEL:
                out.append(f"{module}:{line} imports {target}, whose package is not in the declared order")
            elif LEVEL[dest] >= LEVEL[source]:
                out.append(f"{module}:{line} imports {target} ({source} is level {LEVEL[source]}, {dest} is "
                           f"level {LEVEL[dest]})")
    return out


def test_every_package_is_in_the_declared_order():
    packages = {package_of(module_of(p)) for p in SRC.rglob("*.py")}
    assert packages - {"scent"} <= set(LEVEL)


def test_no_package_imports_its_own_level_or_above():
    assert violations() == []


def test_the_check_sees_type_checking_and_function_level_imports(tmp_path: Path):
    sample = tmp_path / "sample.py"
    sample.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from scent.rl.env import Action\n"
                      "def f():\n    from scent import app\n    import scent.cli.output\n")
    assert imports(sample) == [(3, "scent.rl.env"), (5, "scent.app"), (6, "scent.cli.output")]


if __name__ == "__main__":  # python tests/test_layers.py: list what the test refuses
    print("\n".join(violations()) or "no upward import")

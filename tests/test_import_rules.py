"""The house rules of DESIGN.md, read from the source (static: nothing is imported).

scratch imports NumPy (and scikit-learn/matplotlib) only, never torch, compare or twinnet;
torch_ref never imports compare or twinnet; compare never imports twinnet; no package
has an import circle between its modules, and no module imports another module's
private (underscore) name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("scratch", "torch_ref", "compare", "twinnet")
FORBIDDEN = {
    "scratch": {"torch", "torch_ref", "compare", "twinnet"},
    "torch_ref": {"compare", "twinnet"},
    "compare": {"twinnet"},
    "twinnet": set(),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    if level == 0:
        return target or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def imports_of(path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, names taken from it) for every import in ``path``, wherever it sits."""
    module, is_package = _module_name(path), path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node.level, node.module)
            names = [a.name for a in node.names]
            found.append((base, names))
            # `from . import plotting` imports a submodule
            found += [(f"{base}.{n}", []) for n in names]
    return found


def _sources():
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


MODULES = {_module_name(p): p for p in _sources()}


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_only_what_the_design_allows(package):
    bad = []
    for name, path in MODULES.items():
        if name.split(".")[0] != package:
            continue
        for target, _ in imports_of(path):
            if target.split(".")[0] in FORBIDDEN[package]:
                bad.append(f"{name} imports {target}")
    assert not bad, "\n".join(bad)


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        edges = set()
        for target, _ in imports_of(path):
            # the deepest known module the import names (a package's __init__ counts as itself)
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                edges.add(target)
        graph[name] = edges
    return graph


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_circle_between_modules():
    # A package's __init__ re-exporting its submodules is not a circle of the code's own.
    graph = {m: {t for t in e if not m.startswith(t + ".") and not t.startswith(m + ".")}
             for m, e in _graph().items()}
    assert _cycles(graph) == []


def test_cycle_finder_sees_a_planted_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_private_name_imported_from_another_module():
    bad = []
    for name, path in MODULES.items():
        for target, names in imports_of(path):
            if target.split(".")[0] not in PACKAGES:
                continue
            bad += [f"{name} imports {target}.{n}" for n in names
                    if n.startswith("_") and not n.startswith("__")]
    assert not bad, "\n".join(bad)

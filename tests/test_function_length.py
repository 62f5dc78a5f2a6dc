"""House rule: no function or method in the packages is over 80 lines (docstring included)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("scratch", "torch_ref", "compare", "twinnet")
LIMIT = 80


def long_functions(source: str, name: str, limit: int = LIMIT) -> list[str]:
    """``"file:line function (N lines)"`` for every function longer than ``limit`` lines."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            if length > limit:
                found.append(f"{name}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_no_function_over_the_limit():
    too_long = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            too_long += long_functions(path.read_text(), str(path.relative_to(ROOT)))
    assert not too_long, "\n".join(too_long)


def test_the_counter_sees_a_long_function():
    body = "\n".join(f"    x{i} = {i}" for i in range(LIMIT))
    assert long_functions(f"def f():\n{body}\n", "m.py") == [f"m.py:1 f ({LIMIT + 1} lines)"]

"""The import rules of docs/architecture.md: scratch never imports torch, compare never
imports twinnet, torch_ref imports nothing from compare or twinnet (read from the source)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "scratch": {"torch", "torch_ref", "compare", "twinnet"},
    "torch_ref": {"compare", "twinnet"},
    "compare": {"twinnet"},
}


def top_level_imports(path: Path) -> set[str]:
    """First components of every absolute import in ``path`` (at any depth in the file)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_what_the_architecture_allows(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    broken = {str(f.relative_to(ROOT)): sorted(top_level_imports(f) & FORBIDDEN[package])
              for f in files if top_level_imports(f) & FORBIDDEN[package]}
    assert broken == {}


def test_the_reader_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    import torch.nn\n    from twinnet.cli import main\n")
    assert top_level_imports(module) == {"torch", "twinnet"}

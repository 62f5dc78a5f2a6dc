"""Installing twinnet must not break someone else's test suite.

pytest loads twinnet's plugin (``twinnet.pytest_plugin``, a ``pytest11`` entry
point) in every run of an environment where twinnet is installed. A project
with its own ``compare.py`` and ``scratch.py`` must still import ITS modules
and pass; the plugin imports nothing of compare/scratch until a fixture is used.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from importlib import metadata


def _plugin_registered() -> bool:
    eps = metadata.entry_points(group="pytest11")
    return any(ep.value == "twinnet.pytest_plugin" for ep in eps)


def test_twinnet_is_installed_as_a_pytest11_plugin():
    assert _plugin_registered(), "twinnet's pytest11 entry point is not installed"


def test_unrelated_project_with_its_own_compare_and_scratch_passes(tmp_path):
    (tmp_path / "compare.py").write_text("def add(a, b):\n    return a + b\n")
    (tmp_path / "scratch.py").write_text("VALUE = 3\n")
    (tmp_path / "test_theirs.py").write_text(textwrap.dedent("""
        import sys

        import compare
        import scratch


        def test_their_modules_are_theirs():
            assert compare.add(1, 2) == scratch.VALUE
            assert not hasattr(compare, "check_model")


        def test_plugin_loaded_but_imported_nothing_heavy(pytestconfig):
            assert pytestconfig.pluginmanager.has_plugin("twinnet")
            assert "torch" not in sys.modules
    """))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(tmp_path)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout

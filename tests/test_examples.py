"""Every file in examples/ runs here and does what the docs say it does.

Scripts run in-process as ``__main__``; ``test_*.py`` examples (user test
files) run in a throwaway pytest project with the twinnet plugin, once as
written and once with a bug planted, to show the failure is reported.
"""

import contextlib
import difflib
import io
import runpy
import sys
from pathlib import Path

import hypothesis.extra.numpy  # noqa: F401  (see below)
import pytest
import torch  # noqa: F401

import compare  # noqa: F401
import compare.strategies  # noqa: F401

# pytester's inline runs drop every module first imported during the run;
# torch cannot be imported a second time in one process (it crashes), so
# whatever the throwaway projects import is imported here first.
from tests.lecture_cells import CELL_81

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

SCRIPTS = {"lecture_layer.py", "lecture_layer_broken.py"}
USER_TESTS = {"test_my_layer.py", "test_my_relu_hypothesis.py"}


def run_script(name: str) -> tuple[int, str]:
    """Run examples/<name> as ``__main__``; return (exit status, what it printed)."""
    out, status = io.StringIO(), 0
    saved_argv, sys.argv = sys.argv, [str(EXAMPLES / name)]
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else 1
    finally:
        sys.argv = saved_argv
    return status, out.getvalue()


def test_every_example_file_is_run_by_this_module():
    assert {p.name for p in EXAMPLES.glob("*.py")} == SCRIPTS | USER_TESTS


def test_the_lecture_example_holds_cell_81_verbatim():
    assert CELL_81 in (EXAMPLES / "lecture_layer.py").read_text()


def test_the_broken_example_differs_from_cell_81_in_the_transpose_only():
    text = (EXAMPLES / "lecture_layer_broken.py").read_text()
    start = text.index("import numpy as np\n")
    pasted = text[start:start + len(CELL_81) + 40].splitlines()[:len(CELL_81.splitlines())]
    changed = [line for line in difflib.ndiff(CELL_81.splitlines(), pasted)
               if line.startswith(("- ", "+ "))]
    assert changed == ["-             self.W.transpose()",
                       "+             self.W  # BUG: should be self.W.transpose()"]


def test_the_lecture_layer_matches_torch():
    status, printed = run_script("lecture_layer.py")
    assert status == 0, printed
    lines = printed.splitlines()
    assert lines[0].startswith("check_layer: LinearSigmoidLayer")
    assert lines[1].startswith("OK")
    for check in ("output", "dL/dW", "dL/dinput"):
        assert any(check in line and line.rstrip().endswith("ok") for line in lines), check


def test_the_broken_lecture_layer_fails_naming_dinput_and_clearing_dw():
    status, printed = run_script("lecture_layer_broken.py")
    assert status == 1, printed
    assert "FAIL: backward diverges at layer 0 (LinearSigmoidLayer): dL/dinput" in printed
    rows = {name: line for line in printed.splitlines()
            for name in ("output", "dL/dW", "dL/dinput") if f" {name} " in line}
    assert rows["output"].rstrip().endswith("ok")
    assert rows["dL/dW"].rstrip().endswith("ok")  # W_grad has no transpose bug
    assert "MISMATCH" in rows["dL/dinput"]


@pytest.fixture
def user_project(pytester, monkeypatch):
    """A pytester that loads only the twinnet plugin (autoloading off, ``-p`` on)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")

    # Hypothesis: no example database in the throwaway project, and no "explain"
    # phase (it traces coverage, slow); the example's own settings still apply.
    pytester.makeconftest("""
        from hypothesis import Phase, settings
        settings.register_profile("throwaway", database=None,
                                  phases=[Phase.explicit, Phase.generate, Phase.shrink])
        settings.load_profile("throwaway")
    """)

    def run(name: str, *, replace: tuple[str, str] | None = None):
        source = (EXAMPLES / name).read_text()
        if replace is not None:
            assert replace[0] in source, f"{name} no longer contains {replace[0]!r}"
            source = source.replace(replace[0], replace[1])
        pytester.makepyfile(**{Path(name).stem: source})
        return pytester.runpytest("-p", "twinnet.pytest_plugin", "-p", "no:cacheprovider",
                                  "-W", "ignore::pytest.PytestAssertRewriteWarning")

    return run


def test_the_plugin_example_passes_as_written(user_project):
    user_project("test_my_layer.py").assert_outcomes(passed=1)


def test_the_plugin_example_fails_with_the_report_when_its_backward_is_wrong(user_project):
    # the bug: tanh' written as 1 - y instead of 1 - y**2
    result = user_project("test_my_layer.py", replace=("(1 - self.y**2)", "(1 - self.y)"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*Failed: check_layer: TanhDense*",
        "*FAIL: backward diverges at layer 0 (TanhDense)*",
        "*dL/dW*MISMATCH*",
        "*twinnet seed: *",
    ])


def test_the_hypothesis_example_passes_as_written(user_project):
    user_project("test_my_relu_hypothesis.py").assert_outcomes(passed=1)


def test_the_hypothesis_example_finds_a_relu_gradient_of_one_at_zero(user_project):
    result = user_project("test_my_relu_hypothesis.py",
                          replace=("self.mask = x > 0", "self.mask = x >= 0"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*FAIL: backward diverges at layer 0 (MyReLU): dL/dinput*",
                                 "*dL/dinput*MISMATCH*"])

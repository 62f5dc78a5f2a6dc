"""The pytest plugin, exercised the way a user meets it: in a throwaway project run by pytester.

Autoloading is switched off and the plugin named with ``-p`` so these tests
behave the same whether or not the installed package's entry point is
registered in the running environment.
"""

import importlib
import re
from importlib import metadata
from pathlib import Path

import hypothesis.extra.numpy  # noqa: F401  (see below)
import numpy as np
import pytest
import torch  # noqa: F401

import compare  # noqa: F401

# pytester's inline runs drop every module first imported during the run;
# torch cannot be imported a second time in one process (it crashes), so
# whatever the throwaway projects import is imported here first.

PLUGIN = "twinnet.pytest_plugin"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def user_project(pytester, monkeypatch):
    """A pytester whose runs load only the plugin under test, not every installed one."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return pytester


# When this suite itself runs with the plugin installed, pytest warns that the
# already-imported plugin module cannot be assertion-rewritten for the inner run.
QUIET = ("-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning")


def run(pytester, *args):
    return pytester.runpytest("-p", PLUGIN, *QUIET, *args)


SEEDED_TESTS = """
def test_draws_then_fails(twinnet_rng):
    value = twinnet_rng.random()
    assert value < 0, f"drew {value!r}"

def test_draws_and_passes(twinnet_rng):
    assert 0 <= twinnet_rng.random() < 1

def test_fails_without_the_rng():
    assert False, "no rng here"
"""


def _seed_of(result) -> int:
    seeds = re.findall(r"^twinnet seed: (\d+)$", result.stdout.str(), flags=re.M)
    assert len(seeds) == 1, result.stdout.str()
    return int(seeds[0])


def test_a_failing_test_prints_its_seed_and_the_seed_replays_the_same_draw(user_project):
    user_project.makepyfile(test_seeded=SEEDED_TESTS)
    first = run(user_project)
    first.assert_outcomes(passed=1, failed=2)
    seed = _seed_of(first)  # only the failing test that used the rng prints one
    first.stdout.fnmatch_lines([
        "*- twinnet -*",
        f"twinnet seed: {seed}",
        f"replay: pytest --twinnet-seed {seed} 'test_seeded.py::test_draws_then_fails'",
    ])
    # the failure shows the drawn value; numpy, given the printed seed, draws the same one
    expected = np.random.default_rng(seed).random()
    first.stdout.fnmatch_lines([f"*drew {expected!r}*"])

    replay = run(user_project, "--twinnet-seed", str(seed), "-k", "draws_then_fails")
    replay.assert_outcomes(failed=1, deselected=2)
    assert _seed_of(replay) == seed
    replay.stdout.fnmatch_lines([f"*drew {expected!r}*"])


def test_without_the_option_each_test_gets_its_own_fresh_seed(user_project):
    user_project.makepyfile(test_many="""
        import pytest

        @pytest.mark.parametrize("i", range(4))
        def test_fails(twinnet_seed, i):
            assert False
    """)
    result = run(user_project)
    result.assert_outcomes(failed=4)
    seeds = re.findall(r"^twinnet seed: (\d+)$", result.stdout.str(), flags=re.M)
    assert len(seeds) == 4
    # four independent 32-bit draws collide with probability ~ 6 / 2**32
    assert len(set(seeds)) == 4


def test_the_seed_option_is_validated(user_project):
    user_project.makepyfile(test_x="def test_x(twinnet_rng): pass")
    result = run(user_project, "--twinnet-seed", "-1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--twinnet-seed*"])


def test_the_plugin_is_silent_and_forces_no_fixture_on_tests_that_do_not_ask(user_project):
    user_project.makepyfile(test_plain="""
        def test_plain(tmp_path):
            assert tmp_path.exists()

        def test_fails():
            assert 1 == 2
    """)
    result = run(user_project, "--setup-show")
    result.assert_outcomes(passed=1, failed=1)
    text = result.stdout.str()
    assert "twinnet" not in text  # no header, no fixture set up, no seed section
    without = user_project.runpytest(*QUIET, "--setup-show")
    without.assert_outcomes(passed=1, failed=1)
    timing = re.compile(r" in \d+\.\d+s")
    assert timing.sub("", text) == timing.sub("", without.stdout.str())


USER_LAYER_TESTS = """
import numpy as np
import torch


class Scale:
    \"\"\"y = x * s, element-wise; s (n,), x (batch, n) -> y (batch, n).\"\"\"

    def __init__(self, s):
        self.s, self.s_grad = s, np.zeros_like(s)

    def forward(self, x):
        self.x = x
        return x * self.s

    def backward(self, grad_out):
        self.s_grad = (grad_out * self.x).sum(axis=0)
        return grad_out * self.s


class BrokenScale(Scale):
    def backward(self, grad_out):
        self.s_grad = grad_out.sum(axis=0)  # forgot the factor x
        return grad_out * self.s


def reference(x, s):
    return x * s


def test_correct_layer(twinnet, twinnet_rng):
    x = twinnet_rng.normal(size=(4, 3))
    report = twinnet.check_layer(Scale(twinnet_rng.normal(size=3)), reference, x=x)
    assert report.ok  # the passing report comes back for inspection


def test_broken_layer(twinnet):
    x = twinnet.rng.normal(size=(4, 3))
    twinnet.check_layer(BrokenScale(twinnet.rng.normal(size=3)), reference, x=x)


def test_gradcheck(twinnet, twinnet_rng):
    x = twinnet_rng.normal(size=(4, 3))
    twinnet.gradcheck(Scale(twinnet_rng.normal(size=3)), x)
    twinnet.gradcheck(BrokenScale(twinnet_rng.normal(size=3)), x)
"""


def test_twinnet_checks_pass_a_correct_layer_and_fail_a_broken_one_with_the_report(
        user_project):
    user_project.makepyfile(test_user_layers=USER_LAYER_TESTS)
    result = run(user_project)
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([
        "*_ test_broken_layer _*",
        "*twinnet.check_layer(BrokenScale(*",           # the user's own line is shown
        "E*Failed: check_layer: BrokenScale  ?layer vs torch, float64, seed *?",
        "E*FAIL: backward diverges at layer 0 (BrokenScale): dL/ds*",
        "E*0 BrokenScale  output *ok",
        "E*0 BrokenScale  dL/ds *MISMATCH <--",
        "E*0 BrokenScale  dL/dinput *ok",
        "*- twinnet -*",
        "twinnet seed: *",                              # twinnet.rng drew from twinnet_rng
        "FAILED test_user_layers.py::test_broken_layer - Failed: check_layer: *",
    ])
    result.stdout.fnmatch_lines([
        "*_ test_gradcheck _*",
        "*twinnet.gradcheck(BrokenScale(*",
        "E*Failed: gradcheck: BrokenScale*",
        "E*0 BrokenScale  dL/ds *MISMATCH <--",
    ])
    text = result.stdout.str()
    # __tracebackhide__ keeps the plugin's and compare's frames out of the traceback
    assert "pytest_plugin.py" not in text and "layer_check.py" not in text
    assert "test_correct_layer" not in text.split("short test summary")[0].split("FAILURES")[1]


def test_twinnet_check_model_fails_with_the_report_naming_the_scratch_parameter(user_project):
    user_project.makepyfile(test_user_model="""
        import numpy as np
        import scratch


        class SignBugLinear(scratch.Linear):
            def _backward(self, grad_out):
                dx = super()._backward(grad_out)
                self.grads["b"] *= -1  # planted: dL/db with the wrong sign
                return dx


        def make(linear, rng):
            return scratch.Sequential(linear(2, 3, rng=rng), scratch.Sigmoid(),
                                      scratch.Linear(3, 1, rng=rng), scratch.Sigmoid())


        def test_model(twinnet, twinnet_rng):
            x, y = twinnet_rng.normal(size=(4, 2)), np.array([[1.0], [0.0], [1.0], [1.0]])
            twinnet.check_model(make(scratch.Linear, twinnet_rng), x, y, loss="bce")
            twinnet.check_model(make(SignBugLinear, twinnet_rng), x, y, loss="bce")
    """)
    result = run(user_project)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*twinnet.check_model(make(SignBugLinear*",
        "E*Failed: check_model: Sequential(Linear(2, 3), Sigmoid(), Linear(3, 1), Sigmoid())*",
        "E*FAIL: backward diverges at layer 0 (Linear(2, 3)): dL/db ?0.b <-> 0.bias? wrong*",
        "E*0 Linear(2, 3)*dL/db ?0.b <-> 0.bias?*MISMATCH <--",
        "twinnet seed: *",
    ])


def test_one_seed_story_title_replay_line_and_upstream_share_the_fixtures_seed(user_project):
    user_project.makepyfile(test_one_seed="""
        import numpy as np
        import compare
        import scratch


        class DoubledTanh(scratch.Tanh):
            def _backward(self, grad_out):
                return 2 * super()._backward(grad_out)


        def test_same_upstream_as_compare_with_the_fixtures_seed(twinnet, twinnet_seed):
            x = np.linspace(-1, 1, 12).reshape(4, 3)
            ours = twinnet.check_layer(scratch.Tanh(), np.tanh, x=x)
            assert ours.seed == twinnet_seed
            same = compare.check_layer(scratch.Tanh(), np.tanh, x=x, seed=twinnet_seed)
            other = compare.check_layer(scratch.Tanh(), np.tanh, x=x, seed=twinnet_seed + 1)
            grads = [e.expected for e in ours.entries if e.kind == "input_grad"]
            assert all(np.array_equal(a, e.expected) for a, e in zip(
                grads, [e for e in same.entries if e.kind == "input_grad"]))
            assert not np.array_equal(grads[0], [e for e in other.entries
                                                 if e.kind == "input_grad"][0].expected)

        def test_fails(twinnet):
            twinnet.check_layer(DoubledTanh(), np.tanh, x=np.linspace(-1, 1, 6).reshape(2, 3))
    """.replace("np.tanh", "lambda x: __import__('torch').tanh(x)"))
    for extra in ((), ("--twinnet-seed", "1234")):
        result = run(user_project, *extra)
        result.assert_outcomes(passed=1, failed=1)
        text = result.stdout.str()
        titles = re.findall(r"check_layer: DoubledTanh\(\)  \[layer vs torch, float64, "
                            r"seed (\d+)\]", text)
        replays = re.findall(r"replay: pytest --twinnet-seed (\d+) ", text)
        assert titles and replays and set(titles) == set(replays) == {str(_seed_of(result))}
        if extra:
            assert titles[0] == "1234"


def test_check_pair_through_the_fixture_uses_the_fixtures_seed(user_project):
    user_project.makepyfile(test_pair_seed="""
        import numpy as np
        import torch


        def affine_forward(x, w):
            return x @ w, (x, w)


        def affine_backward(dout, cache):
            x, w = cache
            return dout @ w.T, x.T @ dout


        def test_pair(twinnet, twinnet_seed):
            x, w = np.linspace(-1, 1, 12).reshape(4, 3), np.linspace(0, 1, 6).reshape(3, 2)
            report = twinnet.check_pair(affine_forward, affine_backward, x, w,
                                        reference=lambda x, w: x @ w)
            assert report.seed == twinnet_seed
    """)
    run(user_project, "--twinnet-seed", "77").assert_outcomes(passed=1)


def test_the_option_appears_in_pytest_help(user_project):
    result = run(user_project, "--help")
    result.stdout.fnmatch_lines(["twinnet: check hand-written backprop against torch:",
                                 "*--twinnet-seed=N*seed every twinnet_rng fixture with N*"])


def test_pyproject_registers_this_module_as_the_pytest11_entry_point():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    target = project["project"]["entry-points"]["pytest11"]["twinnet"]
    assert target == PLUGIN
    module = importlib.import_module(target)
    for name in ("twinnet", "twinnet_rng", "twinnet_seed", "pytest_addoption"):
        assert hasattr(module, name), name


def _installed_entry_point():
    return [ep for ep in metadata.entry_points(group="pytest11") if ep.name == "twinnet"]


@pytest.mark.skipif(not _installed_entry_point(),
                    reason="package installed without the pytest11 entry point; reinstall "
                           "(pip install -e .) to autoload the plugin")
def test_the_installed_entry_point_autoloads_the_plugin(pytester):
    pytester.makepyfile(test_auto="def test_auto(twinnet_rng): assert twinnet_rng is not None")
    pytester.runpytest(*QUIET).assert_outcomes(passed=1)


def test_check_engine_through_the_fixture_passes_a_right_engine_and_fails_a_wrong_one(
        user_project):
    user_project.makepyfile(test_engine="""
        import numpy as np


        class Tensor:
            # a student's tiny engine: value, grad, and a backward closure per op
            def __init__(self, data, parents=(), back=None):
                self.data, self.grad = data, np.zeros_like(data)
                self.parents, self.back = parents, back

            def __mul__(self, other):
                out = Tensor(self.data * other.data, (self, other))
                def back(g):
                    self.grad += g * other.data
                    other.grad += g * self.data
                out.back = back
                return out

            def tanh(self, wrong=False):
                t = np.tanh(self.data)
                out = Tensor(t, (self,))
                def back(g):
                    self.grad += g * ((1 - t) if wrong else (1 - t * t))
                out.back = back
                return out

            def backward(self, g):
                self.back(g)
                for p in self.parents:
                    if p.back is not None:
                        p.backward(p.grad)


        ENGINE = dict(to_engine=Tensor, to_numpy=lambda t: t.data, grad=lambda t: t.grad,
                      backward=lambda out, g: out.backward(g))


        def test_right(twinnet, twinnet_rng):
            a, b = twinnet_rng.normal(size=(3, 4)), twinnet_rng.normal(size=(3, 4))
            twinnet.check_engine(lambda a, b: (a * b).tanh(),
                                 lambda a, b: (a * b).tanh(), a, b, **ENGINE)


        def test_wrong(twinnet, twinnet_rng):
            a, b = twinnet_rng.normal(size=(3, 4)), twinnet_rng.normal(size=(3, 4))
            twinnet.check_engine(lambda a, b: (a * b).tanh(wrong=True),
                                 lambda a, b: (a * b).tanh(), a, b, **ENGINE)
    """)
    # in a subprocess: in-process runs drop the modules they imported, and the twin
    # registry of a re-imported scratch would no longer know the classes of the old one
    result = user_project.runpytest_subprocess("-p", PLUGIN, *QUIET)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*check_engine*", "*MISMATCH*"])


def test_check_model_through_the_fixture_takes_no_y_for_a_random_upstream(user_project):
    user_project.makepyfile(test_model_upstream="""
        import numpy as np
        import scratch


        def test_model(twinnet, twinnet_rng):
            model = scratch.Sequential(scratch.Linear(3, 4, rng=twinnet_rng), scratch.Tanh())
            report = twinnet.check_model(model, twinnet_rng.normal(size=(5, 3)))
            assert any("upstream" in n for n in report.notes)
    """)
    user_project.runpytest_subprocess("-p", PLUGIN, *QUIET).assert_outcomes(passed=1)

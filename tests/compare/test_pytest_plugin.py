"""The pytest plugin, exercised the way a user meets it: in a throwaway project run by pytester.

Autoloading is switched off and the plugin named with ``-p`` so these tests
behave the same whether or not the installed package's entry point is
registered in the running environment.
"""

import importlib
import re
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

PLUGIN = "compare.pytest_plugin"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def user_project(pytester, monkeypatch):
    """A pytester whose runs load only the plugin under test, not every installed one."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return pytester


def run(pytester, *args):
    return pytester.runpytest("-p", PLUGIN, "-p", "no:cacheprovider", *args)


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
    without = user_project.runpytest("-p", "no:cacheprovider", "--setup-show")
    without.assert_outcomes(passed=1, failed=1)
    timing = re.compile(r" in \d+\.\d+s")
    assert timing.sub("", text) == timing.sub("", without.stdout.str())


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
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)

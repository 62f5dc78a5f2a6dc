"""``twinnet mutants`` and ``twinnet false-alarms``, including a 200-case false-alarm sample.

The full run (``twinnet false-alarms -n 10000``, both dtypes) takes many
minutes; here 200 random correct cases (100 per dtype, in chunks of 25 so no
single test is slow) must give zero failures, and planted bugs must make
both commands fail.
"""

import dataclasses

import numpy as np
import pytest

import compare.cases
import twinnet.mutants.runner as runner
from twinnet.cli import main
from twinnet.commands.false_alarms import run_cases
from twinnet.mutants import by_id


def test_mutants_command_prints_the_rates_and_the_table(capsys):
    assert main(["mutants", "--only", "linear-db-mean", "relu-grad-at-zero"]) == 0
    out = capsys.readouterr().out
    assert "caught (by any checker): 2/2 = 100.0%" in out
    assert "| `relu-grad-at-zero` | ReLU | dL/dinput |" in out


def test_mutants_command_fails_when_a_mutant_is_missed(capsys, monkeypatch):
    # run the mutant's correct parent in its place: nothing can catch that
    real = runner.run_mutant

    def as_parent(mutant, *args):
        return real(dataclasses.replace(mutant, cls=mutant.breaks), *args)

    monkeypatch.setattr(runner, "run_mutant", as_parent)
    assert main(["mutants", "--only", "linear-db-mean"]) == 1
    assert "missed: linear-db-mean" in capsys.readouterr().out


def test_mutants_command_rejects_an_unknown_id(capsys):
    assert main(["mutants", "--only", "no-such-bug"]) == 2
    assert "no mutant 'no-such-bug'" in capsys.readouterr().err


def test_mutants_list(capsys):
    assert main(["mutants", "--list"]) == 0
    assert "rnn-bptt-one-step-short" in capsys.readouterr().out


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("start", [0, 25, 50, 75])
def test_false_alarm_sample_has_no_failures(dtype, start):
    tally = run_cases(dtype, 25, seed=start)
    assert tally.cases == 25 and not tally.failed, tally.failed[:1]
    assert len(tally.ratios) == 25 and max(tally.ratios) < 1


def test_false_alarms_command_prints_the_distribution(capsys):
    assert main(["false-alarms", "-n", "5", "--no-threads"]) == 0
    out = capsys.readouterr().out
    assert "5 random correct cases per dtype" in out
    assert "99.9th pct" in out and "float64" in out and "float32" in out


def test_false_alarms_command_fails_and_shows_a_failing_case(capsys, monkeypatch):
    broken = by_id("sigmoid-wrong-sign")

    def mutant_case(seed, dtype=None):
        c = broken.model_case(seed, dtype)
        return compare.cases.Case(seed, np.dtype(dtype), c.model, c.x, c.y, c.loss)

    monkeypatch.setattr(compare.cases, "random_case", mutant_case)
    assert main(["false-alarms", "-n", "2", "--dtype", "float64", "--no-threads"]) == 1
    out = capsys.readouterr().out
    assert "=== FAILED case 0" in out and "SigmoidWrongSign" in out

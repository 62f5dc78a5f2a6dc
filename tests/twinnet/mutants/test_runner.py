"""The mutation suite's figures: every mutant caught, at least 95% localized.

Also shows the tally can fail: a "mutant" that changes nothing is reported as
missed, and a mutant whose metadata points at the wrong parameter is reported
as misplaced.
"""

import dataclasses

import numpy as np
import pytest

import scratch
from twinnet.mutants import (
    MUTANTS,
    by_id,
    render_summary,
    render_table,
    run_all,
    run_mutant,
    summarize,
)
from twinnet.mutants.catalogue import Mutant


@pytest.fixture(scope="module")
def results():
    return {r.mutant.id: r for r in run_all(seed=0)}


@pytest.mark.parametrize("mid", [m.id for m in MUTANTS])
def test_every_mutant_is_caught_and_localized(results, mid):
    r = results[mid]
    assert not r.checker_errors, [v.where for v in r.checker_errors]
    assert r.caught, {c: v.where for c, v in r.verdicts.items()}
    assert r.localized, {c: v.where for c, v in r.verdicts.items() if v.caught}
    # the model-level checker (lockstep for an optimizer) catches and places every one
    top = r.verdicts["lockstep" if r.mutant.is_optimizer else "check_model"]
    assert top.caught and top.localized, top.where


def test_kill_rate_and_localization_rate(results):
    s = summarize(list(results.values()))
    assert s.total == len(MUTANTS) >= 20
    assert s.kill_rate == 1.0
    assert s.localization_rate >= 0.95


def test_float32_mutants_are_caught_too():
    rs = run_all([by_id(i) for i in ("linear-db-mean", "relu-grad-at-zero", "bce-eps-1e-7",
                                     "linear-stale-input")], seed=1, dtype=np.float32)
    assert all(r.caught and r.localized for r in rs)


class HarmlessLinear(scratch.Linear):
    """Overrides backward with the very same maths: not a bug."""

    def _backward(self, grad_out):
        return super()._backward(grad_out)


def test_a_harmless_change_is_reported_as_missed_by_every_checker():
    fake = Mutant("harmless", HarmlessLinear, scratch.Linear, "W", "linear", "-", "-")
    r = run_mutant(fake)
    assert not r.caught and not r.localized
    assert [(c, v.caught) for c, v in r.verdicts.items() if v.applicable] == [
        ("check_model", False), ("check_layer", False), ("gradcheck", False)]
    assert "missed: harmless" in render_summary([r])


class HarmlessSGD(scratch.SGD):
    """Overrides step with the very same update: not a bug."""

    def step(self):
        super().step()


def test_lockstep_reports_a_harmless_optimizer_as_missed():
    fake = Mutant("harmless-sgd", HarmlessSGD, scratch.SGD, "update", "optimizer", "-", "-")
    r = run_mutant(fake)
    assert [(c, v.caught) for c, v in r.verdicts.items() if v.applicable] == [
        ("lockstep", False)]
    assert not r.caught


def test_metadata_pointing_at_the_wrong_parameter_is_reported_as_misplaced():
    # the bug is in b, but this entry claims W
    wrong = dataclasses.replace(by_id("linear-db-first-row"), id="mislabelled", flag="W")
    r = run_mutant(wrong)
    assert r.caught and not r.localized
    assert all(v.caught and not v.localized for v in r.verdicts.values() if v.applicable)
    assert "misplaced: mislabelled" in render_summary([r])


def test_table_lists_every_mutant_and_the_totals(results):
    table = render_table(list(results.values()))
    for mid in results:
        assert f"`{mid}`" in table
    n = sum(not r.mutant.is_optimizer for r in results.values())
    k = len(results) - n
    assert f"| **all** | | | | {n}/{n} killed, {n} localized |" in table
    assert table.rstrip().endswith(f"| {k}/{k} killed, {k} localized |")

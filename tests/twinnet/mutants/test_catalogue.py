"""The catalogue itself: enough mutants, well-formed metadata, and every mutant really a bug.

"Really a bug" is shown without trusting compare's verdicts alone: each mutant's
correct parent, built from the same seed in the same host, passes all three
checkers, so any failure of the mutant comes from its one overridden method.
"""

import dataclasses

import numpy as np
import pytest

import scratch
from twinnet.mutants import MUTANTS, LossAsLayer, by_id, run_mutant
from twinnet.mutants.catalogue import HOSTS, INPUT_GRAD, LOSS_VALUE, OUTPUT, PRED_GRAD, UPDATE

IDS = [m.id for m in MUTANTS]


def test_at_least_twenty_mutants_with_unique_ids():
    assert len(MUTANTS) >= 20
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("mid", IDS)
def test_metadata_is_well_formed(mid):
    m = by_id(mid)
    assert issubclass(m.cls, m.breaks) and m.cls is not m.breaks
    assert m.breaks.__module__.startswith("scratch.")
    assert m.description and m.origin and m.reveals
    assert m.host in HOSTS
    if issubclass(m.breaks, scratch.SGD):
        assert m.flag == UPDATE and m.is_optimizer and m.unit_case() is None
    elif issubclass(m.breaks, scratch.Loss):
        assert m.flag in (LOSS_VALUE, PRED_GRAD)
    else:
        # a parameter flag names a real parameter of the layer it breaks
        layer = m.unit_case().layer
        assert m.flag in (OUTPUT, INPUT_GRAD) or m.flag in layer.params


@pytest.mark.parametrize("mid", IDS)
def test_model_case_hosts_the_mutant_where_it_says(mid):
    m = by_id(mid)
    case = m.model_case(seed=3)
    layers = case.model.layers
    if m.is_optimizer:  # the model is correct; lockstep trains it with the broken optimizer
        assert not any(isinstance(layer, m.cls) for layer in layers)
    elif issubclass(m.breaks, scratch.Loss):
        assert isinstance(case.loss, m.cls) and case.index == len(layers)
    else:
        assert type(layers[case.index]) is m.cls
        assert sum(type(layer) is m.cls for layer in layers) == 1
        for key in layers[case.index].params:
            assert case.prefix + key in case.model.params


@pytest.mark.parametrize("seed, dtype", [(0, np.float64), (1, np.float32)])
@pytest.mark.parametrize("mid", IDS)
def test_the_correct_parent_passes_every_checker_in_the_same_host(mid, seed, dtype):
    control = dataclasses.replace(by_id(mid), cls=by_id(mid).breaks)
    result = run_mutant(control, seed=seed, dtype=dtype)
    assert not result.checker_errors, [v.where for v in result.checker_errors]
    applicable = [v for v in result.verdicts.values() if v.applicable]
    assert applicable
    for verdict in applicable:
        assert verdict.caught is False, f"{verdict.checker}: {verdict.where}"


def test_cases_are_reproducible_from_the_seed():
    m = by_id("linear-db-first-row")
    a, b = m.model_case(seed=5), m.model_case(seed=5)
    np.testing.assert_array_equal(a.x, b.x)
    for key in a.model.params:
        np.testing.assert_array_equal(a.model.params[key], b.model.params[key])
    assert not np.array_equal(a.x, m.model_case(seed=6).x)


def test_loss_as_layer_gives_the_loss_and_its_gradient():
    pred = np.array([[0.5], [2.0]])
    target = np.array([[0.0], [1.0]])
    layer = LossAsLayer(scratch.MSELoss(), target)
    # mean of (0.5^2, 1^2) = 0.625; dL/dpred = 2 (pred - target) / 2 = (0.5, 1.0)
    np.testing.assert_array_equal(layer.forward(pred), [0.625])
    np.testing.assert_array_equal(layer.backward(np.array([3.0])), [[1.5], [3.0]])

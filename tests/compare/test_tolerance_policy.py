"""check_model's default tolerance: per-array scale floor plus the measured rounding envelope.

Each bug below is one the fixed table pair (float64 rtol = atol = 1e-7) let
through; each correct model below is one the fixed float32 pair flagged.
"""

import numpy as np
import pytest

import scratch
from compare import check_model
from compare.cases_hard import FAMILIES, hard_case
from compare.envelope import array_envelopes
from compare.tolerances import POLICY, ScaledTolerance, Tolerance, policy_for
from twinnet.mutants.judgement_bugs import (
    DeepLinearDwSignFlip,
    DeepLinearDxTransposed,
    LinearDwFloat32,
)

OLD64 = {"rtol": 1e-7, "atol": 1e-7, "grad_rtol": 1e-7, "grad_atol": 1e-7}
OLD32 = {"rtol": 1.3e-6, "atol": 1e-5, "grad_rtol": 4e-6, "grad_atol": 4e-5}


def test_per_array_atol_by_hand():
    tol = ScaledTolerance(rtol=1e-9, atol=0.0, floor=1e-9, envelope=16.0, cap=1e-4)
    ref = np.array([1e-10, -2e-10])
    # floor: 1e-9 * max|ref| = 2e-19
    assert tol.for_array(ref, 0.0) == Tolerance(1e-9, pytest.approx(2e-19))
    # the envelope wins when larger: 16 * 1e-15 = 1.6e-14
    assert tol.for_array(ref, 1e-15).atol == pytest.approx(1.6e-14)
    # ...but never beyond cap * max|ref| = 1e-4 * 2e-10 = 2e-14
    assert tol.for_array(ref, 1.0).atol == pytest.approx(2e-14)
    # NaN and inf do not set the scale: the largest finite |value| does
    assert tol.for_array(np.array([np.nan, np.inf, -3.0]), 0.0).atol == pytest.approx(3e-9)


def test_explicit_pair_bypasses_the_policy():
    assert policy_for(np.float64, "gradient", 1e-3, 1e-4) == Tolerance(1e-3, 1e-4)
    assert policy_for(np.float32, "gradient") is POLICY[np.dtype(np.float32)]["gradient"]


def test_envelope_is_the_largest_distance_of_any_run():
    ref = [np.array([1.0, 2.0]), None, np.array([0.0])]
    runs = [[np.array([1.0, 2.5]), None, np.array([1e-3])],
            [np.array([1.25, 2.0]), None, np.array([0.0])]]
    assert array_envelopes(ref, runs) == [0.5 + 0.25, 0.0, 1e-3]
    assert array_envelopes([np.array([1.0])], [[np.array([np.nan])]]) == [float("inf")]


def _deep_sigmoid(rng, first):
    layers = [first]
    for _ in range(9):
        layers += [scratch.Sigmoid(), scratch.Linear(6, 6, rng=rng)]
    return scratch.Sequential(*layers, scratch.Sigmoid(), scratch.Linear(6, 1, rng=rng))


def test_sign_flip_of_a_tiny_gradient_deep_in_a_net_fails_at_its_own_scale():
    rng = np.random.default_rng(3)
    model = _deep_sigmoid(rng, DeepLinearDwSignFlip(6, 6, rng=rng))
    x, y = rng.normal(size=(4, 6)), rng.normal(size=(4, 1))
    report = check_model(model, x, y, "mse")
    dw0 = report.entry("layer 0 (Linear(6, 6)) dL/dW")
    assert np.abs(dw0.expected).max() < 1e-8  # torch's gradient: far below the old atol
    assert not report.ok and report.first_divergence.layer == 0
    assert check_model(model, x, y, "mse", **OLD64).ok  # the fixed pair missed it


@pytest.mark.parametrize("batch", [1, 8, 64])
def test_float32_arithmetic_inside_a_float64_layer_fails(batch):
    rng = np.random.default_rng(batch)
    model = scratch.Sequential(LinearDwFloat32(5, 4, rng=rng), scratch.Tanh(),
                               scratch.Linear(4, 2, rng=rng))
    x, y = rng.normal(size=(batch, 5)), rng.normal(size=(batch, 2))
    report = check_model(model, x, y, "mse")
    assert not report.ok and report.first_divergence.layer == 0
    assert check_model(model, x, y, "mse", **OLD64).ok  # the fixed pair missed it


def test_transposed_dx_deep_in_a_net_fails_where_it_happens():
    rng = np.random.default_rng(5)
    layers = [scratch.Linear(6, 6, rng=rng)]
    for k in range(8):
        layers += [scratch.Sigmoid(), (DeepLinearDxTransposed if k == 1 else scratch.Linear)(
            6, 6, rng=rng)]
    model = scratch.Sequential(*layers, scratch.Sigmoid(), scratch.Linear(6, 1, rng=rng))
    x, y = rng.normal(size=(6, 6)), rng.normal(size=(6, 1))
    report = check_model(model, x, y, "mse")
    assert not report.ok and report.first_divergence.layer == 4


def test_float32_on_inputs_scaled_1000_is_judged_at_its_own_rounding():
    case = hard_case(30, "float32")  # Linear-ReLU MLP on x * 1000
    assert np.abs(case.x).max() > 100
    assert not case.check(**OLD32).ok  # the fixed pair's false alarm
    assert case.check().ok


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("family", FAMILIES)
def test_hard_profile_cases_pass(dtype, family):
    seed = FAMILIES.index(family) + 5 * 7  # one case of each family
    case = hard_case(seed, dtype)
    assert family in case.kinks[0]
    report = case.check()
    assert report.ok, str(report)

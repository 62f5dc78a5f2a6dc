"""compare_arrays: shape, then dtype, then values; every kind of bad input gets its own status."""

import json

import numpy as np
import pytest
import torch

from compare import compare_arrays
from compare.diff import compare_many
from compare.tolerances import Tolerance

TOL = {"rtol": 1e-7, "atol": 1e-7}


def test_equal_arrays_pass():
    a = np.array([[1.0, -2.0], [3.0, 4.5]])
    d = compare_arrays(a, a.copy(), **TOL)
    assert d.ok and d.status == "ok" and d.max_abs == 0 and d.n_mismatched == 0


def test_within_tolerance_passes_and_just_outside_fails():
    expected = np.array([10.0])
    # allowed = atol + rtol * |expected| = 1e-7 + 1e-7 * 10 = 1.1e-6
    assert compare_arrays(expected + 1.0e-6, expected, **TOL).ok
    d = compare_arrays(expected + 1.2e-6, expected, **TOL)
    assert d.status == "mismatch"
    assert d.allowed == pytest.approx(1.1e-6)
    assert d.ratio == pytest.approx(1.2e-6 / 1.1e-6, rel=1e-6)


def test_mismatch_reports_worst_element_with_both_values():
    expected = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    actual = expected.copy()
    actual[1, 2] = 6.5   # |diff| 0.5
    actual[0, 0] = 1.01  # |diff| 0.01, smaller
    d = compare_arrays(actual, expected, **TOL)
    assert d.status == "mismatch" and d.n_mismatched == 2
    assert d.worst_index == (1, 2)
    assert d.values_at_worst() == (6.5, 6.0)
    assert d.max_abs == pytest.approx(0.5)
    assert d.max_rel == pytest.approx(0.5 / 6.0)  # beats 0.01 / 1.0
    text = d.describe("scratch", "torch")
    assert "2 of 6 element(s) fail" in text and "(1, 2)" in text
    assert "scratch 6.5 vs torch 6" in text


def test_shape_difference_is_a_status_not_an_exception():
    d = compare_arrays(np.zeros((4, 1)), np.zeros(4), **TOL)
    assert d.status == "shape" and not d.ok
    assert d.message == "shape differs: actual (4, 1) vs expected (4,)"
    assert d.max_abs == 0 and d.worst_index is None  # nothing was compared


def test_dtype_difference_is_a_status_and_nothing_is_cast():
    d = compare_arrays(np.ones(3, np.float32), np.ones(3, np.float64), **TOL)
    assert d.status == "dtype"
    assert d.message == "dtype differs: actual float32 vs expected float64"
    assert compare_arrays(np.ones(3, np.float32), np.ones(3), check_dtype=False, **TOL).ok


def test_nan_on_one_side():
    d = compare_arrays(np.array([1.0, np.nan]), np.array([1.0, 2.0]), **TOL)
    assert d.status == "nan-one" and d.worst_index == (1,)
    assert "actual has 1 NaN, expected 0" in d.describe()


def test_nan_on_both_sides_never_passes():
    d = compare_arrays(np.array([1.0, np.nan]), np.array([1.0, np.nan]), **TOL)
    assert d.status == "nan-both" and not d.ok
    assert "NaN on both sides" in d.describe()


@pytest.mark.parametrize("actual, expected", [
    ([np.inf, 1.0], [-np.inf, 1.0]),   # sign
    ([np.inf, 1.0], [1.0, np.inf]),    # position
    ([5.0, 1.0], [np.inf, 1.0]),       # finite vs inf: an infinite allowance must not pass it
    ([np.inf, 1.0], [5.0, 1.0]),
])
def test_infinities_must_match_in_sign_and_position(actual, expected):
    d = compare_arrays(np.array(actual), np.array(expected), **TOL)
    assert d.status == "inf"


def test_equal_infinities_pass():
    assert compare_arrays(np.array([np.inf, -np.inf, 2.0]),
                          np.array([np.inf, -np.inf, 2.0]), **TOL).ok


def test_missing_side():
    d = compare_arrays(None, np.ones(2), **TOL)
    assert d.status == "missing" and "no actual value" in d.message


@pytest.mark.parametrize("given", [{"rtol": 1e-7}, {"atol": 1e-7}])
def test_only_one_of_rtol_atol_raises(given):
    with pytest.raises(ValueError, match="travel together"):
        compare_arrays(np.ones(2), np.ones(2), **{"rtol": None, "atol": None, **given})


def test_neither_rtol_nor_atol_raises():
    with pytest.raises(ValueError, match="required"):
        compare_arrays(np.ones(2), np.ones(2), rtol=None, atol=None)


def test_torch_tensors_and_scalars_are_accepted_lists_are_not():
    t = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    assert compare_arrays(np.array([1.0, 2.0]), t, **TOL).ok
    assert compare_arrays(0.5, np.float64(0.5), **TOL).ok
    with pytest.raises(TypeError, match="list"):
        compare_arrays([1.0], np.array([1.0]), **TOL)


def test_empty_and_integer_arrays():
    assert compare_arrays(np.zeros((0, 3)), np.zeros((0, 3)), **TOL).ok
    d = compare_arrays(np.array([1, 2]), np.array([1, 3]), **TOL)
    assert d.status == "mismatch" and d.max_abs == 1


def test_compare_many_matches_one_by_one():
    rng = np.random.default_rng(0)
    fwd, grad = Tolerance(1e-7, 1e-7), Tolerance(1e-3, 0.0)
    pairs = []
    for k in range(12):
        e = rng.normal(size=(k % 3 + 1, 2))
        a = e + rng.choice([0.0, 1e-9, 1e-4], size=e.shape)
        pairs.append((a, e, fwd if k % 2 else grad))
    pairs.append((np.array([np.nan]), np.array([np.nan]), fwd))
    batched = [d.status for d in compare_many(pairs)]
    single = [compare_arrays(a, e, rtol=t.rtol, atol=t.atol).status for a, e, t in pairs]
    assert batched == single and "mismatch" in batched and "ok" in batched
    assert batched[-1] == "nan-both"


def test_to_dict_is_json_ready():
    d = compare_arrays(np.array([1.0, 2.0]), np.array([1.0, 2.5]), **TOL)
    blob = json.loads(json.dumps(d.to_dict()))
    assert blob["status"] == "mismatch" and blob["worst_index"] == [1]
    assert blob["actual_at_worst"] == 2.0 and blob["expected_at_worst"] == 2.5

"""The cheaper checks and guards of the small-model path still catch what they caught.

Each shortcut (the cached float-error guard, checks on a few values read as Python
floats, the finite checks a Sequential skips because the previous layer has just
made them, torch's sigmoid formula in the Sigmoid layer, the mean without
``np.mean``) is tested where it could go wrong: on both sides of its size
threshold, against NumPy or torch as the witness, and with a planted bad value
that must still be named.
"""

import warnings

import numpy as np
import pytest
import torch

import scratch
from scratch import _float_guard
from scratch._checks import (
    SMALL_FINITE_CHECK,
    SMALL_RANGE_CHECK,
    check_finite,
    check_unit_interval,
)
from scratch.layer import float_errors_checked_after

SIZES = [1, 2, SMALL_FINITE_CHECK, SMALL_FINITE_CHECK + 1, SMALL_RANGE_CHECK,
         SMALL_RANGE_CHECK + 1, 200]


def test_numpy_2_gets_the_cached_guard_and_older_numpy_plain_errstate():
    # NumPy 2 keeps its error state in a context variable; 1.x does not (plain errstate)
    cached = int(np.__version__.split(".")[0]) >= 2
    assert (_float_guard._STATE is not None) == cached
    assert (_float_guard.QuietFloatErrors is _float_guard._CachedQuiet) == cached


def test_guard_silences_overflow_and_restores_the_callers_settings():
    huge = np.array([1e308])
    with np.errstate(over="raise", under="raise", invalid="warn", divide="warn"):
        before = np.geterr()
        for _ in range(2):  # the second entry takes the cached state
            with float_errors_checked_after():
                inside = np.geterr()
                assert np.isinf(huge * 10)[0]
                assert np.isnan(np.array([np.inf]) - np.inf)[0]
                assert np.isinf(np.array([1.0]) / 0.0)[0]
            assert np.geterr() == before
        # over/invalid/divide ignored; the caller's "under" kept, as np.errstate keeps it
        assert inside == {"divide": "ignore", "over": "ignore", "under": "raise",
                          "invalid": "ignore"}
        with pytest.raises(FloatingPointError):
            huge * 10  # the caller's own setting is back


def test_guard_restores_state_when_the_block_raises():
    before = np.geterr()
    with pytest.raises(KeyError), float_errors_checked_after():
        raise KeyError("x")
    assert np.geterr() == before


def test_nested_guards_and_a_different_outer_state_each_get_their_own_result():
    with float_errors_checked_after():
        with np.errstate(divide="raise"):  # a user's setting inside scratch's guard
            with float_errors_checked_after():
                assert np.geterr()["divide"] == "ignore"
            assert np.geterr()["divide"] == "raise"
        assert np.geterr()["divide"] == "ignore"


def test_plain_errstate_fallback_behaves_the_same():
    guard = _float_guard._plain_quiet()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with guard:
            assert np.isinf(np.array([1e308]) * 10)[0]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_finite_check_finds_the_bad_value_at_every_size(size, dtype, bad):
    a = np.linspace(-3, 3, size).astype(dtype).reshape(size, 1)
    check_finite("L", "x", a)  # all finite: passes
    a[size - 1, 0] = bad  # the last value, so a check that stops early misses it
    where = rf"L: x holds 1 non-finite.*\({size - 1}, 0\)"
    with pytest.raises(scratch.NonFiniteError, match=where):
        check_finite("L", "x", a)


def test_finite_check_on_a_huge_finite_value_and_a_numpy_scalar():
    check_finite("L", "x", np.array([[1e308, -1e308, 3.4e38]]))
    check_finite("L", "x", np.float32(3.0))
    with pytest.raises(scratch.NonFiniteError):
        check_finite("L", "x", np.float64(np.nan))


@pytest.mark.parametrize("size", SIZES)
def test_unit_interval_check_at_every_size(size):
    a = np.linspace(0.0, 1.0, size).reshape(1, size)
    if size > 1:
        a[0, 0] = -0.0  # -0.0 >= 0 holds, as in torch's check
    check_unit_interval("BCELoss", "pred", a)
    for bad, error in [(1.0 + 1e-12, scratch.LabelError), (-1e-300, scratch.LabelError),
                       (np.nan, scratch.NonFiniteError), (np.inf, scratch.NonFiniteError),
                       (-np.inf, scratch.NonFiniteError)]:
        b = a.copy()
        b[0, size - 1] = bad
        with pytest.raises(error, match="BCELoss: pred"):
            check_unit_interval("BCELoss", "pred", b)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("size", [1, 2, 7, 1000, 100_003])
def test_reduce_gives_numpys_mean_and_sum_exactly(reduction, dtype, size):
    per = (np.random.default_rng(size).standard_normal(size) * 1e3).astype(dtype)
    expected = float(per.mean() if reduction == "mean" else per.sum())
    assert scratch.MSELoss(reduction)._reduce(per) == expected


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bce_loss_matches_torch_on_a_batch_and_on_one_value(dtype):
    rng = np.random.default_rng(0)
    for shape in [(1, 1), (40, 1)]:
        p = rng.uniform(0.01, 0.99, shape).astype(dtype)
        y = (rng.random(shape) < 0.5).astype(dtype)
        loss = scratch.BCELoss()
        value = loss.forward(p, y)
        tp = torch.from_numpy(p).requires_grad_(True)
        expected = torch.nn.functional.binary_cross_entropy(tp, torch.from_numpy(y))
        expected.backward()
        rtol = 1e-6 if dtype == np.float32 else 1e-13
        np.testing.assert_allclose(value, expected.item(), rtol=rtol)
        np.testing.assert_allclose(loss.backward(), tp.grad.numpy(), rtol=rtol)


def test_bce_loss_still_names_bad_pred_and_target():
    loss = scratch.BCELoss()
    with pytest.raises(scratch.NonFiniteError, match="BCELoss: pred"):
        loss.forward(np.array([[np.nan]]), np.array([[1.0]]))
    with pytest.raises(scratch.NonFiniteError, match="BCELoss: target"):
        loss.forward(np.array([[0.5]]), np.array([[np.inf]]))
    with pytest.raises(scratch.LabelError, match=r"BCELoss: pred must lie in \[0, 1\]"):
        loss.forward(np.full((30, 1), 0.5) + np.eye(30, 1), np.ones((30, 1)))
    with pytest.raises(scratch.NonFiniteError, match="BCEWithLogitsLoss: pred"):
        scratch.BCEWithLogitsLoss().forward(np.array([[np.inf]]), np.array([[1.0]]))
    with pytest.raises(scratch.NonFiniteError, match="MSELoss: target"):
        scratch.MSELoss().forward(np.array([[1.0]]), np.array([[np.nan]]))


class NaNAfter(scratch.Layer):
    """A user's layer in the lecture's style that writes its own forward and backward
    (no checks of its own) and lets a NaN through in both directions."""

    def forward(self, x):
        self.x = x
        out = x.copy()
        out[0, 0] = np.nan
        return out

    def backward(self, grad_out):
        grad = grad_out.copy()
        grad[-1, -1] = np.nan
        return grad


def test_sequential_still_checks_what_a_users_layer_hands_on():
    """The finite check a Sequential skips is only the one a stock layer has just made."""
    model = scratch.Sequential(scratch.Linear(2, 3, rng=0), NaNAfter(), scratch.Sigmoid(),
                               scratch.Linear(3, 1, rng=1))
    with pytest.raises(scratch.NonFiniteError, match=r"layer 2 \(Sigmoid\(\)\): input"):
        model.forward(np.ones((2, 2)))
    backward_model = scratch.Sequential(scratch.Linear(2, 3, rng=0), NaNAfter(),
                                        scratch.Linear(3, 1, rng=1))
    backward_model[1].forward = lambda x: x  # forward passes; backward still plants NaN
    backward_model.forward(np.ones((2, 2)))
    with pytest.raises(scratch.NonFiniteError, match=r"layer 0 \(Linear\(2, 3\)\): grad_out"):
        backward_model.backward(np.ones((2, 1)))


def test_sequential_checks_the_first_input_and_the_first_grad_out():
    model = scratch.Sequential(scratch.Linear(2, 3, rng=0), scratch.Sigmoid())
    with pytest.raises(scratch.NonFiniteError, match=r"layer 0 .*input"):
        model.forward(np.array([[1.0, np.nan]]))
    model.forward(np.ones((1, 2)))
    with pytest.raises(scratch.NonFiniteError, match=r"layer 1 \(Sigmoid\(\)\): grad_out"):
        model.backward(np.array([[0.0, np.inf, 1.0]]))


def test_rnn_still_checks_its_input_for_nan():
    with pytest.raises(scratch.NonFiniteError, match=r"RNN\(2, 3\): input"):
        scratch.RNN(2, 3, rng=0).forward(np.array([[[1.0, np.nan]]]))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_layer_matches_torch_on_small_arrays_without_warnings(dtype):
    x = np.array([[-1000.0, -745.0, -709.0, -40.0, -1.0, 0.0, 2.5, 40.0, 1000.0]], dtype)
    assert x.size <= scratch.activations.SMALL
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the overflow of exp(1000) must not leak
        ours = scratch.Sigmoid().forward(x)
    assert ours.dtype == dtype
    expected = torch.sigmoid(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours, expected, rtol=4 * np.finfo(dtype).eps, atol=0)

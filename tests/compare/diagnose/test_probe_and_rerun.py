"""Opt-in extra passes: accumulated and stale gradients; float32 rounding confirmed in float64."""

import numpy as np

import scratch
from compare.diagnose import (
    as_float64,
    confirm_rounding,
    diagnose,
    probe_backward,
    rerun_in_float64,
)
from compare.layer_check import check_layer
from twinnet.mutants.layer_bugs import LinearGradsAccumulate, SigmoidWrongSign

from .planted_layers import ReversedSumLinear


class StaleLinear(scratch.Linear):
    """Computes its gradients on the first call only (a misplaced cache)."""

    def _backward(self, grad_out):
        if not getattr(self, "_done", False):
            self._done = True
            return super()._backward(grad_out)
        return grad_out @ self.params["W"].T


def _x(shape, seed=7):
    return np.random.default_rng(seed).normal(size=shape)


def test_probe_finds_accumulation():
    hints = probe_backward(LinearGradsAccumulate(3, 2, rng=0), _x((4, 3)))
    assert {h.where for h in hints} == {"Linear(3, 2) grad W", "Linear(3, 2) grad b"}
    assert all(h.kind == "accumulated" and "doubles" in h.message for h in hints)


def test_probe_finds_stale_gradient():
    hints = probe_backward(StaleLinear(3, 2, rng=0), _x((4, 3)))
    assert [h.kind for h in hints] == ["never_written", "never_written"]
    assert "written on the first call only" in hints[0].message


def test_probe_is_silent_for_correct_layer():
    assert probe_backward(scratch.Linear(3, 2, rng=0), _x((4, 3))) == []


def test_as_float64_converts_a_copy():
    layer = scratch.Linear(3, 2, rng=0, dtype=np.float32)
    clone = as_float64(layer)
    assert clone.dtype == np.float64 and clone.params["W"].dtype == np.float64
    assert clone.grads["W"].dtype == np.float64
    assert layer.params["W"].dtype == np.float32  # original untouched
    np.testing.assert_array_equal(clone.params["W"], layer.params["W"].astype(np.float64))


def test_float32_rounding_confirmed_by_float64_rerun():
    rng = np.random.default_rng(0)
    W = (rng.normal(size=(2000, 4)) * 10).astype(np.float32)
    x = (rng.normal(size=(3, 2000)) * 10).astype(np.float32)
    report32 = check_layer(ReversedSumLinear(W), lambda x, W: x @ W, x=x)
    assert report32.hints[0].kind == "float32_rounding"
    report64 = rerun_in_float64(check_layer, ReversedSumLinear(W), lambda x, W: x @ W, x=x)
    assert report64.dtype == "float64" and report64.ok
    (hint,) = confirm_rounding(report32, report64)
    assert hint.evidence["confirmed"] is True and "confirmed float32 rounding" in hint.message


def test_real_bug_is_not_excused_as_rounding():
    x = _x((4, 3)).astype(np.float32)
    import torch
    report32 = check_layer(SigmoidWrongSign(), torch.sigmoid, x=x)
    report64 = rerun_in_float64(check_layer, SigmoidWrongSign(), torch.sigmoid, x=x)
    hints = confirm_rounding(report32, report64)
    assert [h.kind for h in hints] == ["sign_flip"]
    assert hints[0].message.startswith("Not rounding: still fails in float64.")
    assert diagnose(report64)[0].kind == "sign_flip"

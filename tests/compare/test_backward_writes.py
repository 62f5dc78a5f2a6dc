"""A backward that writes into an array it does not own fails at default settings, blamed on it.

The numbers of the run itself are right in every case below; only the
write shows the bug (a later backward, or the neighbouring layer that shares
the array, would read corrupted values).
"""

import numpy as np
import pytest

import scratch
from compare import check_model
from twinnet.mutants.judgement_bugs import TanhBackwardSquaresCache, TanhBackwardWritesGradOut


class Cs231nRelu(scratch.ReLU):
    """CS231n's ``dx = dout; dx[x <= 0] = 0``: dout is the caller's array."""

    def _backward(self, grad_out):
        dx = grad_out
        dx[self._out <= 0] = 0
        return dx


class InputScalingLinear(scratch.Linear):
    """Computes dW, then reuses its cached input as a buffer for dx's rows (writes into it)."""

    def backward(self, grad_out):
        dx = super().backward(grad_out)
        self._x *= 0.5  # "free" the cache by scaling it: the layer below's output changes
        return dx


def _model(middle, rng):
    return scratch.Sequential(scratch.Linear(4, 5, rng=rng), middle, scratch.Linear(5, 3, rng=rng),
                              scratch.Tanh(), scratch.Linear(3, 2, rng=rng))


@pytest.mark.parametrize("middle, what", [
    (TanhBackwardSquaresCache(), "its cached forward output"),
    (TanhBackwardWritesGradOut(), "the dL/doutput it was handed"),
    (Cs231nRelu(), "the dL/doutput it was handed"),
])
@pytest.mark.parametrize("twice", [False, True])
def test_the_writing_layer_is_named_in_the_verdict(middle, what, twice):
    rng = np.random.default_rng(0)
    model = _model(middle, rng)
    x, y = rng.normal(size=(6, 4)), rng.normal(size=(6, 2))
    report = check_model(model, x, y, "mse", backward_twice=twice)
    assert not report.ok
    verdict = str(report.first_divergence)
    assert verdict.startswith(f"backward diverges at layer 1 ({middle.describe()})")
    assert f"wrote into {what}" in verdict


def test_a_write_into_the_cached_input_blames_the_writer_not_the_layer_below():
    rng = np.random.default_rng(1)
    if not hasattr(scratch.Linear(2, 2, rng=rng), "_x"):
        pytest.skip("scratch.Linear caches its input under another name")
    model = scratch.Sequential(scratch.Linear(4, 5, rng=rng), scratch.Sigmoid(),
                               InputScalingLinear(5, 2, rng=rng))
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(3, 2))
    report = check_model(model, x, y, "mse")
    assert not report.ok
    verdict = str(report.first_divergence)
    assert verdict.startswith("backward diverges at layer 2 (")
    assert "wrote into its cached forward input" in verdict


def test_the_same_layers_without_the_write_pass():
    rng = np.random.default_rng(0)
    model = _model(scratch.Tanh(), rng)
    x, y = rng.normal(size=(6, 4)), rng.normal(size=(6, 2))
    assert check_model(model, x, y, "mse").ok

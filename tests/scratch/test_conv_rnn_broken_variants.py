"""Plausible backprop bugs, planted as small subclasses, and the checks that catch them.

Each broken layer (from the mutant catalogue, twinnet/mutants/deep_bugs.py) differs from the real
one in one place. The same finite-difference check that the real layer passes
(rel_error <= 1e-7) must flag the broken gradient -- and only that one -- by a
wide margin.
"""

import numpy as np
import pytest

import scratch
from tests.scratch.layer_gradcheck import distinct_values, gradient_errors
from twinnet.mutants.deep_bugs import (
    Conv2dInputGradChannelsReshaped,
    Conv2dInputGradFlippedKernel,
    Conv2dWeightGradReshapedNotTransposed,
    MaxPoolGradToWindowCorner,
    MaxPoolTiesToLastMax,
    RNNBackpropOneStepShort,
    TransposedConvInputGrad,
)

TOL = 1e-7
CAUGHT = 1e-2  # a real bug is off by O(1), not by rounding


def conv_errors(cls, rng):
    # C != O and both > 1, non-square kernel, stride 2 and padding: no bug can hide
    layer = cls(2, 3, (3, 2), stride=2, padding=1, rng=rng)
    x = rng.normal(size=(2, 2, 6, 5))
    return gradient_errors(layer, x, rng.normal(size=layer.forward(x).shape))


def test_transposed_convolution_form_is_right_when_the_kernel_is():
    assert max(conv_errors(TransposedConvInputGrad, np.random.default_rng(0)).values()) <= TOL


@pytest.mark.parametrize("broken, wrong", [
    (Conv2dInputGradFlippedKernel, "x"),
    (Conv2dInputGradChannelsReshaped, "x"),
    (Conv2dWeightGradReshapedNotTransposed, "param W"),
])
def test_finite_differences_catch_conv_bugs(broken, wrong):
    errors = conv_errors(broken, np.random.default_rng(0))
    assert errors[wrong] > CAUGHT, errors
    assert all(err <= TOL for name, err in errors.items() if name != wrong), errors
    assert max(conv_errors(scratch.Conv2d, np.random.default_rng(0)).values()) <= TOL


@pytest.mark.parametrize("kernel, stride", [(2, None), (3, 2)])
def test_finite_differences_catch_pool_gradient_sent_to_wrong_element(kernel, stride):
    def errors(cls):
        rng = np.random.default_rng(3)
        layer = cls(kernel, stride)
        x = distinct_values(rng, (2, 2, 7, 6))
        return gradient_errors(layer, x, rng.normal(size=layer.forward(x).shape))

    assert errors(MaxPoolGradToWindowCorner)["x"] > CAUGHT
    assert errors(scratch.MaxPool2d)["x"] <= TOL


def test_tie_rule_bug_is_invisible_to_finite_differences_but_not_to_the_tie_test():
    # Away from ties both variants are right, so finite differences pass both ...
    rng = np.random.default_rng(4)
    x = distinct_values(rng, (1, 2, 4, 4))
    upstream = rng.normal(size=(1, 2, 2, 2))
    assert gradient_errors(MaxPoolTiesToLastMax(2), x, upstream)["x"] <= TOL
    # ... at a tie the gradient is not defined, so only the convention test can tell:
    # torch (and scratch) send it to the first maximum, here the top-left 1.
    ties = np.ones((1, 1, 2, 2))
    for cls, expected_corner in ((scratch.MaxPool2d, (0, 0)), (MaxPoolTiesToLastMax, (1, 1))):
        pool = cls(2)
        pool.forward(ties)
        grad = pool.backward(np.ones((1, 1, 1, 1)))[0, 0]
        assert np.argwhere(grad == 1).tolist() == [list(expected_corner)]


@pytest.mark.parametrize("steps", [1, 2, 5])
def test_finite_differences_catch_bptt_one_step_short(steps):
    def errors(cls):
        rng = np.random.default_rng(steps)
        layer = cls(3, 4, rng=rng)
        x = rng.normal(size=(2, steps, 3))
        h0 = rng.normal(size=(2, 4))
        return gradient_errors(layer, x, rng.normal(size=(2, steps, 4)),
                               {"h0": (h0, lambda: layer.grad_h0)})

    broken = errors(RNNBackpropOneStepShort)
    # the first step's gradient is lost: dL/dx_0 and dL/dh0 are wrong, and every
    # parameter gradient misses that step's term
    for name in ("x", "h0", "param W_ih", "param W_hh", "param b_ih", "param b_hh"):
        assert broken[name] > CAUGHT, (name, broken)
    assert max(errors(scratch.RNN).values()) <= TOL

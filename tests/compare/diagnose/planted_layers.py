"""Small broken layers, each with one classic backprop bug, and how to check them.

Each ``Case`` builds a fresh broken layer, runs ``check_layer`` against the
correct torch expression and names the hint kind the report must give.
Shared by the tests and by ``scripts/diagnosis_score.py``.

The broken scratch layers are the mutant catalogue's (twinnet/mutants); the
classes defined here are written in other styles (plain classes with
``forward``/``backward``, not scratch layers), or are no bug at all
(``ReversedSumLinear``: float32 rounding).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from compare.layer_check import check_layer
from twinnet.mutants.layer_bugs import (
    LinearGradsAccumulate,
    LinearGradsAveragedTwice,
    LinearWeightGradNeverStored,
    LinearWeightGradTransposed,
    ReLUGradAtZero,
    SigmoidDerivativeFromRoundedOutput,
    SigmoidWrongSign,
    TanhDerivativeHalved,
    TanhLastSampleSkipped,
)


class NaiveSoftmax:
    """softmax(x) = exp(x) / sum(exp(x)) without shifting by the max: overflows."""

    def forward(self, x):
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(x)
            self.y = e / e.sum(axis=1, keepdims=True)
        return self.y

    def backward(self, g):
        y = self.y
        return y * (g - (g * y).sum(axis=1, keepdims=True))


class RunningSum:
    """A recurrence over time (axis 0): h_t = h_{t-1} + x_t, output every h_t.

    Planted: the backward loop stops at t = 1, so step 0 never receives its
    gradient (dx_0 stays 0).
    """

    def forward(self, x):
        return np.cumsum(x, axis=0)

    def backward(self, g):
        dx = np.zeros_like(g)
        carry = np.zeros_like(g[0])
        for t in range(g.shape[0] - 1, 0, -1):  # should run down to 0
            carry = carry + g[t]
            dx[t] = carry
        return dx


class ReversedSumLinear:
    """y = x @ W summed over k in reverse order, in float32: rounding, not a bug."""

    def __init__(self, W):
        self.W, self.W_grad = W, np.zeros_like(W)

    def forward(self, x):
        self.x = x
        acc = np.zeros((x.shape[0], self.W.shape[1]), x.dtype)
        for k in range(x.shape[1] - 1, -1, -1):
            acc += x[:, k:k + 1] * self.W[k]
        return acc

    def backward(self, g):
        self.W_grad = self.x.T @ g
        return g @ self.W.T


@dataclass
class Case:
    """A planted bug: ``run()`` gives its report; ``kind`` is the hint it must produce."""

    name: str
    kind: str
    run: object
    words: tuple = field(default=())  # phrases the hint's message must contain
    time_axis: int | None = None
    requires: str | None = None  # a module the check needs (a compare feature still to merge)


def _x(shape, seed=0, dtype=np.float64):
    # Offset: check_layer draws its random upstream from default_rng(0) too, and
    # an upstream equal to x makes x.T @ g symmetric, hiding any transpose.
    return np.random.default_rng(1000 + seed).normal(size=shape).astype(dtype)


def _linear(x, W, b):
    return x @ W + b


def _relu_input():
    x = _x((5, 4), 1)
    x[1, 2] = x[3, 0] = 0.0  # exactly on the kink
    return x


def _softmax_input():
    x = _x((3, 4), 2)
    x[1, 1] = 800.0  # exp(800) overflows float64
    return x


def _reversed_sum_case():
    rng = np.random.default_rng(0)
    W = (rng.normal(size=(2000, 4)) * 10).astype(np.float32)
    x = (rng.normal(size=(3, 2000)) * 10).astype(np.float32)
    return check_layer(ReversedSumLinear(W), lambda x, W: x @ W, x=x)


CASES = [
    Case("transposed dW", "transpose",
         lambda: check_layer(LinearWeightGradTransposed(4, 4, rng=0), _linear, x=_x((6, 4))),
         ("transposed",)),
    Case("extra mean in dW", "scale",
         lambda: check_layer(LinearGradsAveragedTwice(3, 2, rng=0), _linear, x=_x((6, 3))),
         ("1/N with N = 6",)),
    Case("sign-flipped sigmoid derivative", "sign_flip",
         lambda: check_layer(SigmoidWrongSign(), torch.sigmoid, x=_x((5, 3))),
         ("-1",)),
    Case("tanh derivative halved", "scale",
         lambda: check_layer(TanhDerivativeHalved(), torch.tanh, x=_x((5, 3))), ("1/2",)),
    Case("gradient accumulated with +=", "accumulated",
         lambda: check_layer(LinearGradsAccumulate(3, 2, rng=0), _linear, x=_x((5, 3))),
         ("NaN put into the buffer", "doubles", "+=")),
    Case("dW never stored", "never_written",
         lambda: check_layer(LinearWeightGradNeverStored(3, 2, rng=0), _linear, x=_x((5, 3))),
         ("NaN put into the buffer", "never writes")),
    Case("sigmoid derivative from rounded output", "zeros",
         lambda: check_layer(SigmoidDerivativeFromRoundedOutput(), torch.sigmoid, x=_x((5, 3))),
         ("exactly 0",)),
    Case("ReLU'(0) = 1", "kink",
         lambda: check_layer(ReLUGradAtZero(), torch.relu, x=_relu_input()),
         ("(1, 2): input 0", "(3, 0): input 0", "not a wrong formula")),
    Case("last sample skipped", "localized",
         lambda: check_layer(TanhLastSampleSkipped(), torch.tanh, x=_x((5, 3))),
         ("sample 4 of 5", "loop bound")),
    Case("recurrence stops before step 0", "localized",
         lambda: check_layer(RunningSum(), lambda x: torch.cumsum(x, 0), x=_x((6, 2))),
         ("time step 0 of 6",), time_axis=0),
    Case("softmax overflow", "nonfinite",
         lambda: check_layer(NaiveSoftmax(), lambda x: torch.softmax(x, 1), x=_softmax_input()),
         ("NaN", "layer only", "800", "overflow exp()")),
    Case("float32 summation order", "float32_rounding", _reversed_sum_case,
         ("float32 ulps", "rerun_float64=True")),
]

"""Planted bugs inside models and losses, checked with ``check_model``.

Each ``Case`` (see ``planted_layers``) builds a model holding one broken
piece, runs ``check_model`` and names the hint kind the report must give.
The broken pieces are the mutant catalogue's classes (twinnet/mutants), placed
in hosts of their own here; the classes defined here are no bug
(``ReversedSumLinear32``: float32 rounding) or a layer in another style with
its own torch twin (``CheckedNaiveExp``).
"""

from __future__ import annotations

import numpy as np
import torch

import scratch
import torch_ref
from compare.model_check import check_model
from twinnet.mutants.deep_bugs import Conv2dInputGradFlippedKernel, RNNBackpropOneStepShort
from twinnet.mutants.judgement_bugs import TanhBackwardSquaresCache
from twinnet.mutants.layer_bugs import (
    LinearBiasGradWrongAxis,
    LinearGradsAccumulate,
    LinearSigmoidInputGradNoTranspose,
    LinearSigmoidNoDerivative,
    LinearSigmoidWeightGradTransposed,
    LinearWeightGradNeverStored,
    LinearWeightGradTransposed,
    ReLUGradAtZero,
    SigmoidDerivativeFromRoundedOutput,
    SigmoidNoDerivative,
    SigmoidWrongSign,
    TanhDerivativeAtInput,
    TanhInPlace,
    TanhLastSampleSkipped,
)
from twinnet.mutants.loss_bugs import (
    BCEWithLogitsExpOverflow,
    BCEWrongSign,
    CrossEntropyMissingOneHot,
    CrossEntropyNotDividedByBatch,
    MSEMissingFactor2,
)

from .planted_layers import Case


class ReversedSumLinear32(scratch.Linear):
    """Forward x @ W summed over inputs in reverse order: float32 rounding, not a bug."""

    def _forward(self, x):
        self._x = x
        acc = np.zeros((x.shape[0], self.out_features), x.dtype)
        for k in range(self.in_features - 1, -1, -1):
            acc += x[:, k:k + 1] * self.params["W"][k]
        return acc + self.params["b"]


def _net_without_transpose():
    net = scratch.Net(3, 3, rng=4)
    broken = LinearSigmoidInputGradNoTranspose(3, 3, rng=5)
    broken.name = net.l1.name
    net.l1 = broken
    return check_model(net, _x((5, 3), 4), np.array([1, 0, 1, 1, 0]))


class CheckedNaiveExp(scratch.Layer):
    """y = exp(x) that notices its own overflow and raises, as scratch's layers do."""

    def _forward(self, x):
        with np.errstate(over="ignore"):
            y = np.exp(x)
        if not np.all(np.isfinite(y)):
            raise scratch.NonFiniteError(f"{self.name}: output overflowed to inf")
        return y

    def _backward(self, grad_out):
        return grad_out * self._out


class _TorchExp(torch.nn.Module):
    def forward(self, x):
        return torch.exp(x)


def _raised_overflow_case():
    # replace=True: registering again (a second run in one process) is harmless.
    torch_ref.register_twin(CheckedNaiveExp, _TorchExp, replace=True,
                            to_torch=lambda layer, dtype, convert: _TorchExp())
    x = _x((4, 3), 5)
    x[2, 0] = 750.0  # exp(750) overflows float64
    model = scratch.Sequential(CheckedNaiveExp(), scratch.Linear(3, 1, rng=0))
    return check_model(model, x, _x((4, 1), 6), "mse")


def _rnn_case():
    rng = np.random.default_rng(7)
    model = scratch.Sequential(RNNBackpropOneStepShort(3, 4, rng=rng), scratch.Flatten(),
                               scratch.Linear(4 * 5, 2, rng=rng))
    return check_model(model, rng.normal(size=(3, 5, 3)), rng.integers(0, 2, 3),
                       "cross_entropy")


def _conv_case():
    rng = np.random.default_rng(8)
    model = scratch.Sequential(scratch.Conv2d(2, 3, 3, padding=1, rng=rng), scratch.Tanh(),
                               Conv2dInputGradFlippedKernel(3, 2, (3, 2), stride=2, rng=rng),
                               scratch.Flatten(), scratch.Linear(2 * 3 * 3, 2, rng=rng))
    return check_model(model, rng.normal(size=(2, 2, 7, 7)), rng.integers(0, 2, 2),
                       "cross_entropy")


def _lecture_net_without_sigmoid_derivative():
    net = scratch.Net(3, 4, rng=9)
    broken = LinearSigmoidNoDerivative(4, 1, rng=10)
    broken.name = net.l2.name
    net.l2 = broken
    return check_model(net, _x((5, 3), 7), np.array([1, 0, 0, 1, 1]))


def _x(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(2000 + seed).normal(size=shape).astype(dtype)


def _y01(n, seed=0):
    return (np.random.default_rng(3000 + seed).random((n, 1)) > 0.5).astype(np.float64)


def _mlp(middle, *, d_in=3, hidden=4, last=None, rng=0):
    """Linear(d_in, hidden) -> middle -> Linear(hidden, 1) -> last."""
    layers = [scratch.Linear(d_in, hidden, rng=rng), middle, scratch.Linear(hidden, 1, rng=rng + 1)]
    if last is not None:
        layers.append(last)
    return scratch.Sequential(*layers)


def _cross_entropy_case():
    model = scratch.Sequential(scratch.Linear(3, 4, rng=0), scratch.Tanh(),
                               scratch.Linear(4, 3, rng=1))
    labels = np.random.default_rng(5).integers(0, 3, size=6)
    return check_model(model, _x((6, 3)), labels, CrossEntropyNotDividedByBatch())


def _relu_first_case():
    x = _x((5, 4), 1)
    x[0, 1] = x[2, 3] = 0.0
    model = scratch.Sequential(ReLUGradAtZero(), scratch.Linear(4, 1, rng=0),
                               scratch.Sigmoid())
    return check_model(model, x, _y01(5), "bce")


def _overflow_case():
    x = _x((4, 3), 2)
    x[1] = [-300.0, -300.0, -300.0]  # drives the logit of sample 1 far below -709
    model = scratch.Sequential(scratch.Linear(3, 1, bias=False, rng=0))
    model[0].params["W"][...] = 1.0
    return check_model(model, x, _y01(4), BCEWithLogitsExpOverflow())


def _float32_case():
    rng = np.random.default_rng(0)
    layer = ReversedSumLinear32(2000, 4, rng=rng, dtype=np.float32)
    layer.params["W"] *= 400  # outputs in the thousands: float32 ulps exceed atol
    model = scratch.Sequential(layer)
    x = (rng.normal(size=(3, 2000)) * 10).astype(np.float32)
    # The default policy passes this honest rounding (its rounding envelope covers it; see
    # tests/compare/test_tolerance_policy.py); the fixed pair of the old table does not.
    table = {"rtol": 1.3e-6, "atol": 1e-5, "grad_rtol": 4e-6, "grad_atol": 4e-5}
    return check_model(model, x, rerun_float64=True, **table)


def _net_case():
    net = scratch.Net(3, 3, rng=0)
    broken = LinearSigmoidWeightGradTransposed(3, 3, rng=0)
    broken.name = net.l1.name
    net.l1 = broken
    return check_model(net, _x((4, 3), 3), np.array([1, 0, 1, 1]))


MODEL_CASES = [
    Case("cross-entropy gradient not averaged", "scale", _cross_entropy_case,
         ("the batch size N = 6",)),
    Case("MSE derivative without its 2", "scale",
         lambda: check_model(_mlp(scratch.Tanh()), _x((5, 3)), _x((5, 1), 9), MSEMissingFactor2()),
         ("1/2", "square")),
    Case("BCE gradient sign", "sign_flip",
         lambda: check_model(_mlp(scratch.Tanh(), last=scratch.Sigmoid()), _x((5, 3)), _y01(5),
                             BCEWrongSign()), ("-1",)),
    Case("sigmoid derivative sign in a model", "sign_flip",
         lambda: check_model(_mlp(SigmoidWrongSign()), _x((5, 3)), _x((5, 1), 9), "mse"),
         ("-1",)),
    Case("transposed dW in a model", "transpose",
         lambda: check_model(scratch.Sequential(LinearWeightGradTransposed(4, 4, rng=0),
                                                scratch.Tanh(), scratch.Linear(4, 1, rng=1)),
                             _x((6, 4)), _x((6, 1), 9), "mse"), ("transposed",)),
    Case("transposed dW in the lecture Net", "transpose", _net_case, ("transposed",)),
    Case("accumulating Linear in a model", "accumulated",
         lambda: check_model(scratch.Sequential(LinearGradsAccumulate(3, 4, rng=0), scratch.Tanh(),
                                                scratch.Linear(4, 1, rng=1)),
                             _x((5, 3)), _x((5, 1), 9), "mse"), ("doubles",)),
    Case("dW never stored in a model", "never_written",
         lambda: check_model(scratch.Sequential(scratch.Linear(3, 4, rng=0), scratch.Tanh(),
                                                LinearWeightGradNeverStored(4, 1, rng=1)),
                             _x((5, 3)), _x((5, 1), 9), "mse"), ("never writes",)),
    Case("zero derivative in a model", "zeros",
         lambda: check_model(_mlp(SigmoidDerivativeFromRoundedOutput()), _x((5, 3)),
                             _x((5, 1), 9), "mse"),
         ("exactly 0",)),
    Case("ReLU'(0) = 1 on the input layer", "kink", _relu_first_case,
         ("(0, 1): input 0", "(2, 3): input 0")),
    Case("last sample skipped in a model", "localized",
         lambda: check_model(_mlp(TanhLastSampleSkipped()), _x((5, 3)), _x((5, 1), 9), "mse"),
         ("sample 4 of 5",)),
    Case("BCE-with-logits overflow", "nonfinite", _overflow_case, ("-900", "overflow exp()")),
    Case("exp overflow raised inside a layer", "nonfinite", _raised_overflow_case,
         ("scratch stopped with a non-finite value", "750", "overflow exp()")),
    Case("sigmoid derivative forgotten", "derivative",
         lambda: check_model(_mlp(SigmoidNoDerivative()), _x((5, 3)), _x((5, 1), 9), "mse"),
         ("1 (no local derivative)",)),
    Case("tanh derivative from the input", "derivative",
         lambda: check_model(_mlp(TanhDerivativeAtInput()), _x((5, 3)), _x((5, 1), 9), "mse"),
         ("1 - x^2",)),
    Case("cross-entropy without one-hot", "offset",
         lambda: check_model(scratch.Sequential(scratch.Linear(3, 3, rng=0)), _x((5, 3)),
                             np.array([0, 2, 1, 1, 0]), CrossEntropyMissingOneHot()),
         ("one-hot",)),
    Case("bias gradient over the wrong axis", "wrong_axis",
         lambda: check_model(scratch.Sequential(LinearBiasGradWrongAxis(3, 4, rng=0),
                                                scratch.Tanh()),
                             _x((4, 3)), _x((4, 4), 9), "mse"), ("sum(axis=1)",)),
    Case("missing transpose of W in dL/dx (lecture Net)", "transpose", _net_without_transpose,
         ("not transposed",)),
    Case("cache scaled in place", "stateful",
         lambda: check_model(_mlp(TanhBackwardSquaresCache()), _x((5, 3)), _x((5, 1), 9), "mse",
                             backward_twice=True),  # only a second backward shows it
         ("second identical call",)),
    Case("RNN backward skips step 0", "localized", _rnn_case,
         ("time step 0 of 5", "first one")),
    Case("conv kernel not flipped in dL/dx", "flip", _conv_case, ("kernel not flipped",)),
    Case("forward writes into its input", "inplace",
         lambda: check_model(scratch.Sequential(scratch.Linear(3, 4, rng=0), scratch.Sigmoid(),
                                                TanhInPlace(), scratch.Linear(4, 1, rng=1)),
                             _x((5, 3)), _x((5, 1), 9), "mse"), ("in place",),
         requires="compare.probes"),  # check_model's "input unchanged by forward" check
    Case("fused layer forgets its sigmoid (lecture Net)", "derivative",
         _lecture_net_without_sigmoid_derivative, ("no activation derivative",)),
    Case("float32 rounding, confirmed in float64", "float32_rounding", _float32_case,
         ("confirmed float32 rounding",)),
]

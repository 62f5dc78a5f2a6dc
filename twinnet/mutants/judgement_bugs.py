"""Mutants for the bug kinds of issue 13: small gradients deep in a net, float32 inside a
float64 layer, backward writes into caches and grad_out, and three BPTT bugs."""

from __future__ import annotations

import numpy as np

import scratch

from .catalogue import INPUT_GRAD, mutant


@mutant("deep-linear-dW-sign-flip", "W", "deep-sigmoid", "any input (its true dW is ~1e-6 "
        "or less, below an absolute atol)", "a minus sign lost in a deep layer")
class DeepLinearDwSignFlip(scratch.Linear):
    """dW with its sign flipped, in a layer whose true dW is tiny (deep under sigmoids)."""

    def _backward(self, grad_out):
        dx = super()._backward(grad_out)
        self.grads["W"] *= -1
        return dx


@mutant("deep-linear-dx-transposed", INPUT_GRAD, "deep-sigmoid",
        "a square layer with batch == width (shapes fit)", "dx returned transposed")
class DeepLinearDxTransposed(scratch.Linear):
    """dL/dx returned transposed (only shape-compatible when batch == width)."""

    def _backward(self, grad_out):
        return super()._backward(grad_out).T.copy()


@mutant("linear-dW-float32", "W", "linear", "float64 checks (errors ~1e-7 relative)",
        "an astype(np.float32) left in a float64 layer")
class LinearDwFloat32(scratch.Linear):
    """dW computed in float32 and stored into the float64 buffer (~1e-7 relative error)."""

    def _backward(self, grad_out):
        dx = super()._backward(grad_out)
        self.grads["W"][...] = self._x.astype(np.float32).T @ grad_out.astype(np.float32)
        return dx


@mutant("tanh-backward-squares-cache", INPUT_GRAD, "activation",
        "any input (a second backward, or the layer above sharing the array)",
        "y *= y to save a temporary")
class TanhBackwardSquaresCache(scratch.Tanh):
    """Backward squares its cached output in place: right once, wrong for whoever reads it next."""

    def _backward(self, grad_out):
        self._out *= self._out
        return grad_out * (1.0 - self._out)


@mutant("tanh-backward-writes-grad-out", INPUT_GRAD, "activation",
        "any input (the caller's dL/doutput is overwritten)", "grad_out *= ... ; return it")
class TanhBackwardWritesGradOut(scratch.Tanh):
    """Backward scales the incoming dL/doutput in place and returns that array."""

    def _backward(self, grad_out):
        grad_out *= 1.0 - self._out ** 2
        return grad_out


def _bptt(layer, grad_out, *, transposed=True, carry_after=False, every_upstream=True):
    hs = layer._out
    w = layer.params["W_hh"].T if transposed else layer.params["W_hh"]
    grad_pre = np.zeros_like(grad_out)
    carry = np.zeros_like(grad_out[:, 0])
    last = grad_out.shape[1] - 1
    for t in range(last, -1, -1):
        up = grad_out[:, t] if every_upstream or t == last else 0.0
        deriv = 1 - hs[:, t] * hs[:, t]
        grad_pre[:, t] = up * deriv + carry if carry_after else (up + carry) * deriv
        carry = grad_pre[:, t] @ w
    return grad_pre, carry


@mutant("rnn-W_hh-not-transposed-in-bptt", INPUT_GRAD, "rnn", "two or more time steps",
        "dh_prev = dpre @ W_hh instead of @ W_hh.T")
class RnnWhhNotTransposed(scratch.RNN):
    """BPTT carries the gradient to h_(t-1) through W_hh instead of W_hh.T."""

    def _backprop_through_time(self, grad_out):
        return _bptt(self, grad_out, transposed=False)


@mutant("rnn-recurrent-grad-after-tanh", INPUT_GRAD, "rnn", "two or more time steps",
        "dh from step t+1 added after multiplying by 1 - h_t**2")
class RnnRecurrentGradAfterTanh(scratch.RNN):
    """BPTT adds the gradient from step t+1 after multiplying by tanh'(pre_t)."""

    def _backprop_through_time(self, grad_out):
        return _bptt(self, grad_out, carry_after=True)


@mutant("rnn-only-last-step-upstream", INPUT_GRAD, "rnn", "two or more time steps",
        "BPTT seeded with dL/dh_T only, as for a many-to-one RNN")
class RnnOnlyLastStepUpstream(scratch.RNN):
    """BPTT uses only dL/dh_T; the earlier steps' own upstream gradients are dropped."""

    def _backprop_through_time(self, grad_out):
        return _bptt(self, grad_out, every_upstream=False)

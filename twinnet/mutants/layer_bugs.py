"""Broken layers: Linear, the activations and the lecture's LinearSigmoid, one bug each.

Each class overrides as little as possible of a correct scratch layer. Shapes
follow scratch: x (batch, in), W (in, out), b (out,), grad_out (batch, out).
"""

from __future__ import annotations

import numpy as np

import scratch

from .catalogue import INPUT_GRAD, OUTPUT, mutant

# -- Linear ----------------------------------------------------------------------------


@mutant("linear-dW-transposed", "W", "linear-square",
        reveals="a square W (otherwise a shape error)",
        origin="torch's weight.grad is (out, in); copying its formula into the (in, out) layout")
class LinearWeightGradTransposed(scratch.Linear):
    """dL/dW computed as g.T @ x, torch's (out, in) layout, stored where (in, out) belongs."""

    def _backward(self, grad_out):
        grad_in = super()._backward(grad_out)
        self.grads["W"][...] = grad_out.T @ self._x
        return grad_in


@mutant("linear-dx-uses-W", INPUT_GRAD, "linear-square",
        reveals="a square W (otherwise a shape error)",
        origin="dL/dx = g @ W instead of g @ W.T (a forgotten transpose)")
class LinearInputGradNoTranspose(scratch.Linear):
    """Returns dL/dx = g @ W instead of g @ W.T."""

    def _backward(self, grad_out):
        super()._backward(grad_out)
        return grad_out @ self.params["W"]


@mutant("linear-dW-uses-output", "W", "linear-square",
        reveals="a square W (otherwise a shape error)",
        origin="using this layer's activation a[l] instead of its input a[l-1] in dW")
class LinearWeightGradFromOutput(scratch.Linear):
    """dL/dW = y.T @ g, with the layer's own output y where its input x belongs."""

    def _backward(self, grad_out):
        grad_in = super()._backward(grad_out)
        self.grads["W"][...] = self._out.T @ grad_out
        return grad_in


@mutant("linear-db-first-row", "b", "linear",
        origin="db = grad_out[0]: code written for one sample, run on a batch")
class LinearBiasGradFirstRow(scratch.Linear):
    """The bias gradient takes the first sample's row instead of summing over the batch."""

    def _backward(self, grad_out):
        grad_in = super()._backward(grad_out)
        self.grads["b"][...] = grad_out[0]
        return grad_in


@mutant("linear-db-mean", "b", "linear",
        origin="np.mean where np.sum belongs (the loss already divided by N)")
class LinearBiasGradMean(scratch.Linear):
    """The bias gradient averages over the batch instead of summing."""

    def _backward(self, grad_out):
        grad_in = super()._backward(grad_out)
        self.grads["b"][...] = grad_out.mean(axis=0)
        return grad_in


@mutant("linear-grads-averaged-twice", "W", "linear",
        origin="dividing dW and db by the batch size in the layer as well as in the loss")
class LinearGradsAveragedTwice(scratch.Linear):
    """dW and db are divided by the batch size, which the mean loss already did."""

    def _backward(self, grad_out):
        grad_in = super()._backward(grad_out)
        self.grads["W"] /= grad_out.shape[0]
        self.grads["b"] /= grad_out.shape[0]
        return grad_in


@mutant("linear-dW-accumulates", "W", "linear",
        reveals="a second backward, or a gradient buffer that is not zero",
        origin="torch-style += accumulation in a layer whose contract is to overwrite")
class LinearWeightGradAccumulates(scratch.Linear):
    """grads["W"] += x.T @ g: accumulates across calls where it should overwrite."""

    def _backward(self, grad_out):
        self.grads["W"] += self._x.T @ grad_out
        np.sum(grad_out, axis=0, out=self.grads["b"])
        return grad_out @ self.params["W"].T


@mutant("linear-grads-accumulate", "W", "linear",
        reveals="a second backward, or a gradient buffer that is not zero",
        origin="torch-style += for every parameter, in a layer whose contract is to overwrite")
class LinearGradsAccumulate(scratch.Linear):
    """grads["W"] += x.T @ g and grads["b"] += sum(g): both accumulate across calls.

    The variant of ``linear-dW-accumulates`` that gets the bias wrong too, so a
    report must flag both buffers.
    """

    def _backward(self, grad_out):
        self.grads["W"] += self._x.T @ grad_out
        if self.bias:
            self.grads["b"] += grad_out.sum(axis=0)
        return grad_out @ self.params["W"].T


@mutant("linear-stale-input", "W", "linear",
        reveals="a second forward with a different input",
        origin="'if self.x is None: self.x = x', caching the input once")
class LinearStaleInput(scratch.Linear):
    """Caches the input on the first forward only; later backwards use that stale x."""

    def _forward(self, x):
        stale = self._x
        y = super()._forward(x)
        if stale is not None:
            self._x = stale
        return y


# -- activations ---------------------------------------------------------------------


@mutant("sigmoid-no-derivative", INPUT_GRAD, "activation",
        origin="treating the activation as the identity in backward")
class SigmoidNoDerivative(scratch.Sigmoid):
    """Passes grad_out straight through, forgetting the y (1 - y) factor."""

    def _backward(self, grad_out):
        return grad_out


@mutant("sigmoid-derivative-at-input", INPUT_GRAD, "activation",
        origin="sigmoid'(x) written as x (1 - x), evaluated at the input instead of the output")
class SigmoidDerivativeAtInput(scratch.Sigmoid):
    """Computes x (1 - x) from the cached input x instead of y (1 - y) from the output."""

    def _forward(self, x):
        self._x = x
        return super()._forward(x)

    def _backward(self, grad_out):
        return grad_out * self._x * (1 - self._x)


@mutant("sigmoid-ignores-upstream", INPUT_GRAD, "activation",
        origin="returning the local derivative and forgetting the chain rule's grad_out")
class SigmoidIgnoresUpstream(scratch.Sigmoid):
    """Returns y (1 - y) without multiplying by grad_out."""

    def _backward(self, grad_out):
        y = self._out
        return y * (1 - y)


@mutant("sigmoid-wrong-sign", INPUT_GRAD, "activation",
        origin="a stray minus from d/dx of exp(-x)")
class SigmoidWrongSign(scratch.Sigmoid):
    """Returns -grad_out * y (1 - y)."""

    def _backward(self, grad_out):
        return -super()._backward(grad_out)


@mutant("tanh-derivative-at-input", INPUT_GRAD, "activation",
        origin="tanh'(x) = 1 - x**2, evaluated at the input instead of the output")
class TanhDerivativeAtInput(scratch.Tanh):
    """Computes 1 - x**2 from the cached input instead of 1 - y**2 from the output."""

    def _forward(self, x):
        self._x = x
        return super()._forward(x)

    def _backward(self, grad_out):
        return grad_out * (1 - self._x ** 2)


@mutant("tanh-derivative-not-squared", INPUT_GRAD, "activation",
        origin="1 - y instead of 1 - y**2 (mixing up sigmoid's and tanh's formulas)")
class TanhDerivativeNotSquared(scratch.Tanh):
    """Uses 1 - y where 1 - y**2 belongs."""

    def _backward(self, grad_out):
        return grad_out * (1 - self._out)


@mutant("relu-mask-output-ge-0", INPUT_GRAD, "activation",
        origin="np.where(out >= 0, ...) on the output, which is never negative")
class ReLUMaskOnOutputGeZero(scratch.ReLU):
    """Masks with y >= 0 on the output, which lets every gradient through."""

    def _backward(self, grad_out):
        return np.where(self._out >= 0, grad_out, 0)


@mutant("relu-grad-at-zero", INPUT_GRAD, "activation", reveals="an exact 0 input",
        origin="x >= 0 instead of x > 0: ReLU'(0) = 1 where torch says 0")
class ReLUGradAtZero(scratch.ReLU):
    """Passes the gradient where x >= 0: differs from torch exactly at x == 0."""

    def _forward(self, x):
        self._x = x
        return super()._forward(x)

    def _backward(self, grad_out):
        return np.where(self._x >= 0, grad_out, 0)


@mutant("relu-ignores-upstream", INPUT_GRAD, "activation",
        origin="returning the 0/1 mask and forgetting to multiply by grad_out")
class ReLUIgnoresUpstream(scratch.ReLU):
    """Returns the mask (y > 0) itself instead of grad_out * mask."""

    def _backward(self, grad_out):
        return (self._out > 0).astype(grad_out.dtype)


@mutant("relu-inplace-overwrites-input", OUTPUT, "activation-first",
        reveals="an input array that someone else still needs (the caller's data)",
        origin="in-place ReLU to save memory: np.maximum(x, 0, out=x)")
class ReLUInPlace(scratch.ReLU):
    """Clamps its input array in place and returns it, destroying the caller's x."""

    def _forward(self, x):
        return np.maximum(x, 0, out=x)


@mutant("tanh-inplace-clobbers-cache", OUTPUT, "activation-after-sigmoid",
        reveals="a layer before it that caches its output (Sigmoid, Tanh)",
        origin="np.tanh(x, out=x) to save memory (torch's inplace error, without the error)")
class TanhInPlace(scratch.Tanh):
    """Computes tanh into its input array, overwriting the Sigmoid output cached below it."""

    def _forward(self, x):
        return np.tanh(x, out=x)


@mutant("step-straight-through", INPUT_GRAD, "activation",
        origin="the straight-through estimator where the true derivative (0) was asked for")
class StepStraightThrough(scratch.Step):
    """Passes grad_out through the step function instead of returning zeros."""

    def _backward(self, grad_out):
        return grad_out


# -- the lecture's LinearSigmoid ---------------------------------------------------------


@mutant("linsig-no-sigmoid-derivative", "W", "lecture-l2",
        origin="W_grad = x.T @ grad: the sigmoid inside the layer is forgotten")
class LinearSigmoidNoDerivative(scratch.LinearSigmoid):
    """W_grad = x.T @ g and dL/dx = g @ W.T, as if there were no sigmoid."""

    def _backward(self, grad_out):
        np.matmul(self._x.T, grad_out, out=self.grads["W"])
        return grad_out @ self.params["W"].T


@mutant("linsig-derivative-at-preactivation", "W", "lecture-l2",
        origin="sigmoid'(z) written as z (1 - z) with z = x @ W, the pre-activation")
class LinearSigmoidDerivativeAtPreactivation(scratch.LinearSigmoid):
    """Uses z (1 - z) with z = x @ W instead of y (1 - y)."""

    def _backward(self, grad_out):
        z = self._x @ self.params["W"]
        local = grad_out * z * (1 - z)
        np.matmul(self._x.T, local, out=self.grads["W"])
        return local @ self.params["W"].T


@mutant("linsig-grad-in-skips-derivative", INPUT_GRAD, "lecture-l2",
        origin="applying y (1 - y) to W_grad but returning grad @ W.T to the layer below")
class LinearSigmoidGradInSkipsDerivative(scratch.LinearSigmoid):
    """W_grad is right; the returned dL/dx omits the sigmoid's derivative."""

    def _backward(self, grad_out):
        super()._backward(grad_out)
        return grad_out @ self.params["W"].T


@mutant("linsig-dW-transposed", "W", "lecture-l1-square",
        reveals="a square W (otherwise a shape error)",
        origin="W_grad = local.T @ x, the (out, in) layout")
class LinearSigmoidWeightGradTransposed(scratch.LinearSigmoid):
    """W_grad = local.T @ x: the transpose of the right matrix."""

    def _backward(self, grad_out):
        grad_in = super()._backward(grad_out)
        y = self._out
        self.grads["W"][...] = (grad_out * y * (1 - y)).T @ self._x
        return grad_in


# -- added when the test suites' own broken layers joined the catalogue (issue 14) -------


@mutant("linear-dW-never-stored", "W", "linear",
        reveals="a gradient buffer that is not already right (NaN-filled, or a new batch)",
        origin="dW computed into a local variable and never written to grads['W']")
class LinearWeightGradNeverStored(scratch.Linear):
    """Computes dW into a local variable and never stores it; db and dL/dx are right."""

    def _backward(self, grad_out):
        d_w = self._x.T @ grad_out  # noqa: F841  (the bug: never stored)
        if self.bias:
            np.sum(grad_out, axis=0, out=self.grads["b"])
        return grad_out @ self.params["W"].T


@mutant("linear-db-wrong-axis", "b", "linear-out-is-batch",
        reveals="batch size == output width (otherwise a shape error)",
        origin="db = grad_out.sum(axis=1): summing over the features instead of the batch")
class LinearBiasGradWrongAxis(scratch.Linear):
    """db = grad_out.sum(axis=1): summed over the outputs instead of the batch."""

    def _backward(self, grad_out):
        grad_in = super()._backward(grad_out)
        self.grads["b"][...] = grad_out.sum(axis=1)
        return grad_in


@mutant("sigmoid-derivative-from-rounded-output", INPUT_GRAD, "activation",
        origin="reusing the predicted label round(y) where the probability y belongs")
class SigmoidDerivativeFromRoundedOutput(scratch.Sigmoid):
    """Uses round(y) in y (1 - y): the derivative is always 0."""

    def _backward(self, grad_out):
        y = np.round(self._out)
        return grad_out * y * (1 - y)


@mutant("sigmoid-backward-scales-cache", INPUT_GRAD, "activation",
        reveals="a second backward (or the write into the cache, when it is watched)",
        origin="reusing the cached output as scratch space after the gradient is computed")
class SigmoidBackwardScalesCache(scratch.Sigmoid):
    """Right the first time, but scales its cached output in place: a second backward is wrong."""

    def _backward(self, grad_out):
        y = self._out
        grad_in = grad_out * y * (1 - y)
        y *= 0.5
        return grad_in


@mutant("tanh-wrong-sign", INPUT_GRAD, "activation",
        origin="a stray minus, e.g. from d/dx of exp(-x) in tanh's definition")
class TanhWrongSign(scratch.Tanh):
    """Returns -(1 - y**2) grad_out."""

    def _backward(self, grad_out):
        return -super()._backward(grad_out)


@mutant("tanh-derivative-halved", INPUT_GRAD, "activation",
        origin="tanh'(x) written as (1 - y**2) / 2, mixing in tanh(x / 2)'s chain factor")
class TanhDerivativeHalved(scratch.Tanh):
    """Derivative written as (1 - y**2) / 2."""

    def _backward(self, grad_out):
        return super()._backward(grad_out) / 2


@mutant("tanh-forward-halves-input", OUTPUT, "activation",
        origin="tanh(x / 2) from sigmoid(x) = (1 + tanh(x / 2)) / 2, half remembered")
class TanhForwardHalvesInput(scratch.Tanh):
    """Forward computes tanh(x / 2): the forward pass itself diverges."""

    def _forward(self, x):
        return np.tanh(x / 2)


@mutant("tanh-last-sample-skipped", INPUT_GRAD, "activation",
        origin="a per-sample loop over range(n - 1): the last sample gets no gradient")
class TanhLastSampleSkipped(scratch.Tanh):
    """Loops over the batch with range(n - 1): the last sample's dL/dx stays 0."""

    def _backward(self, grad_out):
        y = self._out
        dx = np.zeros_like(grad_out)
        for i in range(grad_out.shape[0] - 1):
            dx[i] = grad_out[i] * (1 - y[i] ** 2)
        return dx


@mutant("linsig-dx-uses-W", INPUT_GRAD, "lecture-l1-square",
        reveals="a square W (otherwise a shape error)",
        origin="dL/dx = local @ W instead of local @ W.T (a forgotten transpose)")
class LinearSigmoidInputGradNoTranspose(scratch.LinearSigmoid):
    """Returns local @ W instead of local @ W.T for dL/dx; W_grad is right."""

    def _backward(self, grad_out):
        super()._backward(grad_out)
        y = self._out
        return (grad_out * y * (1 - y)) @ self.params["W"]

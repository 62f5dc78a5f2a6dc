"""Deliberately broken layers and losses: each is a scratch class with one classic bug planted.

Every class here must make a check fail, at the right layer and parameter;
the tests in ``test_broken.py`` assert exactly that.
"""

import numpy as np

import scratch


class SigmoidMissingDerivative(scratch.Sigmoid):
    """Forgets the y (1 - y) factor: passes grad_out straight through."""

    def _backward(self, grad_out):
        return grad_out


class LinearTransposedWeightGrad(scratch.Linear):
    """Stores dL/dW as (x.T @ g).T: the right numbers in the wrong layout (square W only)."""

    def _backward(self, grad_out):
        grad_in = super()._backward(grad_out)
        self.grads["W"][...] = self.grads["W"].T.copy()
        return grad_in


class TanhFlippedSign(scratch.Tanh):
    """Returns -(1 - y^2) grad_out."""

    def _backward(self, grad_out):
        return -super()._backward(grad_out)


class MSENotDividedByBatch(scratch.MSELoss):
    """Mean reduction in forward, but the gradient is not divided by N."""

    def _backward(self):
        return 2 * self._cache


class ReLUWrongSideOfZero(scratch.ReLU):
    """Passes the gradient where x >= 0: wrong exactly at 0 (torch's ReLU'(0) is 0)."""

    def _forward(self, x):
        self._x = x
        return super()._forward(x)

    def _backward(self, grad_out):
        return np.where(self._x >= 0, grad_out, 0)


class LinearAccumulatingGrad(scratch.Linear):
    """Adds into grads["W"] (torch style) instead of overwriting it (scratch's contract)."""

    def _backward(self, grad_out):
        self.grads["W"] += self._x.T @ grad_out
        if self.bias:
            np.sum(grad_out, axis=0, out=self.grads["b"])
        return grad_out @ self.params["W"].T


class LinearBiasGradMean(scratch.Linear):
    """Averages the bias gradient over the batch instead of summing it."""

    def _backward(self, grad_out):
        grad_in = super()._backward(grad_out)
        self.grads["b"][...] = grad_out.mean(axis=0)
        return grad_in


class SigmoidCorruptsCache(scratch.Sigmoid):
    """Right the first time, but scales its cached output in place: a second backward is wrong."""

    def _backward(self, grad_out):
        y = self._out
        grad_in = grad_out * y * (1 - y)
        y *= 0.5
        return grad_in


class TanhWrongForward(scratch.Tanh):
    """Forward computes tanh(x / 2): the forward pass itself diverges."""

    def _forward(self, x):
        return np.tanh(x / 2)


class CrossEntropyNoOneHot(scratch.CrossEntropyLoss):
    """Forgets to subtract the one-hot labels: dL/dz = softmax(z) / N."""

    def _backward(self):
        probs, labels = self._cache
        return probs * self._scale(labels.shape[0])


class LinearSigmoidNoTranspose(scratch.LinearSigmoid):
    """Returns local @ W instead of local @ W.T for dL/dx (square W, so no shape error)."""

    def _backward(self, grad_out):
        super()._backward(grad_out)
        y = self._out
        return (grad_out * y * (1 - y)) @ self.params["W"]

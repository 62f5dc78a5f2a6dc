"""Element-wise activations. Each keeps the input's dtype (float32 or float64).

Conventions at kinks match torch: ReLU's derivative at 0 is 0, Step's
derivative is 0 everywhere (it is piecewise constant).
"""

from __future__ import annotations

import numpy as np

from .layer import Layer


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function, overflow-free for any finite or infinite float input.

    Uses 1/(1+e^-z) for z >= 0 and e^z/(1+e^z) for z < 0, so ``exp`` only ever
    sees non-positive arguments.
    """
    e = np.exp(-np.abs(z))
    num = np.where(z >= 0, np.ones((), z.dtype), e)
    e += 1
    num /= e
    return num


class Sigmoid(Layer):
    """``y = 1 / (1 + exp(-x))``; dy/dx = y (1 - y), computed from the cached output."""

    def _forward(self, x):
        return sigmoid(x)

    def _backward(self, grad_out):
        y = self._out
        return grad_out * y * (1 - y)


class Tanh(Layer):
    """``y = tanh(x)``; dy/dx = 1 - y**2, from the cached output."""

    def _forward(self, x):
        return np.tanh(x)

    def _backward(self, grad_out):
        y = self._out
        return grad_out * (1 - y * y)


class ReLU(Layer):
    """``y = max(x, 0)``; dy/dx = 1 where x > 0 and 0 elsewhere, 0 at x = 0 (torch's choice)."""

    def _forward(self, x):
        return np.maximum(x, 0)

    def _backward(self, grad_out):
        # y > 0 exactly where x > 0, so the cached output carries the mask.
        return np.where(self._out > 0, grad_out, 0)


class Step(Layer):
    """The perceptron's activation: ``y = 1 if x > 0 else 0``; its gradient is zero."""

    def _forward(self, x):
        return (x > 0).astype(x.dtype)

    def _backward(self, grad_out):
        return np.zeros_like(grad_out)


class Identity(Layer):
    """``y = x``; passes the gradient through unchanged."""

    def _forward(self, x):
        return x

    def _backward(self, grad_out):
        return grad_out

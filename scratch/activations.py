"""Element-wise activations. Each keeps the input's dtype (float32 or float64).

Conventions at kinks match torch: ReLU's derivative at 0 is 0, Step's
derivative is 0 everywhere (it is piecewise constant).
"""

from __future__ import annotations

import numpy as np

from .layer import Layer

SMALL = 1024  # elements; see sigmoid


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function, overflow-free for any finite or infinite float input.

    Computes ``exp(min(z, 0)) / (1 + exp(-|z|))``: that is 1/(1+e^-z) for
    z >= 0 and e^z/(1+e^z) for z < 0, and ``exp`` only ever sees
    non-positive arguments. Integer input gives float64, like ``np.exp``.

    ``where(z >= 0, 1, e)`` would be the obvious numerator, but selecting by
    sign is branchy and took several times longer than an ``exp`` on
    random-signed arrays. Small arrays take a second ``exp`` with fresh
    temporaries, which cost nothing at that size (and NumPy's in-place ufuncs
    are slower on one-element arrays, such as the lecture net's output). Large
    arrays work in place and get the numerator from ``e = exp(-|z|) <= 1`` as
    ``max([z >= 0], e)``: 1 where z >= 0, e elsewhere, a compare and a max
    instead of an ``exp``. Both give the same floats.
    """
    z = np.asarray(z)
    if z.ndim == 0:  # ufuncs return 0-d results as scalars; keep an array
        return sigmoid(z.reshape(1)).reshape(())
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    if z.size <= SMALL:
        return np.exp(np.minimum(z, 0.0)) / (np.exp(np.copysign(z, -1.0)) + 1.0)
    den = np.copysign(z, -1.0)  # -|z| in one pass
    np.exp(den, out=den)
    num = np.greater_equal(z, 0.0).astype(z.dtype)
    np.maximum(num, den, out=num)
    den += 1.0
    num /= den
    return num


class Sigmoid(Layer):
    """``y = 1 / (1 + exp(-x))``; dy/dx = y (1 - y), computed from the cached output."""

    def _forward(self, x):
        if x.size <= SMALL:
            # torch's own formula, two ufuncs fewer than ``sigmoid``'s (1.5 us against
            # 2.7 us on the lecture's 3 values). exp(-x) overflows to inf for x < -709
            # and 1 / inf gives the limit 0, as in torch; the warning is silenced by
            # the guard every forward runs under, and the output is checked after.
            return 1.0 / (np.exp(-x) + 1.0)
        return sigmoid(x)

    def _backward(self, grad_out):
        y = self._out
        grad_in = grad_out * y
        grad_in *= 1.0 - y
        return grad_in


class Tanh(Layer):
    """``y = tanh(x)``; dy/dx = 1 - y**2, from the cached output."""

    def _forward(self, x):
        return np.tanh(x)

    def _backward(self, grad_out):
        y = self._out
        grad_in = y * y
        np.subtract(1.0, grad_in, out=grad_in)
        grad_in *= grad_out
        return grad_in


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

"""Softmax as a layer (for a loss on probabilities, or attention-style weights)."""

from __future__ import annotations

import numpy as np

from .errors import ArgumentTypeError, ShapeError
from .layer import Layer


class Softmax(Layer):
    """``y = exp(x) / sum(exp(x))`` along ``axis``, like ``torch.nn.Softmax(dim=axis)``.

    Subtracting the maximum along ``axis`` first keeps ``exp`` from overflowing
    (the result is unchanged because the factor ``exp(-max)`` cancels).
    The backward pass uses the cached output:
    ``dL/dx = y * (g - sum(g * y, axis))`` for upstream gradient ``g``.

    Parameters
    ----------
    axis : int
        Axis to normalise over; negative counts from the end.

    Shapes
    ------
    forward x : any shape that has axis ``axis`` -> the same shape and dtype.
    """

    def __init__(self, axis: int = -1) -> None:
        if not isinstance(axis, int | np.integer) or isinstance(axis, bool):
            raise ArgumentTypeError(f"Softmax: axis must be an int, got {axis!r}")
        self.axis = int(axis)
        super().__init__()

    def describe(self) -> str:
        """A constructor-like label, e.g. ``"Softmax(axis=-1)"``."""
        return f"Softmax(axis={self.axis})"

    def _check_input(self, x: np.ndarray) -> None:
        super()._check_input(x)
        if not -x.ndim <= self.axis < x.ndim:
            raise ShapeError(f"{self.name}: axis {self.axis} is out of range for input of "
                             f"shape {x.shape} ({x.ndim}-D)")

    def _forward(self, x: np.ndarray) -> np.ndarray:
        e = np.exp(x - np.max(x, axis=self.axis, keepdims=True))
        e /= np.sum(e, axis=self.axis, keepdims=True)
        return e

    def _backward(self, grad_out: np.ndarray) -> np.ndarray:
        y = self._out
        return y * (grad_out - np.sum(grad_out * y, axis=self.axis, keepdims=True))

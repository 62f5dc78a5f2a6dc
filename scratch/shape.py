"""Reshaping layers."""

from __future__ import annotations

import numpy as np

from .errors import ShapeError
from .layer import Layer


class Flatten(Layer):
    """Collapse every axis after the batch axis, like ``torch.nn.Flatten()`` (start_dim=1).

    Shapes
    ------
    forward x : (N, d1, d2, ...) -> (N, d1*d2*...), e.g. (N, C, H, W) -> (N, C*H*W);
        at least 2-D; any float dtype, kept.
    backward : reshapes the gradient back to the input's shape.
    """

    def __init__(self) -> None:
        super().__init__()
        self._x_shape: tuple | None = None

    def _check_input(self, x: np.ndarray) -> None:
        super()._check_input(x)
        if x.ndim < 2:
            raise ShapeError(f"{self.name}: expected input of shape (batch, ...) with at least "
                             f"2 dimensions, got {x.shape}")

    def _forward(self, x: np.ndarray) -> np.ndarray:
        self._x_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def _backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out.reshape(self._x_shape)

"""Fully connected layer in the lecture's layout: ``y = x @ W + b``."""

from __future__ import annotations

import numpy as np

from ._args import check_count, check_flag
from ._checks import check_features
from .layer import ParamLayer, init_rng, param_property


class Linear(ParamLayer):
    """Dense layer ``y = x @ W (+ b)``.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool
        Whether to learn ``b``.
    rng : np.random.Generator | int | None
        Source of the initial weights, drawn like torch's default
        ``U(-1/sqrt(in), 1/sqrt(in))``. None draws fresh entropy.
    dtype : float32 or float64

    Shapes
    ------
    params["W"] : (in_features, out_features)  (torch's ``weight`` transposed)
    params["b"] : (out_features,)
    forward x : (batch, in_features) -> (batch, out_features)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 rng=None, dtype=np.float64) -> None:
        self.in_features = check_count("Linear", "in_features", in_features)
        self.out_features = check_count("Linear", "out_features", out_features)
        self.bias = check_flag("Linear", "bias", bias)
        super().__init__(dtype)
        gen = init_rng(rng)
        bound = 1.0 / np.sqrt(self.in_features)
        self._add_param("W", gen.uniform(-bound, bound, (self.in_features, self.out_features))
                        .astype(self.dtype))
        if self.bias:
            self._add_param("b", gen.uniform(-bound, bound, self.out_features).astype(self.dtype))
        self._x: np.ndarray | None = None

    def describe(self) -> str:
        """A constructor-like label, e.g. ``"Linear(4, 3)"`` or ``"Linear(4, 3, bias=False)"``."""
        extra = "" if self.bias else ", bias=False"
        return f"Linear({self.in_features}, {self.out_features}{extra})"

    W = param_property("W", "The weight, shape (in_features, out_features).")

    b = param_property("b", "The bias, shape (out_features,); None if ``bias=False``.")

    def _check_input(self, x: np.ndarray) -> None:
        super()._check_input(x)
        check_features(self.name, "input", x, self.in_features)

    # dot is the same BLAS call as ``@`` for 2-D arrays, with less per-call
    # overhead, which is most of the cost on small batches. Its out= needs a
    # C-contiguous array of the result's dtype: ParamLayer makes every gradient so.
    def _forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        y = x.dot(self.params["W"])
        if self.bias:
            y += self.params["b"]
        return y

    def _backward(self, grad_out: np.ndarray) -> np.ndarray:
        np.dot(self._x.T, grad_out, out=self.grads["W"])
        if self.bias:
            np.add.reduce(grad_out, axis=0, out=self.grads["b"])
        return grad_out.dot(self.params["W"].T)

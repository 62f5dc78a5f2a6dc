"""The lecture's own models, under the lecture's names.

``LinearSigmoid`` (alias ``LinearSigmoidLayer``) and ``Net`` keep the exact
attributes the lecture's cells use (``.W``, ``.W_grad``, ``.l1``, ``.l2``,
``predict``, ``backward(label)``, ``grad_step(lr)``), so its code runs with
only the import changed.
"""

from __future__ import annotations

import numpy as np

from ._args import check_count
from ._checks import check_features
from .activations import sigmoid
from .errors import BackwardBeforeForwardError, LabelError
from .layer import (
    ParamLayer,
    float_errors_checked_after,
    guard_free_backward,
    guard_free_forward,
    init_rng,
    param_property,
)
from .losses import bce_grad
from .sequential import RoutedParams


class LinearSigmoid(ParamLayer):
    """The lecture's fused layer ``y = sigmoid(x @ W)`` (no bias).

    Shapes
    ------
    W, W_grad : (in_dim, out_dim)
    forward x : (batch, in_dim) -> (batch, out_dim)

    Initial weights are standard normal, as the lecture's ``np.random.normal``.
    """

    def __init__(self, in_dim: int, out_dim: int, *, rng=None, dtype=np.float64) -> None:
        self.in_dim = check_count("LinearSigmoid", "in_dim", in_dim)
        self.out_dim = check_count("LinearSigmoid", "out_dim", out_dim)
        super().__init__(dtype)
        self._add_param("W", init_rng(rng).normal(size=(self.in_dim, self.out_dim))
                        .astype(self.dtype))
        self._x: np.ndarray | None = None

    def describe(self) -> str:
        """A constructor-like label, e.g. ``"LinearSigmoid(2, 3)"``."""
        return f"LinearSigmoid({self.in_dim}, {self.out_dim})"

    W = param_property("W", "The weight, shape (in_dim, out_dim).")

    @property
    def W_grad(self) -> np.ndarray:
        """dL/dW from the last ``backward``, shape (in_dim, out_dim), the layer's dtype."""
        return self.grads["W"]

    @property
    def x(self) -> np.ndarray | None:
        """The cached input (the lecture's ``self.x``)."""
        return self._x

    @property
    def y(self) -> np.ndarray | None:
        """The cached output (the lecture's ``self.y``)."""
        return self._out

    def _check_input(self, x):
        super()._check_input(x)
        check_features(self.name, "input", x, self.in_dim)

    def _forward(self, x):
        self._x = x
        return sigmoid(x.dot(self.params["W"]))

    def _backward(self, grad_out):
        y = self._out
        local = grad_out * y * (1.0 - y)  # dL/d(xW): the sigmoid's derivative, reused twice
        np.dot(self._x.T, local, out=self.grads["W"])  # C-contiguous: see Linear
        return local.dot(self.params["W"].T)


LinearSigmoidLayer = LinearSigmoid


class Net:
    """The lecture's two-layer network ``y = sigmoid(sigmoid(x @ W) @ V)``.

    Parameters
    ----------
    x_dim, W_dim : int
        Input size and hidden size; the output has size 1.

    Attributes
    ----------
    l1 : LinearSigmoid (x_dim -> W_dim), l2 : LinearSigmoid (W_dim -> 1)
    W, V : the lecture's first-cell names for ``l1.W`` and ``l2.W``.
    """

    def __init__(self, x_dim: int, W_dim: int, *, rng=None, dtype=np.float64) -> None:
        x_dim, W_dim = check_count("Net", "x_dim", x_dim), check_count("Net", "W_dim", W_dim)
        gen = init_rng(rng)
        self.l1 = LinearSigmoid(x_dim, W_dim, rng=gen, dtype=dtype)
        self.l2 = LinearSigmoid(W_dim, 1, rng=gen, dtype=dtype)
        self.l1.name, self.l2.name = "Net.l1 " + self.l1.name, "Net.l2 " + self.l2.name
        self.y: np.ndarray | None = None

    W = property(lambda self: self.l1.W, lambda self, v: setattr(self.l1, "W", v),
                 doc="``l1.W``, shape (x_dim, W_dim): the lecture's first weight matrix.")
    V = property(lambda self: self.l2.W, lambda self, v: setattr(self.l2, "W", v),
                 doc="``l2.W``, shape (W_dim, 1): the lecture's second weight matrix.")

    @property
    def layers(self) -> list[LinearSigmoid]:
        """``[l1, l2]``, in forward order (what ``Sequential.layers`` would hold)."""
        return [self.l1, self.l2]

    @property
    def params(self) -> dict[str, np.ndarray]:
        """The weights by name, the arrays themselves (not copies).

        Returns
        -------
        dict
            ``"l1.W"``: (x_dim, W_dim) and ``"l2.W"``: (W_dim, 1), the net's dtype.
            Assigning an entry assigns the layer's own ``W``, checked as there.
        """
        return RoutedParams({"l1.W": self.l1.W, "l2.W": self.l2.W},
                            lambda key: (getattr(self, key[:2]).params, key[3:]))

    @property
    def grads(self) -> dict[str, np.ndarray]:
        """The gradients from the last ``backward``, same keys and shapes as ``params``."""
        return {"l1.W": self.l1.W_grad, "l2.W": self.l2.W_grad}

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Forward pass; the output is also kept as ``self.y`` for ``backward``.

        Parameters
        ----------
        x : np.ndarray, shape (batch, x_dim), the net's dtype

        Returns
        -------
        y : np.ndarray, shape (batch, 1), probabilities in [0, 1]
        """
        with float_errors_checked_after():  # one guard for both layers
            self.y = guard_free_forward(self.l2)(guard_free_forward(self.l1)(x))
        return self.y

    forward = predict

    def backward(self, label) -> np.ndarray:
        """Binary cross-entropy against ``label``, then backprop into ``grads``.

        Parameters
        ----------
        label : 0 or 1, or array-like of 0/1 with shape (batch,)
            One label for the whole batch, or one per sample.

        Returns
        -------
        J : np.ndarray, shape (batch, 1), the net's dtype
            The per-sample loss, as the lecture prints it.

        The gradients are those of the summed loss (for one sample, the loss itself):
        ``BCELoss(reduction="sum")``'s, by the same function (``losses.bce_grad``).
        """
        if self.y is None:
            raise BackwardBeforeForwardError("Net: backward(label) called before predict(x)")
        target = self._target(label)
        p = self.y
        # With 0/1 targets, BCE's y log p + (1 - y) log(1 - p) is one of its two logs;
        # a single label picks the same one for the whole batch.
        # One guard for the loss and both layers: log(0) = -inf is then clamped, as in
        # torch, and each layer checks its own result for overflow.
        with float_errors_checked_after():
            if isinstance(target, float):
                log_q = np.log(p) if target == 1 else np.log1p(-p)
            else:
                log_q = np.where(target == 1, np.log(p), np.log1p(-p))
            J = -np.maximum(log_q, -100.0)
            guard_free_backward(self.l1)(guard_free_backward(self.l2)(bce_grad(p, target)))
        return J

    def _target(self, label) -> float | np.ndarray:
        """Check ``label``: one label becomes a float, one per sample a (batch, 1) array."""
        label = np.asarray(label)
        batch = self.y.shape[0]
        if label.ndim > 1 or (label.ndim == 1 and label.shape[0] != batch):
            raise LabelError(f"Net: label must be a scalar or shape ({batch},), "
                             f"got shape {label.shape}")
        # A single label is checked in Python: the array test would cost more than a step.
        if not (label.item() in (0, 1) if label.ndim == 0 else
                ((label == 0) | (label == 1)).all()):
            raise LabelError(f"Net: label must be 0 or 1, got {label.tolist()}")
        if label.ndim == 0:
            return float(label.item())
        return label.astype(self.y.dtype).reshape(batch, 1)

    def zero_grad(self) -> None:
        """Set both layers' gradients to zero, in place."""
        self.l1.zero_grad()
        self.l2.zero_grad()

    def grad_step(self, lr: float = 1e-4) -> None:
        """Plain gradient descent on both weight matrices, as in the lecture.

        Parameters
        ----------
        lr : float
            Step size: ``W -= lr * W_grad`` for ``l1`` and ``l2``, in place.
        """
        self.l1.W -= lr * self.l1.W_grad
        self.l2.W -= lr * self.l2.W_grad

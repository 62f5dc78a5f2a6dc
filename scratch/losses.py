"""Losses with torch's semantics: ``forward(pred, target) -> float``, ``backward() -> dL/dpred``.

Each loss reduces with ``"mean"`` (torch's default, over every element; for
CrossEntropyLoss over the batch) or ``"sum"``. The gradient is taken with
respect to ``pred`` only; targets are constants.
"""

from __future__ import annotations

import math

import numpy as np

from ._checks import check_array, check_features, check_finite, check_shape, check_unit_interval
from .activations import sigmoid
from .errors import (
    BackwardBeforeForwardError,
    DTypeError,
    LabelError,
    NonFiniteError,
    ShapeError,
)
from .layer import float_errors_checked_after

REDUCTIONS = ("mean", "sum")
# torch's floor on p (1 - p) in BCE's gradient. Its clamp constant is the C float
# 1e-12 (9.999999960041972e-13 as a double); a double 1e-12 would make the clamped
# gradient differ from torch's by 4e-9 relative.
BCE_EPS = float(np.float32(1e-12))


def bce_log_likelihood(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per element ``y log p + (1 - y) log(1 - p)``, each log clamped at -100 as torch does.

    p, y : same shape, values in [0, 1]. Returns that shape; BCE is its negation.
    """
    with float_errors_checked_after():  # log(0) = -inf is then clamped, as in torch
        return _bce_log_likelihood(p, y)


def _bce_log_likelihood(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``bce_log_likelihood`` for a caller that already silences divide-by-zero."""
    log_p = np.maximum(np.log(p), -100.0)
    log_1mp = np.maximum(np.log1p(-p), -100.0)
    return y * log_p + (1.0 - y) * log_1mp


def bce_grad(p: np.ndarray, y: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """d(BCE)/dp as torch computes it: ``(p - y) / max(p (1 - p), 1e-12) * scale``.

    p : any shape; y : the same shape, or one float target for every element.
    ``scale`` is 1/N for a mean, 1 for a sum.
    """
    grad = (p - y) / np.maximum(p * (1.0 - p), BCE_EPS)
    if scale != 1:  # multiplying by 1 changes nothing but costs a pass
        grad *= scale
    return grad


class Loss:
    """Base class; subclasses implement ``_forward`` (returns the float) and ``_backward``.

    Parameters
    ----------
    reduction : {"mean", "sum"}
        How per-element losses become one number.
    """

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {REDUCTIONS}, "
                             f"got {reduction!r}")
        self.reduction = reduction
        self.name = type(self).__name__
        self._cache = None

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        """Validate, cache, and return the reduced loss as a Python float.

        Parameters
        ----------
        pred : np.ndarray, float32 or float64
            Any shape (CrossEntropyLoss: logits (batch, C)).
        target : np.ndarray
            Same shape and dtype as ``pred`` (CrossEntropyLoss: integer labels (batch,)).

        Returns
        -------
        float
            The loss, reduced by ``reduction``.
        """
        self._check(pred, target)
        with float_errors_checked_after():  # overflow is reported below
            value = self._forward(pred, target)
        if not math.isfinite(value):
            self._cache = None  # nothing for backward to differentiate
            raise NonFiniteError(f"{self.name}: the loss overflowed to {value} "
                                 f"(pred/target values too large for {pred.dtype})")
        return value

    __call__ = forward

    def backward(self) -> np.ndarray:
        """The gradient of the last ``forward``'s loss with respect to ``pred``.

        Returns
        -------
        np.ndarray
            dL/dpred, same shape and dtype as that ``pred``.
        """
        if self._cache is None:
            raise BackwardBeforeForwardError(f"{self.name}: backward() called before forward()")
        with float_errors_checked_after():  # overflow is reported below
            grad = self._backward()
        check_finite(self.name, "gradient (overflow)", grad)
        return grad

    def _scale(self, n: int) -> float:
        return 1.0 / n if self.reduction == "mean" else 1.0

    def _reduce(self, per_element: np.ndarray) -> float:
        """``float(per_element.mean())`` or ``.sum()``, the same float, with less overhead.

        One element is its own mean and sum. Otherwise the sum is ``np.add.reduce``,
        which ``sum`` and ``mean`` both call, and the mean divides it by the count as
        ``np.mean`` does (a NumPy integer, result cast back to the array's dtype).
        """
        if per_element.size == 1:
            return per_element.item()
        total = np.add.reduce(per_element, axis=None)
        if self.reduction == "sum":
            return float(total)
        return float(total.dtype.type(total / np.intp(per_element.size)))

    def _check(self, pred, target) -> None:
        """Default check: float pred and target of identical shape and dtype, all finite."""
        self._check_structure(pred, target)
        check_finite(self.name, "pred", pred)
        check_finite(self.name, "target", target)

    def _check_structure(self, pred, target) -> None:
        """Float pred and target of identical shape and dtype (values not inspected)."""
        check_array(self.name, "pred", pred, finite=False)
        check_array(self.name, "target", target, dtype=pred.dtype, finite=False)
        check_shape(self.name, "target", target, pred.shape)

    def __repr__(self) -> str:
        return f"{self.name}(reduction={self.reduction!r})"


class MSELoss(Loss):
    """``L = reduce((pred - target)**2)``; dL/dpred = 2 (pred - target) / N.

    Shapes
    ------
    pred, target : any shape, identical, same float dtype; N = pred.size for "mean".
    """

    def _forward(self, pred, target):
        diff = pred - target
        self._cache = diff
        return self._reduce(diff * diff)

    def _backward(self):
        diff = self._cache
        return diff * (2 * self._scale(diff.size))


class BCELoss(Loss):
    """Binary cross-entropy on probabilities, exactly as torch defines it at the edges.

    ``L = -reduce(y * max(log p, -100) + (1 - y) * max(log(1 - p), -100))`` and
    ``dL/dp = (p - y) / max(p (1 - p), 1e-12) / N``. ``p`` and ``y`` must lie in [0, 1].

    Shapes
    ------
    pred (p), target (y) : any shape, identical, same float dtype; N = p.size for "mean".
    """

    EPS = BCE_EPS

    def _check(self, pred, target):
        self._check_structure(pred, target)
        # Non-finite values fail the range check too, which then names them.
        check_unit_interval(self.name, "pred", pred)
        check_unit_interval(self.name, "target", target)

    def _forward(self, pred, target):  # runs under forward's guard, which silences log(0)
        self._cache = (pred, target)
        return -self._reduce(_bce_log_likelihood(pred, target))

    def _backward(self):
        p, y = self._cache
        return bce_grad(p, y, self._scale(p.size))


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy on logits z, stable for any finite z.

    ``L = reduce(max(z, 0) - z y + log(1 + exp(-|z|)))``, ``dL/dz = (sigmoid(z) - y) / N``.

    Shapes
    ------
    pred (z), target (y) : any shape, identical, same float dtype; N = z.size for "mean".
    """

    def _check(self, pred, target):
        self._check_structure(pred, target)
        check_finite(self.name, "pred", pred)
        check_unit_interval(self.name, "target", target)

    def _forward(self, z, target):
        self._cache = (z, target)
        per = np.maximum(z, 0) - z * target + np.log1p(np.exp(-np.abs(z)))
        return self._reduce(per)

    def _backward(self):
        z, y = self._cache
        return (sigmoid(z) - y) * self._scale(z.size)


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy on logits (batch, C) and integer labels (batch,) in [0, C).

    ``L = reduce_over_batch(logsumexp(z_i) - z_i[y_i])``,
    ``dL/dz = (softmax(z) - onehot(y)) / batch``.

    Shapes
    ------
    pred (z) : (batch, C), float32 or float64
    target (y) : (batch,), any integer dtype, values in [0, C)
    """

    def _check(self, pred, target):
        check_array(self.name, "pred", pred, ndim=2)
        if not isinstance(target, np.ndarray) or not np.issubdtype(target.dtype, np.integer):
            got = target.dtype if isinstance(target, np.ndarray) else type(target).__name__
            raise DTypeError(f"{self.name}: target must be an integer array of class labels, "
                             f"got {got}")
        if target.shape != (pred.shape[0],):
            raise ShapeError(f"{self.name}: target must have shape ({pred.shape[0]},) to match "
                             f"pred {pred.shape}, got {target.shape}")
        n_classes = pred.shape[1]
        check_features(self.name, "pred", pred, n_classes)
        if target.min() < 0 or target.max() >= n_classes:
            bad = target[(target < 0) | (target >= n_classes)]
            raise LabelError(f"{self.name}: labels must lie in [0, {n_classes}), "
                             f"got {bad[:5].tolist()}")

    def _forward(self, z, labels):
        shifted = z - z.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        sum_exp = exp.sum(axis=1, keepdims=True)
        rows = np.arange(z.shape[0])
        per_sample = np.log(sum_exp[:, 0]) - shifted[rows, labels]
        exp /= sum_exp  # now softmax(z), kept for backward
        self._cache = (exp, labels)
        return self._reduce(per_sample)

    def _backward(self):
        probs, labels = self._cache
        grad = probs.copy()
        grad[np.arange(labels.shape[0]), labels] -= 1
        grad *= self._scale(labels.shape[0])
        return grad

"""Single artificial neurons from the lecture's first half.

* ``Neuron``: ``f(x) = activation(x @ w + b)`` with any scratch activation.
* ``Perceptron``: step activation, trained by the classic perceptron rule.
* ``LogisticRegression``: sigmoid neuron fitted by the lecture's own loop.
"""

from __future__ import annotations

import numpy as np

from ._args import check_count, check_dtype_arg, check_positive_number
from ._checks import check_array, check_features, check_shape
from .activations import Sigmoid, Step, sigmoid
from .errors import LabelError
from .layer import Layer
from .linear import Linear
from .sequential import Sequential


class Neuron(Sequential):
    """``activation(x @ W + b)`` with one output; a two-layer ``Sequential``.

    Shapes: x (batch, in_features) -> (batch, 1); params "0.W" (in, 1), "0.b" (1,).
    """

    def __init__(self, in_features: int, activation: Layer | None = None, bias: bool = True,
                 *, rng=None, dtype=np.float64) -> None:
        super().__init__(Linear(in_features, 1, bias, rng=rng, dtype=dtype),
                         activation if activation is not None else Sigmoid())


def _check_binary(owner: str, X: np.ndarray, y: np.ndarray, n_features: int | None = None):
    check_array(owner, "X", X, ndim=2)
    if n_features is not None:
        check_features(owner, "X", X, n_features)
    check_array(owner, "y", y, ndim=1, dtype=None if y.dtype.kind == "f" else y.dtype)
    check_shape(owner, "y", y, (X.shape[0],))
    if not np.isin(y, (0, 1)).all():
        raise LabelError(f"{owner}: y must hold only 0 and 1, got {np.unique(y)[:5].tolist()}")


class Perceptron:
    """Rosenblatt's perceptron: ``f(x) = 1 if x @ w + b > 0 else 0``.

    ``fit`` runs the classic rule sample by sample:
    ``w += lr * (y_i - f(x_i)) * x_i``, ``b += lr * (y_i - f(x_i))``.

    Attributes: w (n_features,), b (float).
    """

    def __init__(self, n_features: int, lr: float = 1.0, dtype=np.float64) -> None:
        self.dtype = check_dtype_arg("Perceptron", "dtype", dtype)
        self.w = np.zeros(check_count("Perceptron", "n_features", n_features), dtype=self.dtype)
        self.b = self.dtype.type(0)
        self.lr = check_positive_number("Perceptron", "lr", lr)
        self.activation = Step()

    def predict(self, X: np.ndarray) -> np.ndarray:
        """X (n, n_features) -> labels (n,) in {0, 1}, same float dtype."""
        check_array("Perceptron", "X", X, ndim=2, dtype=self.dtype)
        check_features("Perceptron", "X", X, self.w.shape[0])
        return self.activation.forward(X @ self.w + self.b)

    def fit(self, X: np.ndarray, y: np.ndarray, epochs: int = 100) -> list[int]:
        """Train; returns the number of mistakes in each epoch (stops early at 0)."""
        _check_binary("Perceptron", X, y, self.w.shape[0])
        mistakes = []
        for _ in range(epochs):
            errors = 0
            for xi, yi in zip(X, y, strict=True):
                delta = yi - (1.0 if xi @ self.w + self.b > 0 else 0.0)
                if delta:
                    self.w += self.lr * delta * xi
                    self.b += self.lr * delta
                    errors += 1
            mistakes.append(errors)
            if errors == 0:
                break
        return mistakes


class LogisticRegression:
    """The lecture's sigmoid neuron, fitted by its own gradient loop.

    Each iteration: ``theta += step_size * mean((y - sigmoid(X theta)) * X.T, axis=1)``
    (ascent on the mean log-likelihood, i.e. descent on the mean BCE), until
    ``||theta - theta_prev|| <= threshold`` or ``max_iter`` iterations.

    X already carries its bias column (the lecture appends a column of ones).
    Attributes after ``fit``: theta (n_features,), n_iter, loss_history (mean BCE
    before each recorded iteration).
    """

    def __init__(self, threshold: float = 5e-5, step_size: float = 1e-1,
                 max_iter: int = 1_000_000, theta0: np.ndarray | None = None,
                 record_every: int = 1) -> None:
        self.threshold, self.step_size, self.max_iter = threshold, step_size, int(max_iter)
        self.theta0, self.record_every = theta0, int(record_every)
        self.theta: np.ndarray | None = None
        self.n_iter = 0
        self.loss_history: list[float] = []

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """X (n, d) -> P(y = 1 | x) of shape (n,)."""
        return sigmoid(X @ self.theta)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """X (n, d) -> hard labels (n,) in {0, 1}, thresholded at 0.5 as the lecture does."""
        return (self.predict_proba(X) >= 0.5).astype(X.dtype)

    def fit(self, X: np.ndarray, y: np.ndarray, callback=None) -> tuple[int, list[float]]:
        """Run the lecture's loop; returns (iterations taken, loss history).

        ``callback(iteration, theta)``, if given, is called before every iteration
        (the lecture prints "Iteration N." every 50,000).
        """
        _check_binary("LogisticRegression", X, y)
        y = y.astype(X.dtype, copy=False)  # labels are exact 0/1, so this cast loses nothing
        theta = (np.ones(X.shape[1], X.dtype) if self.theta0 is None
                 else np.array(self.theta0, dtype=X.dtype))
        Xt_over_n = X.T / X.shape[0]  # mean over samples folded into one matrix
        losses = _MeanBCERecorder(y)
        max_iter, step_size, threshold = self.max_iter, self.step_size, self.threshold
        record_every = self.record_every
        it = 0
        # Each iteration is a dozen NumPy calls on tiny arrays, so per-call overhead
        # is the cost: X.dot skips matmul's dispatch, np.sqrt(d.dot(d)) is
        # np.linalg.norm(d) without its checks, and the loss is computed in batches.
        while it < max_iter:
            if callback is not None:
                callback(it, theta)
            p = sigmoid(X.dot(theta))
            if it % record_every == 0:
                losses.add(p)
            theta_prev = theta
            theta = theta_prev + Xt_over_n.dot(y - p) * step_size
            it += 1
            change = theta - theta_prev
            if np.sqrt(change.dot(change)) <= threshold:
                break
        history = losses.finish()
        self.theta, self.n_iter, self.loss_history = theta, it, history
        return it, history


class _MeanBCERecorder:
    """The mean BCE of each recorded probability vector, computed a block at a time.

    ``add(p)`` copies p (n_samples,) into the next row of a block; a full block
    is reduced row by row in one go, giving the same floats as computing each
    row alone, with a few NumPy calls per block instead of a dozen per
    iteration. The block holds ``max_rows`` rows, at most ``max_bytes`` (and at
    least one row). The labels are 0/1 (``_check_binary``), so each sample's
    term is one of BCE's two clamped logs.
    """

    def __init__(self, y: np.ndarray, max_rows: int = 256, max_bytes: int = 1 << 22) -> None:
        self.max_rows = max(1, min(max_rows, max_bytes // max(y.nbytes, 1)))
        self._block = np.empty((self.max_rows, y.shape[0]), y.dtype)
        self._used = 0
        self._positive = y == 1
        self._values: list[float] = []

    def add(self, p: np.ndarray) -> None:
        self._block[self._used] = p
        self._used += 1
        if self._used == self.max_rows:
            self._flush()

    def finish(self) -> list[float]:
        self._flush()
        return self._values

    def _flush(self) -> None:
        if self._used:
            p = self._block[:self._used]
            with np.errstate(divide="ignore"):  # log(0) = -inf is then clamped, as in torch
                log_q = np.where(self._positive, np.log(p), np.log1p(-p))
            np.maximum(log_q, -100.0, out=log_q)
            self._values += (-np.mean(log_q, axis=1)).tolist()
            self._used = 0

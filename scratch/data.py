"""Iris loaders from scikit-learn's bundled copy (no pandas, no network)."""

from __future__ import annotations

import numpy as np

SEPAL_FEATURES = ("sepal length (cm)", "sepal width (cm)")


def load_iris_binary(dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    """The lecture's task: setosa (0) vs the rest (1) on sepal length and width.

    Returns X (150, 2) and y (150,) of ``dtype``, y in {0, 1}.
    The lecture's columns 0 and 1 are sepal length and sepal width (one of its
    plots labels them petal; they are not).
    """
    from sklearn.datasets import load_iris

    iris = load_iris(as_frame=False)
    X = iris.data[:, :2].astype(dtype)
    y = (iris.target != 0).astype(dtype)
    return X, y


def load_iris_multiclass(dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    """All four features, X (150, 4) of ``dtype``, and integer labels y (150,) in {0, 1, 2}."""
    from sklearn.datasets import load_iris

    iris = load_iris(as_frame=False)
    return iris.data.astype(dtype), iris.target.astype(np.int64)


def add_bias_column(X: np.ndarray) -> np.ndarray:
    """Append a column of ones, as the lecture does for theta's bias: (n, d) -> (n, d + 1)."""
    return np.hstack([X, np.ones((X.shape[0], 1), X.dtype)])

"""The two real data sets, from scikit-learn's bundled copies (no pandas, no network).

Both are split with a seeded, stratified NumPy shuffle: each class gives the
same fraction of its samples to the test set, so the small Iris test set
still holds all three species in equal numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TEST_FRACTION = 0.2
DIGITS_MAX_PIXEL = 16.0  # load_digits' pixels are counts 0..16 (4x4 blocks of a 32x32 bitmap)


@dataclass(frozen=True)
class Split:
    """A train/test split.

    Attributes
    ----------
    x_train : (n_train, ...) float array
    y_train : (n_train,) int64 labels
    x_test : (n_test, ...) float array
    y_test : (n_test,) int64 labels
    class_names : tuple[str, ...]
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


def stratified_split(y: np.ndarray, test_fraction: float,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test) taking ``round(test_fraction * n_c)`` of each class c for test.

    Parameters
    ----------
    y : (n,) integer labels
    test_fraction : float in (0, 1)
    rng : np.random.Generator

    Returns
    -------
    train, test : int arrays, disjoint, together a permutation of ``range(n)``;
        each in shuffled order (classes interleaved).
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"stratified_split: test_fraction must lie in (0, 1), "
                         f"got {test_fraction!r}")
    train, test = [], []
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        n_test = int(round(test_fraction * members.size))
        test.append(members[:n_test])
        train.append(members[n_test:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def load_digits_split(rng: np.random.Generator, dtype=np.float64,
                      test_fraction: float = TEST_FRACTION) -> Split:
    """scikit-learn's 8x8 digits (1797 images), pixels scaled to [0, 1], as (N, 1, 8, 8)."""
    from sklearn.datasets import load_digits

    digits = load_digits(as_frame=False)
    images = (digits.images / DIGITS_MAX_PIXEL).astype(dtype)[:, None]  # one channel
    labels = digits.target.astype(np.int64)
    train, test = stratified_split(labels, test_fraction, rng)
    return Split(images[train], labels[train], images[test], labels[test],
                 tuple(str(name) for name in digits.target_names))


def load_iris_split(rng: np.random.Generator, dtype=np.float64,
                    test_fraction: float = TEST_FRACTION) -> Split:
    """Iris, all four features (N, 4), standardised with the training set's mean and std."""
    from sklearn.datasets import load_iris

    iris = load_iris(as_frame=False)
    features = iris.data.astype(np.float64)
    labels = iris.target.astype(np.int64)
    train, test = stratified_split(labels, test_fraction, rng)
    # Test statistics must not leak into the scaling, so only the training rows define it.
    mean, std = features[train].mean(axis=0), features[train].std(axis=0)
    scaled = ((features - mean) / std).astype(dtype)
    return Split(scaled[train], labels[train], scaled[test], labels[test],
                 tuple(str(name) for name in iris.target_names))

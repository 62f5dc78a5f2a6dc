"""The task data: scikit-learn's bundled sets, split by a seeded stratified shuffle."""

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris

from twinnet.tasks import load_digits_split, load_iris_split, stratified_split


def test_stratified_split_partitions_and_keeps_class_shares():
    y = np.repeat([0, 1, 2], [10, 20, 5])
    train, test = stratified_split(y, 0.2, np.random.default_rng(0))
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(35))
    # round(0.2 * 10) = 2, round(0.2 * 20) = 4, round(0.2 * 5) = 1
    assert np.bincount(y[test]).tolist() == [2, 4, 1]
    assert np.bincount(y[train]).tolist() == [8, 16, 4]


def test_split_is_seeded():
    y = np.repeat([0, 1], 50)
    a = stratified_split(y, 0.2, np.random.default_rng(3))
    b = stratified_split(y, 0.2, np.random.default_rng(3))
    c = stratified_split(y, 0.2, np.random.default_rng(4))
    assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))
    assert not np.array_equal(a[1], c[1])


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5])
def test_split_refuses_a_fraction_outside_zero_one(fraction):
    with pytest.raises(ValueError, match="test_fraction must lie in"):
        stratified_split(np.zeros(4, np.int64), fraction, np.random.default_rng(0))


def test_digits_are_scaled_images_with_their_own_labels():
    split = load_digits_split(np.random.default_rng(0))
    raw = load_digits(as_frame=False)
    assert split.x_train.shape[1:] == split.x_test.shape[1:] == (1, 8, 8)
    assert len(split.y_train) + len(split.y_test) == 1797
    assert split.x_train.dtype == np.float64 and split.y_train.dtype == np.int64
    assert split.x_train.min() == 0 and split.x_train.max() == 1
    # Every split image, times 16, is a raw image carrying the same label.
    lookup = {img.tobytes(): label for img, label in zip(raw.images, raw.target, strict=True)}
    for x, y in ((split.x_train, split.y_train), (split.x_test, split.y_test)):
        for image, label in zip(x[:, 0] * 16, y, strict=True):
            assert lookup[image.tobytes()] == label
    assert np.bincount(split.y_test).tolist() == [
        int(round(0.2 * n)) for n in np.bincount(raw.target)]


def test_iris_is_standardised_with_training_statistics_only():
    split = load_iris_split(np.random.default_rng(0))
    assert split.x_train.shape == (120, 4) and split.x_test.shape == (30, 4)
    assert np.bincount(split.y_test).tolist() == [10, 10, 10]  # 0.2 * 50 per species
    np.testing.assert_allclose(split.x_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(split.x_train.std(axis=0), 1, rtol=1e-12)
    assert np.abs(split.x_test.mean(axis=0)).max() > 1e-3  # the test rows were not used
    # Each column is one increasing affine map of the raw column (sorting commutes with it):
    # fit it on the sorted values and check it reproduces every raw value.
    raw = load_iris(as_frame=False)
    scaled = np.sort(np.concatenate([split.x_train, split.x_test]), axis=0)
    for col in range(4):
        slope, intercept = np.polyfit(scaled[:, col], np.sort(raw.data[:, col]), 1)
        assert slope > 0
        np.testing.assert_allclose(slope * scaled[:, col] + intercept,
                                   np.sort(raw.data[:, col]), atol=1e-12)
    assert np.bincount(split.y_train).tolist() == [40, 40, 40]
    assert split.class_names == tuple(raw.target_names)


def test_float32_is_kept():
    assert load_iris_split(np.random.default_rng(0), np.float32).x_train.dtype == np.float32
    assert load_digits_split(np.random.default_rng(0), np.float32).x_test.dtype == np.float32

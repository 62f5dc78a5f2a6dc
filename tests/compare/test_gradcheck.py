"""gradcheck: finite differences agree with correct backprop and catch planted bugs."""

import numpy as np
import pytest

import scratch
from compare import gradcheck
from twinnet.mutants.layer_bugs import LinearBiasGradMean, TanhWrongSign
from twinnet.mutants.loss_bugs import MSENotDividedByN

from .test_check_layer import LectureLayerGradMissingGradOut, LinearSigmoidLayer, lecture_layer


def test_lecture_net_passes():
    net = scratch.Net(2, 3, rng=0)
    net.l1.W = np.array([[1.0, -1.0, 3.0], [2.0, 2.0, -1.0]])
    net.l2.W = np.array([[0.1], [0.5], [-0.1]])
    report = gradcheck(net, np.array([[5.0, 3.0]]), 1)
    assert report.ok, report
    assert [e.param for e in report.entries] == ["l2.W", "l1.W", None]
    assert report.expected_name == "finite differences"


@pytest.mark.parametrize("loss, y", [
    ("mse", lambda rng: rng.normal(size=(4, 2))),
    ("cross_entropy", lambda rng: np.array([0, 1, 1, 0])),
    ("bce_with_logits", lambda rng: rng.random((4, 2))),
])
def test_sequential_with_each_loss(loss, y):
    rng = np.random.default_rng(0)
    model = scratch.Sequential(scratch.Linear(3, 4, rng=rng), scratch.Tanh(),
                               scratch.Linear(4, 2, rng=rng))
    assert gradcheck(model, rng.normal(size=(4, 3)), y(rng), loss).ok


def test_random_upstream_single_layer_and_float32():
    rng = np.random.default_rng(1)
    assert gradcheck(scratch.LinearSigmoid(3, 2, rng=rng), rng.normal(size=(4, 3))).ok
    layer32 = scratch.Linear(3, 2, rng=rng, dtype=np.float32)
    report = gradcheck(layer32, rng.normal(size=(4, 3)).astype(np.float32))
    assert report.ok and report.tolerances["gradient"].rtol == 1e-2


def test_user_layers():
    rng = np.random.default_rng(2)
    assert gradcheck(lecture_layer(rng, cls=LinearSigmoidLayer), rng.normal(size=(3, 2))).ok
    bad = gradcheck(lecture_layer(rng, cls=LectureLayerGradMissingGradOut),
                    rng.normal(size=(3, 2)))
    assert [e.label for e in bad.failures] == ["dL/dW"]


def test_planted_bugs_are_caught_at_the_right_place():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 3))
    model = scratch.Sequential(scratch.Linear(3, 4, rng=rng), TanhWrongSign(),
                               scratch.Linear(4, 1, rng=rng))
    report = gradcheck(model, x, rng.normal(size=(4, 1)), "mse")
    # Layer 2's W only sees the forward pass; everything below the flipped tanh is wrong.
    assert report.entry("2.W").ok and not report.entry("0.W").ok
    assert report.first_divergence.layer == 0
    assert "or in a parameter-free layer above it" in report.first_divergence.message

    bias = scratch.Sequential(LinearBiasGradMean(3, 2, rng=rng))
    assert [e.param for e in gradcheck(bias, x, rng.normal(size=(4, 2)), "mse").failures] \
        == ["0.b"]
    loss_bug = gradcheck(scratch.Linear(3, 2, rng=rng), x, rng.normal(size=(4, 2)),
                         MSENotDividedByN())
    assert not loss_bug.ok


def test_arrays_are_restored_exactly():
    rng = np.random.default_rng(4)
    model = scratch.Sequential(scratch.Linear(3, 2, rng=rng), scratch.Sigmoid())
    x = rng.normal(size=(4, 3))
    before_x, before_w = x.copy(), model.layers[0].W.copy()
    gradcheck(model, x)
    np.testing.assert_array_equal(x, before_x)
    np.testing.assert_array_equal(model.layers[0].W, before_w)

"""Every layer's and loss's backward against central finite differences (float64).

Kinks are handled on purpose: inputs of ReLU and Step are kept at least 1e-3
away from 0 (so a 1e-6 perturbation never crosses a kink), and the kink
itself is tested separately against the documented convention.
"""

import numpy as np
import pytest

import scratch
from tests.numgrad import numerical_grad, rel_error

TOL = 1e-7


def away_from_zero(rng, shape, margin=1e-3):
    x = rng.normal(size=shape)
    return np.where(np.abs(x) < margin, np.sign(x + 1e-300) * margin * 2, x)


LAYERS = {
    "Linear": lambda rng: scratch.Linear(4, 3, rng=rng),
    "Linear-nobias": lambda rng: scratch.Linear(4, 3, bias=False, rng=rng),
    "LinearSigmoid": lambda rng: scratch.LinearSigmoid(4, 3, rng=rng),
    "Sigmoid": lambda rng: scratch.Sigmoid(),
    "Tanh": lambda rng: scratch.Tanh(),
    "ReLU": lambda rng: scratch.ReLU(),
    "Step": lambda rng: scratch.Step(),
    "Identity": lambda rng: scratch.Identity(),
    "Sequential": lambda rng: scratch.Sequential(
        scratch.Linear(4, 5, rng=rng), scratch.Tanh(), scratch.Linear(5, 3, rng=rng),
        scratch.ReLU()),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_backward_matches_finite_differences(name):
    rng = np.random.default_rng(1234)
    layer = LAYERS[name](rng)
    x = away_from_zero(rng, (5, 4)) if name != "Sequential" else rng.normal(size=(5, 4))
    upstream = rng.normal(size=layer.forward(x).shape)

    def loss():  # L = sum(upstream * layer(x)): a random linear functional of the output
        return float(np.sum(upstream * layer.forward(x)))

    layer.forward(x)
    dx = layer.backward(upstream)
    assert dx.shape == x.shape and dx.dtype == x.dtype
    num_dx = numerical_grad(loss, x)
    if name == "Step":
        np.testing.assert_array_equal(dx, 0)
        np.testing.assert_array_equal(num_dx, 0)
    else:
        assert rel_error(dx, num_dx) <= TOL
    grads = {k: g.copy() for k, g in layer.grads.items()}
    assert grads.keys() == layer.params.keys()
    for key, p in layer.params.items():
        assert rel_error(grads[key], numerical_grad(loss, p)) <= TOL, key


def test_relu_gradient_at_zero_is_zero_like_torch():
    relu = scratch.ReLU()
    x = np.array([[-1.0, 0.0, 1.0]])
    relu.forward(x)
    np.testing.assert_array_equal(relu.backward(np.ones((1, 3))), [[0.0, 0.0, 1.0]])


def test_step_is_zero_at_zero_and_has_zero_gradient():
    step = scratch.Step()
    np.testing.assert_array_equal(step.forward(np.array([[-1.0, 0.0, 2.0]])), [[0, 0, 1]])
    np.testing.assert_array_equal(step.backward(np.ones((1, 3))), 0)


def _loss_cases(rng):
    p = rng.uniform(0.05, 0.95, size=(6, 2))
    y = rng.integers(0, 2, size=(6, 2)).astype(float)
    logits = rng.normal(size=(6, 4)) * 3
    labels = rng.integers(0, 4, size=6)
    return {
        "BCELoss": (scratch.BCELoss(), p, y),
        "BCELoss-soft": (scratch.BCELoss(), p, rng.uniform(size=(6, 2))),
        "BCEWithLogitsLoss": (scratch.BCEWithLogitsLoss(), rng.normal(size=(6, 2)) * 4, y),
        "MSELoss": (scratch.MSELoss(), rng.normal(size=(6, 2)), rng.normal(size=(6, 2))),
        "CrossEntropyLoss": (scratch.CrossEntropyLoss(), logits, labels),
        "MSELoss-sum": (scratch.MSELoss("sum"), rng.normal(size=(6, 2)), rng.normal(size=(6, 2))),
    }


@pytest.mark.parametrize("name", sorted(_loss_cases(np.random.default_rng(0))))
def test_loss_backward_matches_finite_differences(name):
    loss, pred, target = _loss_cases(np.random.default_rng(7))[name]
    loss.forward(pred, target)
    grad = loss.backward()
    assert grad.shape == pred.shape and grad.dtype == pred.dtype
    assert rel_error(grad, numerical_grad(lambda: loss.forward(pred, target), pred)) <= TOL


def test_losses_match_closed_forms():
    # arithmetic by hand: BCE of p=0.5 against y=1 is log 2; MSE of (1,3) vs (0,0) is 5
    assert scratch.BCELoss().forward(np.array([[0.5]]), np.array([[1.0]])) == pytest.approx(
        np.log(2), rel=1e-15)
    assert scratch.MSELoss().forward(np.array([1.0, 3.0]), np.zeros(2)) == 5.0
    # CE of equal logits over 4 classes is log 4
    assert scratch.CrossEntropyLoss().forward(np.zeros((3, 4)), np.array([0, 1, 3])) == (
        pytest.approx(np.log(4), rel=1e-15))

"""The lecture's worked example and training runs, computed by scratch.Net.

Expected values are the numbers the lecture prints (cell [85]).
"""

import numpy as np
import pytest

import scratch


def lecture_net() -> scratch.Net:
    model = scratch.Net(2, 3, rng=0)
    model.l1.W = np.array([[1.0, -1.0, 3.0], [2.0, 2.0, -1.0]])
    model.l2.W = np.array([[0.1], [0.5], [-0.1]])
    return model


X = np.array([5.0, 3.0])[np.newaxis, ...]


def test_worked_example_matches_lecture_printout():
    model = lecture_net()
    out = model.predict(X)
    loss = model.backward(label=1)
    np.testing.assert_allclose(out, [[0.590378]], atol=5e-7)
    np.testing.assert_allclose(loss, [[0.52699227]], atol=5e-9)
    np.testing.assert_allclose(
        model.l1.W_grad,
        [[-3.42057777e-06, -2.01341432e-01, 1.25838681e-06],
         [-2.05234666e-06, -1.20804859e-01, 7.55032084e-07]],
        rtol=5e-9, atol=0)
    np.testing.assert_allclose(
        model.l2.W_grad, [[-0.40961516], [-0.29945768], [-0.40961948]], rtol=0, atol=5e-9)


def test_worked_example_intermediates_match_lecture_slides():
    model = lecture_net()
    model.predict(X)
    h = model.l1.y
    # The slides round h to 4 places: 0.9999, 0.7310, 0.9999 (h1 = 0.99998329857).
    np.testing.assert_allclose(h, [[0.99998329857, 0.7310, 0.9999]], atol=1e-4)
    np.testing.assert_allclose(h[0, 0], 0.99998329857, atol=1e-11)
    # dJ/dh = dJ/dy * y (1 - y) * V = [-0.04096, -0.2048, 0.04096] on the slides
    dJdh = model.l2.backward(np.array([[-1 / model.y[0, 0]]]))
    np.testing.assert_allclose(dJdh, [[-0.04096, -0.2048, 0.04096]], atol=5e-5)
    assert -1 / model.y[0, 0] == pytest.approx(-1.69383, abs=5e-6)


def test_lecture_names_work():
    layer = scratch.LinearSigmoidLayer(2, 3)
    assert isinstance(layer, scratch.LinearSigmoid)
    model = lecture_net()
    assert model.W is model.l1.W and model.V is model.l2.W


@pytest.mark.parametrize("label", [1, 0])
def test_single_sample_gradient_descent_drives_loss_to_zero(label):
    model = lecture_net()
    losses = []
    for _ in range(100):
        model.predict(X)
        losses.append(model.backward(label=label).item())
        model.grad_step(lr=1e-1)
    assert losses[-1] < losses[0] / 5
    assert losses[-1] < 0.1
    assert all(b <= a + 1e-12 for a, b in zip(losses, losses[1:], strict=False))


def test_backward_before_predict_raises():
    with pytest.raises(scratch.BackwardBeforeForwardError, match="before predict"):
        scratch.Net(2, 3, rng=0).backward(1)


@pytest.mark.parametrize("label", [2, -1, 0.5])
def test_bad_label_raises(label):
    model = lecture_net()
    model.predict(X)
    with pytest.raises(scratch.LabelError, match="0 or 1"):
        model.backward(label)


def test_overflow_inside_net_names_the_layer_without_a_warning():
    # inf - inf inside l1's matmul gives NaN: Net holds one overflow guard for both
    # layers, and l1 itself must still report it (pytest turns RuntimeWarnings into errors).
    model = lecture_net()
    model.l1.W = np.array([[np.inf, 1.0, 1.0], [np.inf, 1.0, 1.0]])
    with pytest.raises(scratch.NonFiniteError, match=r"Net\.l1 .*output"):
        model.predict(np.array([[1.0, -1.0]]))


def test_net_honours_a_forward_or_backward_replaced_on_the_instance():
    model = lecture_net()
    calls = []
    stock_forward, stock_backward = model.l2.forward, model.l2.backward
    model.l2.forward = lambda h: calls.append("forward") or stock_forward(h)
    model.l2.backward = lambda g: calls.append("backward") or stock_backward(g)
    model.predict(X)
    model.backward(1)
    assert calls == ["forward", "backward"]
    np.testing.assert_allclose(model.l2.W_grad, [[-0.40961516], [-0.29945768], [-0.40961948]],
                               atol=5e-9)

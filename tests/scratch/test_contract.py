"""The layer contract: overwrite semantics, zero_grad, names, dtype preservation, SGD."""

import numpy as np
import pytest

import scratch


def test_backward_overwrites_gradients_instead_of_accumulating():
    rng = np.random.default_rng(0)
    layer = scratch.Linear(3, 2, rng=rng)
    x, g = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    layer.forward(x)
    layer.backward(g)
    first = {k: v.copy() for k, v in layer.grads.items()}
    layer.backward(g)
    for k in first:
        np.testing.assert_array_equal(layer.grads[k], first[k])
    np.testing.assert_allclose(first["W"], x.T @ g, rtol=1e-15)  # dL/dW = x^T g
    np.testing.assert_allclose(first["b"], g.sum(0), rtol=1e-15)


def test_zero_grad():
    model = scratch.Sequential(scratch.Linear(3, 2, rng=0), scratch.ReLU())
    model.forward(np.ones((2, 3)))
    model.backward(np.ones((2, 2)))
    model.zero_grad()
    assert all(not g.any() for g in model.grads.values())


def test_sequential_names_follow_torch():
    model = scratch.Sequential(scratch.Linear(2, 3, rng=0), scratch.Sigmoid(),
                               scratch.Linear(3, 1, bias=False, rng=0))
    assert list(model.params) == ["0.W", "0.b", "2.W"]
    assert list(model.grads) == list(model.params)
    assert model.params["0.W"] is model[0].W


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_end_to_end(dtype):
    model = scratch.Sequential(scratch.Linear(2, 3, rng=0, dtype=dtype), scratch.Tanh(),
                               scratch.Linear(3, 2, rng=0, dtype=dtype))
    x = np.ones((5, 2), dtype)
    out = model.forward(x)
    loss = scratch.CrossEntropyLoss()
    loss.forward(out, np.array([0, 1, 0, 1, 1]))
    dx = model.backward(loss.backward())
    assert out.dtype == dtype and dx.dtype == dtype
    assert all(g.dtype == dtype for g in model.grads.values())


def test_sgd_matches_hand_computed_momentum_update():
    layer = scratch.Linear(1, 1, bias=False, rng=0)
    layer.W = np.array([[1.0]])
    opt = scratch.SGD(layer, lr=0.1, momentum=0.9)
    for _ in range(2):
        layer.grads["W"][...] = 2.0  # constant gradient
        opt.step()
    # step 1: buf = 2, W = 1 - 0.2 = 0.8; step 2: buf = 0.9*2 + 2 = 3.8, W = 0.8 - 0.38 = 0.42
    np.testing.assert_allclose(layer.W, [[0.42]], rtol=1e-15)


def test_neuron_and_perceptron_on_iris():
    X, y = scratch.load_iris_binary()
    assert X.shape == (150, 2) and set(np.unique(y)) == {0.0, 1.0}
    assert (y == 0).sum() == 50  # 50 setosa
    p = scratch.Perceptron(2, lr=0.1)
    p.fit(X, y, epochs=200)
    assert (p.predict(X) == y).mean() >= 0.95  # one setosa overlaps: not separable


def test_perceptron_rule_by_hand_and_convergence_on_separable_data():
    X = np.array([[2.0, 1.0], [-1.0, -2.0]])
    y = np.array([1.0, 0.0])
    p = scratch.Perceptron(2, lr=1.0)
    mistakes = p.fit(X, y, epochs=10)
    # epoch 1: x0 predicted 0 (w=0, b=0) -> w = (2, 1), b = 1; x1: -2-2+1 < 0 -> correct
    np.testing.assert_array_equal(p.w, [2.0, 1.0])
    assert p.b == 1.0 and mistakes == [1, 0]
    np.testing.assert_array_equal(p.predict(X), y)
    n = scratch.Neuron(2, scratch.Sigmoid(), rng=0)
    assert n.forward(X).shape == (2, 1)


def test_logistic_regression_runs_the_lecture_loop():
    X, y = scratch.load_iris_binary()
    Xb = scratch.add_bias_column(X)
    model = scratch.LogisticRegression(max_iter=2000)
    n_iter, history = model.fit(Xb, y)
    assert n_iter == 2000 and len(history) == 2000
    assert history[-1] < history[0]
    # one iteration by hand from theta = ones: theta += 0.1 * mean((y - p) x)
    one = scratch.LogisticRegression(max_iter=1)
    one.fit(Xb, y)
    p = 1 / (1 + np.exp(-(Xb @ np.ones(3))))
    np.testing.assert_allclose(one.theta, 1 + 0.1 * np.mean((y - p) * Xb.T, axis=1), rtol=1e-13)


def test_iris_multiclass():
    X, y = scratch.load_iris_multiclass()
    assert X.shape == (150, 4) and y.dtype == np.int64 and set(y) == {0, 1, 2}


def test_sequential_overflow_names_the_layer_and_honours_replaced_forwards():
    # one overflow guard for the whole chain: inf - inf inside layer 0's matmul still
    # raises from layer 0 (pytest turns a leaked RuntimeWarning into an error)
    model = scratch.Sequential(scratch.Linear(2, 2, bias=False, rng=0), scratch.Tanh())
    model[0].W = np.array([[np.inf, 1.0], [np.inf, 1.0]])
    with pytest.raises(scratch.NonFiniteError, match=r"layer 0 \(Linear"):
        model.forward(np.array([[1.0, -1.0]]))
    calls = []
    stock = model[1].forward
    model[1].forward = lambda x: calls.append("tap") or stock(x)
    model[0].W = np.eye(2)
    np.testing.assert_allclose(model.forward(np.array([[0.5, -0.5]])), np.tanh([[0.5, -0.5]]))
    assert calls == ["tap"]

"""Formulas the speed work restructured, each against torch (an independent witness).

* ``sigmoid``: exp(min(z, 0)) / (1 + exp(-|z|)), written in place;
* Sigmoid/Tanh/LinearSigmoid backward with fewer temporaries;
* ``bce_grad`` in place, and ``Net.backward``'s per-sample J from one log per sample;
* LogisticRegression's loss history, computed a block of iterations at a time.
"""

import numpy as np
import pytest
import torch

import scratch
from scratch.losses import bce_grad
from scratch.neuron import _MeanBCERecorder

RTOL = {np.float64: 1e-12, np.float32: 1e-6}
EXTREMES = [-np.inf, -1000.0, -745.0, -100.0, -40.0, -1e-300, -0.0, 0.0, 1e-300, 3.0, 40.0,
            100.0, 1000.0, np.inf]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [1, 500, 5000])  # sigmoid computes large arrays in place
def test_sigmoid_matches_torch_everywhere(dtype, n):
    z = np.concatenate([EXTREMES, np.random.default_rng(0).standard_normal(n) * 20])
    assert (z.size > scratch.activations.SMALL) == (n == 5000)
    z = z.astype(dtype)
    ours = scratch.sigmoid(z)
    assert ours.dtype == dtype
    expected = torch.sigmoid(torch.from_numpy(z)).numpy()
    # Relative error, also far in the tail; only below the smallest normal number may
    # they part: torch's 1/(1 + exp(-z)) overflows to 0 there, scratch keeps a subnormal.
    np.testing.assert_allclose(ours, expected, rtol=4 * np.finfo(dtype).eps,
                               atol=np.finfo(dtype).tiny)


def test_sigmoid_of_scalars_and_integers():
    assert scratch.sigmoid(np.float64(0.0)).shape == ()
    np.testing.assert_allclose(scratch.sigmoid(np.array(2.0)), torch.sigmoid(torch.tensor(2.0,
                               dtype=torch.float64)).item(), rtol=1e-15)
    ints = scratch.sigmoid(np.arange(-3, 4))
    assert ints.dtype == np.float64
    np.testing.assert_allclose(ints, torch.sigmoid(torch.arange(-3.0, 4.0,
                               dtype=torch.float64)).numpy(), rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["Sigmoid", "Tanh"])
def test_activation_backward_matches_autograd(name, dtype):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((7, 5)) * 4).astype(dtype)
    g = rng.standard_normal((7, 5)).astype(dtype)
    layer = getattr(scratch, name)()
    layer.forward(x)
    dx = layer.backward(g)
    tx = torch.from_numpy(x).requires_grad_(True)
    getattr(torch, name.lower())(tx).backward(torch.from_numpy(g))
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=RTOL[dtype], atol=1e-7)


def test_bce_grad_matches_autograd_including_the_clamp():
    p = np.array([0.0, 1e-30, 0.2, 0.5, 1 - 1e-9, 1.0, 0.7])
    y = np.array([1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.3])
    tp = torch.from_numpy(p).requires_grad_(True)
    torch.nn.functional.binary_cross_entropy(tp, torch.from_numpy(y), reduction="mean").backward()
    np.testing.assert_allclose(bce_grad(p, y, 1 / p.size), tp.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(bce_grad(p, y), tp.grad.numpy() * p.size, rtol=1e-12)


def test_net_backward_matches_torch_with_saturated_outputs():
    """J per sample (clamped at 100 where p rounds to 0 or 1) and summed-BCE gradients."""
    import torch_ref

    net = scratch.Net(2, 3, rng=4)
    net.l1.W = np.array([[1.0, -1.0, 3.0], [2.0, 2.0, -1.0]])
    net.l2.W = np.array([[40.0], [0.5], [-0.1]])
    x = np.array([[5.0, 3.0], [-9.0, 1.0], [0.5, -0.25], [30.0, 30.0]])
    labels = np.array([0, 1, 1, 0])
    tnet = torch_ref.to_torch(net)
    net.predict(x)
    J = net.backward(labels)
    y = tnet(torch.from_numpy(x))
    tJ = tnet.loss(y, labels, reduction="none")
    tJ.sum().backward()
    assert J[3, 0] == 100.0  # p rounds to 1 with label 0: torch's clamp, log(0) -> -100
    np.testing.assert_allclose(J, tJ.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(net.l1.W_grad, tnet.l1.W.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(net.l2.W_grad, tnet.l2.W.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_net_label_checks_keep_their_messages():
    net = scratch.Net(2, 3, rng=0)
    net.predict(np.ones((2, 2)))
    for bad in (2, 0.5, np.nan, "a", [1, 2]):
        with pytest.raises(scratch.LabelError, match="label must be 0 or 1"):
            net.backward(bad)
    with pytest.raises(scratch.LabelError, match=r"scalar or shape \(2,\)"):
        net.backward([1, 0, 1])
    assert net.backward(True).shape == (2, 1)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_logistic_regression_history_is_torchs_bce_of_each_iterate(dtype):
    X, y = scratch.load_iris_binary(dtype)
    X = scratch.add_bias_column(X)
    thetas = []
    model = scratch.LogisticRegression(max_iter=600, record_every=3)  # 200 records, < 1 block
    model.fit(X, y, callback=lambda it, theta: thetas.append(theta.copy()))
    bce = torch.nn.BCELoss()
    expected = [bce(torch.sigmoid(torch.from_numpy(X @ t)), torch.from_numpy(y)).item()
                for t in thetas[::3]]
    np.testing.assert_allclose(model.loss_history, expected, rtol=RTOL[dtype])


def test_recorder_blocks_give_the_values_of_single_rows():
    rng = np.random.default_rng(2)
    y = (rng.random(11) < 0.5).astype(np.float64)
    ps = rng.random((10, 11))
    ps[3, 0] = 1.0 if y[0] == 0 else 0.0  # a clamped term
    recorder = _MeanBCERecorder(y, max_rows=4)  # batches of 4, 4 and 2
    for p in ps:
        recorder.add(p)
    values = recorder.finish()
    bce = torch.nn.BCELoss()
    expected = [bce(torch.from_numpy(p), torch.from_numpy(y)).item() for p in ps]
    np.testing.assert_allclose(values, expected, rtol=1e-12)
    assert _MeanBCERecorder(np.zeros(1 << 20), max_bytes=1 << 10).max_rows == 1

"""check_model on Sequential, Net and single layers: coverage, twin reuse, bad input."""

import numpy as np
import pytest
import torch

import scratch
import torch_ref
from compare import assert_model_matches, check_model
from compare.tolerances import POLICY
from scratch.errors import DTypeError, NonFiniteError


def mlp(rng, dtype=np.float64):
    return scratch.Sequential(scratch.Linear(3, 4, rng=rng, dtype=dtype), scratch.Tanh(),
                              scratch.Linear(4, 2, rng=rng, dtype=dtype), scratch.Sigmoid())


def test_sequential_report_covers_every_layer_loss_and_gradient():
    rng = np.random.default_rng(0)
    model = mlp(rng)
    report = check_model(model, rng.normal(size=(5, 3)), rng.random((5, 2)), "bce")
    assert report.ok, report
    kinds = [(e.kind, e.layer, e.label) for e in report.entries]
    assert kinds == [
        ("forward", 0, "output"), ("forward", 1, "output"), ("forward", 2, "output"),
        ("forward", 3, "output"), ("loss", 4, "loss"), ("input_grad", 4, "dL/dpred"),
        ("input_grad", 3, "dL/dinput"),
        ("param_grad", 2, "dL/dW"), ("param_grad", 2, "dL/db"), ("input_grad", 2, "dL/dinput"),
        ("input_grad", 1, "dL/dinput"),
        ("param_grad", 0, "dL/dW"), ("param_grad", 0, "dL/db"), ("input_grad", 0, "dL/dinput"),
    ]
    w = report.entry("0.W")
    assert (w.param, w.reference_param, w.transposed) == ("0.W", "0.weight", True)
    assert w.actual is model.layers[0].grads["W"]  # references, not copies, of scratch's arrays


def test_every_compared_array_is_the_real_torch_value():
    # Recompute the torch side independently and check what the report holds.
    rng = np.random.default_rng(1)
    model = mlp(rng)
    x, y = rng.normal(size=(5, 3)), rng.random((5, 2))
    report = check_model(model, x, y, "mse")
    twin = torch_ref.to_torch(model)
    xt = torch.tensor(x, requires_grad=True)
    loss = torch.nn.functional.mse_loss(twin(xt), torch.tensor(y))
    loss.backward()
    # check_model's own twin views scratch's (in, out) W as weight, so torch may take
    # another matmul path than this contiguous copy: equal up to the last bit or two.
    same = {"rtol": 1e-13, "atol": 0}
    np.testing.assert_allclose(report.entry("loss", "loss").expected, loss.detach().numpy(),
                               **same)
    np.testing.assert_allclose(report.entry("layer 0 (Linear(3, 4)) dL/dinput").expected,
                               xt.grad.numpy(), **same)
    np.testing.assert_allclose(report.entry("2.W").expected, twin[2].weight.grad.numpy().T,
                               **same)


def test_lecture_net_uses_its_own_backward_label_semantics():
    rng = np.random.default_rng(2)
    net = scratch.Net(3, 4, rng=rng)
    x = rng.normal(size=(6, 3))
    labels = np.array([1, 0, 0, 1, 1, 0])
    report = check_model(net, x, labels)
    assert report.ok, report
    assert "summed BCE" in report.title
    J = report.entry("loss", "loss")
    assert J.shape == (6, 1)  # the per-sample J that Net.backward returns
    # Summed BCE: dL/dpred = (p - y) / (p (1 - p)) with no 1/N.
    p = net.y[:, 0]
    np.testing.assert_allclose(report.entry("dL/dpred").expected[:, 0],
                               (p - labels) / (p * (1 - p)), rtol=1e-12)


def test_scalar_label_for_net():
    rng = np.random.default_rng(3)
    assert check_model(scratch.Net(2, 3, rng=rng), rng.normal(size=(1, 2)), 0).ok


@pytest.mark.parametrize("layer", [
    lambda rng: scratch.Linear(3, 2, rng=rng),
    lambda rng: scratch.Linear(3, 2, bias=False, rng=rng),
    lambda rng: scratch.LinearSigmoid(3, 2, rng=rng),
    lambda rng: scratch.Tanh(),
    lambda rng: scratch.Step(),
    lambda rng: scratch.Neuron(3, scratch.Sigmoid(), rng=rng),
])
def test_single_layers_with_a_random_upstream(layer):
    rng = np.random.default_rng(4)
    report = check_model(layer(rng), rng.normal(size=(4, 3)), seed=11)
    assert report.ok, report
    assert report.seed == 11 and any("random upstream" in n for n in report.notes)


def test_given_upstream_array_reaches_both_sides():
    rng = np.random.default_rng(16)
    layer = scratch.Linear(3, 2, rng=rng)
    x, g = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    report = check_model(layer, x, upstream=g)
    assert report.ok and report.seed is None
    # dL/dW = x^T g for y = x W + b
    np.testing.assert_allclose(report.entry("dL/dW").expected, x.T @ g, rtol=1e-12)
    assert report.first_divergence is None
    with pytest.raises(ValueError, match="upstream must have shape"):
        check_model(layer, x, upstream=g[:, :1])


def test_nested_sequential():
    rng = np.random.default_rng(5)
    model = scratch.Sequential(
        scratch.Linear(3, 4, rng=rng),
        scratch.Sequential(scratch.Sigmoid(), scratch.Linear(4, 2, rng=rng)))
    report = check_model(model, rng.normal(size=(3, 3)), np.array([0, 1, 1]), "cross_entropy")
    assert report.ok, report
    assert report.entry("1.1.W").reference_param == "1.1.weight"


def test_float32_model():
    rng = np.random.default_rng(6)
    model = mlp(rng, np.float32)
    x = rng.normal(size=(5, 3)).astype(np.float32)
    report = check_model(model, x, rng.random((5, 2)).astype(np.float32), "bce")
    assert report.ok and report.dtype == "float32"
    # the scale-aware policy (docs/tolerances.md), not the fixed table pair
    assert report.tolerances["gradient"] == POLICY[np.dtype(np.float32)]["gradient"]


def test_float32_model_against_a_float64_reference():
    rng = np.random.default_rng(7)
    model = mlp(rng, np.float32)
    x = rng.normal(size=(5, 3)).astype(np.float32)
    report = check_model(model, x, rng.random((5, 2)).astype(np.float32), "bce", dtype="float64")
    assert report.ok, report
    assert report.entry("0.W").expected.dtype == np.float64
    assert any("reference computed in float64" in n for n in report.notes)


def test_twin_is_reused_and_follows_weight_updates():
    rng = np.random.default_rng(8)
    model = mlp(rng)
    x, y = rng.normal(size=(5, 3)), rng.random((5, 2))
    first = check_model(model, x, y, "mse")
    scratch.SGD(model, lr=0.5).step()  # in-place update
    model.layers[2].W = model.layers[2].W * 2  # replaced array
    second = check_model(model, x, y, "mse")
    assert first.ok and second.ok, second
    assert not np.allclose(first.entry("loss", "loss").expected,
                           second.entry("loss", "loss").expected)


def test_given_twin_gets_the_models_weights():
    rng = np.random.default_rng(9)
    model = mlp(rng)
    twin = torch_ref.to_torch(model)
    with torch.no_grad():
        twin[0].weight.mul_(3)  # out of sync on purpose
    assert check_model(model, rng.normal(size=(2, 3)), rng.random((2, 2)), "bce", twin=twin).ok


def test_layer_that_raises_becomes_an_error_entry():
    class BadShape(scratch.Tanh):
        def _backward(self, grad_out):
            return grad_out[:, :1]

    rng = np.random.default_rng(10)
    model = scratch.Sequential(scratch.Linear(3, 4, rng=rng), BadShape(),
                               scratch.Linear(4, 1, rng=rng))
    report = check_model(model, rng.normal(size=(5, 3)), rng.normal(size=(5, 1)), "mse")
    div = report.first_divergence
    # The bad gradient is caught where it was produced, not where it made layer 0 raise.
    assert (div.layer, div.entry.status) == (1, "shape")
    assert any(e.status == "error" and e.layer == 0 for e in report.entries)


def test_assert_model_matches_raises_with_the_report():
    class Doubled(scratch.Sigmoid):
        def _backward(self, grad_out):
            return 2 * super()._backward(grad_out)

    rng = np.random.default_rng(11)
    model = scratch.Sequential(scratch.Linear(3, 1, rng=rng), Doubled())
    x, y = rng.normal(size=(4, 3)), rng.random((4, 1))
    with pytest.raises(AssertionError) as info:
        assert_model_matches(model, x, y, "bce")
    assert "backward diverges at layer 1 (Doubled())" in str(info.value)
    assert info.value.report.first_divergence.layer == 1
    assert assert_model_matches(mlp(rng), x, rng.random((4, 2)), "bce").ok


def test_bad_input_is_refused_clearly():
    rng = np.random.default_rng(12)
    model = mlp(rng)
    x, y = rng.normal(size=(4, 3)), rng.random((4, 2))
    with pytest.raises(DTypeError, match="x has dtype float32 but the model computes in float64"):
        check_model(model, x.astype(np.float32), y, "bce")
    with pytest.raises(NonFiniteError, match="check_model: x holds 1 non-finite value"):
        check_model(model, np.where(x == x[1, 2], np.nan, x), y, "bce")
    with pytest.raises(ValueError, match="y was given without a loss"):
        check_model(model, x, y)
    with pytest.raises(ValueError, match="either a loss .* or an upstream"):
        check_model(model, x, y, "bce", upstream="ones")
    with pytest.raises(ValueError, match="travel together"):
        check_model(model, x, y, "bce", grad_rtol=1e-3)
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        check_model(model, x, y, "hinge")
    with pytest.raises(ValueError, match="Net.backward.label. fixes the loss"):
        check_model(scratch.Net(3, 2, rng=rng), x, 1, "mse")


def test_wrong_target_shape_is_reported_at_the_loss():
    rng = np.random.default_rng(13)
    report = check_model(mlp(rng), rng.normal(size=(4, 3)), rng.random((4, 1)), "mse")
    div = report.first_divergence
    assert div.entry.is_loss and div.entry.status == "error"
    assert "target must have shape (4, 2), got (4, 1)" in div.message


def test_same_layer_object_twice_is_refused():
    act = scratch.Tanh()
    rng = np.random.default_rng(14)
    model = scratch.Sequential(scratch.Linear(2, 2, rng=rng), act, scratch.Linear(2, 2, rng=rng),
                               act)
    with pytest.raises(ValueError, match="positions 1 and 3"):
        check_model(model, rng.normal(size=(2, 2)))


def test_taps_are_removed_afterwards():
    rng = np.random.default_rng(15)
    model = mlp(rng)
    check_model(model, rng.normal(size=(2, 3)), rng.random((2, 2)), "bce")
    assert all("forward" not in vars(layer) and "backward" not in vars(layer)
               for layer in model.layers)

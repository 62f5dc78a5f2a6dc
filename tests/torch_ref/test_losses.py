"""Loss twins: same value and same dL/dpred as scratch's losses, including BCE at p = 0 and 1."""

import math

import numpy as np
import pytest
import torch
from torch import nn

import scratch
import torch_ref


def inputs(name, rng, dtype):
    """(pred, target) in the form each loss takes: probabilities, logits, or class labels."""
    if name == "bce":
        return rng.uniform(0.01, 0.99, (6, 2)).astype(dtype), rng.integers(0, 2, (6, 2)).astype(
            dtype)
    if name == "bce_with_logits":
        return rng.normal(size=(6, 2)).astype(dtype) * 3, rng.uniform(0, 1, (6, 2)).astype(dtype)
    if name == "mse":
        return rng.normal(size=(6, 2)).astype(dtype), rng.normal(size=(6, 2)).astype(dtype)
    return rng.normal(size=(6, 4)).astype(dtype), rng.integers(0, 4, 6)


def torch_value_and_grad(tloss, pred, target):
    p = torch.tensor(pred, requires_grad=True)
    value = tloss(p, target)
    value.backward()
    return value.item(), p.grad.numpy()


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("name", sorted(torch_ref.LOSS_NAMES))
def test_loss_twin_matches_value_and_gradient_float64(name, reduction):
    rng = np.random.default_rng(6)
    loss = torch_ref.loss_by_name(name, reduction)
    tloss = torch_ref.loss_to_torch(loss)
    assert tloss.reduction == reduction
    pred, target = inputs(name, rng, np.float64)
    value = loss.forward(pred, target)
    grad = loss.backward()
    t_value, t_grad = torch_value_and_grad(tloss, pred, torch_ref.target_to_torch(loss, target))
    assert math.isclose(value, t_value, rel_tol=1e-12)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(torch_ref.LOSS_NAMES))
def test_loss_twin_matches_float32(name):
    rng = np.random.default_rng(7)
    loss = torch_ref.loss_by_name(name)
    pred, target = inputs(name, rng, np.float32)
    value = loss.forward(pred, target)
    grad = loss.backward()
    t_value, t_grad = torch_value_and_grad(torch_ref.loss_to_torch(loss), pred,
                                           torch_ref.target_to_torch(loss, target))
    assert grad.dtype == t_grad.dtype == np.float32
    assert math.isclose(value, t_value, rel_tol=1.3e-6, abs_tol=1e-5)
    np.testing.assert_allclose(grad, t_grad, rtol=1.3e-6, atol=1e-5)


def test_bce_at_exact_zero_and_one_matches_torch_and_hand_values():
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    loss = scratch.BCELoss()
    value = loss.forward(p, y)
    grad = loss.backward()
    # Per element: 0, 0, -log 0 -> clamped to 100, -log(1 - 1) -> 100, -log 0.5; mean over 5.
    assert math.isclose(value, (200 + math.log(2)) / 5, rel_tol=1e-15)
    # (p - y) / max(p (1 - p), eps) / 5: 0, 0, -1/eps/5, +1/eps/5, (-0.5 / 0.25) / 5, where
    # torch's eps is the C float 1e-12, i.e. 9.999999960041972e-13 as a double.
    eps = 9.999999960041972e-13
    np.testing.assert_allclose(grad, [0, 0, -0.2 / eps, 0.2 / eps, -0.4], rtol=1e-15)
    t_value, t_grad = torch_value_and_grad(nn.BCELoss(), p, torch.tensor(y))
    assert math.isclose(value, t_value, rel_tol=1e-15)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-15)


def test_cross_entropy_target_becomes_int64():
    loss = scratch.CrossEntropyLoss()
    t = torch_ref.target_to_torch(loss, np.array([0, 2, 1], dtype=np.int32))
    assert t.dtype == torch.int64 and t.tolist() == [0, 2, 1]
    f = torch_ref.target_to_torch(scratch.MSELoss(), np.zeros(3, dtype=np.float32))
    assert f.dtype == torch.float32


def test_loss_errors_name_the_culprit():
    with pytest.raises(ValueError, match=r"unknown loss 'hinge'; expected one of \['bce'"):
        torch_ref.loss_by_name("hinge")

    class Hinge(scratch.Loss):
        pass

    with pytest.raises(TypeError, match="no torch twin for loss Hinge"):
        torch_ref.loss_to_torch(Hinge())
    assert isinstance(torch_ref.loss_to_torch("bce_with_logits"), nn.BCEWithLogitsLoss)


def test_a_wrong_loss_twin_is_caught():
    # Planted bug: pairing scratch's MSE with torch's L1 loss must show up as a mismatch.
    rng = np.random.default_rng(8)
    pred, target = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    loss = scratch.MSELoss()
    value = loss.forward(pred, target)
    t_value, _ = torch_value_and_grad(nn.L1Loss(), pred, torch.tensor(target))
    assert not math.isclose(value, t_value, rel_tol=1e-6)

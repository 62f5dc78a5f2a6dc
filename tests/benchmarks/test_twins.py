"""The torch models the benchmarks time compute what scratch computes, from the same weights.

Expected values come from torch (the twin run on the same input); the planted
bugs show ``pair_mismatches`` names what differs.
"""

import numpy as np
import pytest
import torch

import scratch
import torch_ref
from benchmarks import cnn
from benchmarks.models import (
    LECTURE_X,
    gemm_flops,
    gemm_step,
    lecture_pair,
    lecture_sequential_pair,
    mlp_pair,
    pair_mismatches,
    verified,
)


def test_lecture_pair_matches_torch_and_the_lecture():
    pair = lecture_pair()
    assert pair_mismatches(pair) == []
    # The lecture's printout of cell [85]: loss [[0.52699227]], V grad [[-0.40961516], ...]
    np.testing.assert_allclose(pair.scratch_step(), [[0.52699227]], atol=5e-9)
    np.testing.assert_allclose(pair.torch_step().detach().numpy(), [[0.52699227]], atol=5e-9)
    np.testing.assert_allclose(pair.torch_model.l2.W.grad.numpy(),
                               [[-0.40961516], [-0.29945768], [-0.40961948]], atol=5e-9)


@pytest.mark.parametrize("bias", [False, True])
def test_lecture_sequential_pair_matches_torch_and_the_lecture(bias):
    pair = lecture_sequential_pair(bias=bias)
    assert pair_mismatches(pair) == []
    assert [type(layer).__name__ for layer in pair.scratch_model] == ["Linear", "Sigmoid"] * 2
    assert all(layer.bias is bias for layer in pair.scratch_model.layers[::2])
    if not bias:  # the lecture's own net: cell [85] prints J and V's gradient
        np.testing.assert_allclose(pair.scratch_step(), 0.52699227, atol=5e-9)
        np.testing.assert_allclose(pair.scratch_model.grads["2.W"],
                                   [[-0.40961516], [-0.29945768], [-0.40961948]], atol=5e-9)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mlp_pair_weights_identical_and_step_matches(dtype):
    pair = mlp_pair(batch=6, width=5, depth=3, dtype=dtype, seed=3)
    for link in torch_ref.param_map(pair.torch_model):
        theirs = pair.torch_model.get_parameter(link.torch_name).detach().numpy()
        ours = pair.scratch_model.params[link.scratch_name]
        assert theirs.dtype == ours.dtype
        np.testing.assert_array_equal(link.to_scratch_layout(theirs), ours)
    assert pair.torch_x.requires_grad  # torch computes dL/dx, as scratch's backward does
    assert pair_mismatches(pair) == []
    out = pair.scratch_model.forward(pair.x)
    tout = pair.torch_model(pair.torch_x).detach().numpy()
    np.testing.assert_allclose(out, tout, rtol=1e-6 if dtype == np.float32 else 1e-12)


def test_planted_weight_difference_is_named():
    pair = mlp_pair(batch=4, width=3, depth=2, seed=0)
    with torch.no_grad():
        pair.torch_model[2].weight[0, 1] += 1e-3  # scratch "2.W"[1, 0]
    problems = pair_mismatches(pair)
    assert any(p.startswith("weight 2.W") for p in problems), problems
    with pytest.raises(AssertionError, match="2.W"):
        verified(pair)


def test_planted_gradient_bug_is_named():
    """A scratch layer whose backward forgets the sigmoid's derivative (a classic bug)."""
    pair = lecture_pair()
    l2 = pair.scratch_model.l2
    l2._backward = lambda grad_out: (np.matmul(l2.x.T, grad_out, out=l2.grads["W"]),
                                     grad_out @ l2.W.T)[1]
    problems = pair_mismatches(pair)
    assert any(p.startswith("grad l2.W") for p in problems), problems
    assert any(p.startswith("grad l1.W") for p in problems), problems


def test_planted_loss_difference_is_named():
    pair = lecture_pair()
    step = pair.torch_step
    pair.torch_step = lambda: step() * 2
    assert any(p.startswith("loss") for p in pair_mismatches(pair))


def test_gemm_step_runs_and_counts_three_products_per_linear():
    pair = mlp_pair(batch=4, width=3, depth=2, seed=0)
    gemm_step(pair)()
    # Linear layers 3->3, 3->3, 3->1 at batch 4; 3 products of 2*m*n*k flops each:
    # 3 * 2 * 4 * (9 + 9 + 3) = 504
    assert gemm_flops(pair) == 504


def test_lecture_input_is_the_lectures():
    np.testing.assert_array_equal(LECTURE_X, [[5.0, 3.0]])


@pytest.mark.skipif(bool(cnn.missing_layers()), reason="scratch has no convolution yet")
def test_digits_cnn_pair_matches_torch():
    pair = cnn.digits_pair(batch=4)
    assert pair_mismatches(pair) == []
    assert isinstance(pair.scratch_model, scratch.Sequential)

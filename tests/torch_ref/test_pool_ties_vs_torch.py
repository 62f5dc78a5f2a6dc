"""MaxPool2d's tie rule against torch: with many equal values per window, scratch must route
each window's gradient to the same element torch does (its first maximum, row-major)."""

import numpy as np
import pytest
import torch

import scratch
from twinnet.mutants.deep_bugs import MaxPoolTiesToLastMax


def torch_pool_grad(x, kernel, stride, upstream):
    tx = torch.tensor(x, requires_grad=True)
    out = torch.nn.functional.max_pool2d(tx, kernel, stride)
    out.backward(torch.tensor(upstream))
    return out.detach().numpy(), tx.grad.numpy()


def pool_grads(cls, kernel, stride, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, size=(3, 2, 7, 8)).astype(np.float64)  # ties in most windows
    pool = cls(kernel, stride)
    out = pool.forward(x)
    # integer gradients keep every sum exact, so any difference is a routing difference
    upstream = rng.integers(1, 1000, size=out.shape).astype(np.float64)
    return (out, pool.backward(upstream)), torch_pool_grad(x, kernel, stride, upstream)


CASES = [(2, None), (3, 2), ((2, 3), 1), ((3, 2), (2, 3)), (1, 1)]


@pytest.mark.parametrize("kernel, stride", CASES)
def test_ties_match_torch_exactly(kernel, stride):
    (out, dx), (t_out, t_dx) = pool_grads(scratch.MaxPool2d, kernel, stride, seed=1)
    np.testing.assert_array_equal(out, t_out)
    np.testing.assert_array_equal(dx, t_dx)  # same element chosen, same sums where windows overlap


@pytest.mark.parametrize("kernel, stride", [c for c in CASES if c[0] != 1])
def test_comparison_catches_last_maximum_tie_rule(kernel, stride):
    (out, dx), (t_out, t_dx) = pool_grads(MaxPoolTiesToLastMax, kernel, stride, seed=0)
    np.testing.assert_array_equal(out, t_out)  # the forward pass cannot tell
    assert not np.array_equal(dx, t_dx)

"""No hint for correct code, and no invented signature for unrelated numbers."""

import numpy as np
import pytest
import torch

import scratch
from compare.diagnose import diagnose_pair

ACTIVATIONS = {"sigmoid": (scratch.Sigmoid, torch.sigmoid), "tanh": (scratch.Tanh, torch.tanh),
               "relu": (scratch.ReLU, torch.relu)}


def _scratch_and_torch_pairs(seed: int, dtype):
    """Linear + activation on random sizes: scratch's arrays and torch autograd's."""
    rng = np.random.default_rng(seed)
    n, d_in, d_out = (int(v) for v in rng.integers(1, 7, size=3))
    act_name = list(ACTIVATIONS)[seed % 3]
    lin = scratch.Linear(d_in, d_out, rng=rng, dtype=dtype)
    act = ACTIVATIONS[act_name][0]()
    x = rng.normal(size=(n, d_in)).astype(dtype)
    g = rng.normal(size=(n, d_out)).astype(dtype)
    out = act.forward(lin.forward(x))
    dx = lin.backward(act.backward(g))

    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(lin.params["W"], requires_grad=True)
    tb = torch.tensor(lin.params["b"], requires_grad=True)
    tout = ACTIVATIONS[act_name][1](tx @ tw + tb)
    tout.backward(torch.tensor(g))
    return [(out, tout.detach().numpy(), "output"), (dx, tx.grad.numpy(), "dx"),
            (lin.grads["W"], tw.grad.numpy(), "dW"), (lin.grads["b"], tb.grad.numpy(), "db")], n


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fifty_correct_cases_give_no_hint(dtype):
    for seed in range(50):
        pairs, n = _scratch_and_torch_pairs(seed, dtype)
        for a, b, name in pairs:
            assert diagnose_pair(a, b, name=name, batch_size=n, batch_axis=0) == [], \
                f"seed {seed}, {name}"


def test_fifty_unrelated_pairs_are_called_unexplained():
    rng = np.random.default_rng(2024)
    for seed in range(50):
        shape = tuple(int(s) for s in rng.integers(2, 6, size=int(rng.integers(1, 4))))
        a, b = rng.normal(size=shape), rng.normal(size=shape)
        hints = diagnose_pair(a, b, batch_size=shape[0], batch_axis=0)
        assert [h.kind for h in hints] == ["unexplained"], (seed, hints)
        assert "no known signature fits" in hints[0].message


def test_noisy_copy_is_not_given_a_signature():
    rng = np.random.default_rng(3)
    for _ in range(50):
        b = rng.normal(size=(4, 5))
        a = b + 1e-3 * rng.normal(size=b.shape)   # a wrong formula that is nearly right
        assert [h.kind for h in diagnose_pair(a, b)] == ["unexplained"]


def test_unrelated_pairs_with_full_context_are_called_unexplained():
    # Every context a detector can use is present (and random), so each gets its chance
    # to invent a signature.
    rng = np.random.default_rng(99)
    for _ in range(50):
        n, d = (int(v) for v in rng.integers(2, 6, size=2))
        a, b = rng.normal(size=(n, d)), rng.normal(size=(n, d))
        for role in ("input_grad", "weight_grad", "output"):
            hints = diagnose_pair(a, b, role=role, batch_size=n, batch_axis=0,
                                  grad_out=rng.normal(size=(n, d)),
                                  layer_input=rng.normal(size=(n, d)),
                                  layer_output=rng.random((n, d)),
                                  weight=rng.normal(size=(d, d)))
            assert [h.kind for h in hints] == ["unexplained"], (role, hints)

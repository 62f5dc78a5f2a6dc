"""The models timed by the benchmarks: a scratch model, its torch twin, one training step each.

Twins come from ``torch_ref.to_torch`` (weights copied, ``nn.Linear.weight =
W.T``), so both sides start from identical numbers; the tests in
``tests/benchmarks`` check that one step gives the same outputs and gradients.

Like with like: scratch's backward always returns dL/dx (``Sequential.backward``
returns it; ``Net.backward`` computes it in ``l1.backward``), so the torch input
has ``requires_grad=True`` and torch computes that gradient too. Scratch
overwrites its gradients every step, so torch's are reset (``zero_grad``, which
sets them to None) at the start of its step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

import scratch
import torch_ref

# (rtol, atol) by dtype, torch.testing's defaults: the two sides round differently.
TOLERANCES = {np.dtype(np.float64): (1e-7, 1e-7), np.dtype(np.float32): (1.3e-6, 1e-5)}

LECTURE_W = np.array([[1.0, -1.0, 3.0], [2.0, 2.0, -1.0]])
LECTURE_V = np.array([[0.1], [0.5], [-0.1]])
LECTURE_X = np.array([[5.0, 3.0]])


@dataclass
class StepPair:
    """One training step (forward, loss, backward) on each side, on identical weights and data.

    ``scratch_step()`` returns the loss as scratch reports it and
    ``torch_step()`` the matching torch tensor, so tests can compare them;
    afterwards ``scratch_model.grads`` and the torch parameters' ``.grad`` hold
    the step's gradients, and ``scratch_input_grad()`` / ``torch_x.grad`` dL/dx.
    """

    scratch_model: object
    torch_model: torch.nn.Module
    x: np.ndarray
    torch_x: torch.Tensor
    scratch_step: Callable[[], object]
    torch_step: Callable[[], torch.Tensor]
    scratch_input_grad: Callable[[], np.ndarray]


def lecture_pair() -> StepPair:
    """The lecture's worked example: Net(2, 3) with its printed weights, x = [5, 3], label 1.

    scratch: ``net.predict(x); net.backward(label)`` (per-sample J, summed-BCE gradients).
    torch: the same net, ``binary_cross_entropy(reduction="none")`` summed, then backward.
    """
    net = scratch.Net(2, 3, rng=0)
    net.l1.W, net.l2.W = LECTURE_W.copy(), LECTURE_V.copy()
    tnet = torch_ref.to_torch(net)
    x = LECTURE_X.copy()
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    target = torch.ones(1, 1, dtype=torch.float64)

    def scratch_step():
        net.predict(x)
        return net.backward(1)

    def torch_step():
        tnet.zero_grad()
        tx.grad = None
        J = F.binary_cross_entropy(tnet(tx), target, reduction="none")
        J.sum().backward()
        return J

    def input_grad():
        # Net.backward drops dL/dx; rerun its backward pass by hand (same gradients again).
        bce = scratch.BCELoss(reduction="sum")
        bce.forward(net.y, np.ones_like(net.y))
        return net.l1.backward(net.l2.backward(bce.backward()))

    return StepPair(net, tnet, x, tx, scratch_step, torch_step, input_grad)


def lecture_sequential_pair(bias: bool = False) -> StepPair:
    """The lecture's 2-3-1 net written the general way a user would, with a mean BCE.

    ``Sequential(Linear(2, 3), Sigmoid(), Linear(3, 1), Sigmoid())`` and
    ``BCELoss()`` on x = [5, 3], label 1. ``bias=False`` is the lecture's net itself
    (its printed W and V, no biases); ``bias=True`` is ``Linear``'s default, with
    the lecture's weights and the biases drawn by ``Linear``.

    scratch: ``loss.forward(model.forward(x), y)``, ``model.backward(loss.backward())``.
    torch: the twin, ``nn.BCELoss()``, ``backward``.
    """
    model = scratch.Sequential(scratch.Linear(2, 3, bias=bias, rng=0), scratch.Sigmoid(),
                               scratch.Linear(3, 1, bias=bias, rng=1), scratch.Sigmoid())
    model[0].W, model[2].W = LECTURE_W.copy(), LECTURE_V.copy()
    return loss_step_pair(model, LECTURE_X.copy(), np.ones((1, 1)), scratch.BCELoss())


def build_mlp(n_in: int, width: int, depth: int, dtype, rng) -> scratch.Sequential:
    """``depth`` hidden Linear(width)+Sigmoid layers, then Linear(width, 1)+Sigmoid."""
    layers = []
    for i in range(depth):
        layers += [scratch.Linear(n_in if i == 0 else width, width, rng=rng, dtype=dtype),
                   scratch.Sigmoid()]
    layers += [scratch.Linear(width, 1, rng=rng, dtype=dtype), scratch.Sigmoid()]
    return scratch.Sequential(*layers)


def mlp_pair(batch: int, width: int, depth: int = 3, dtype=np.float64,
             seed: int = 0) -> StepPair:
    """A sigmoid MLP (batch, width) -> (batch, 1) with mean BCE against random 0/1 labels.

    scratch: ``forward``, ``BCELoss.forward``, ``backward(loss.backward())``.
    torch: the twin's forward, ``BCELoss``, ``backward``.
    """
    rng = np.random.default_rng(seed)
    model = build_mlp(width, width, depth, dtype, rng)
    x = rng.standard_normal((batch, width)).astype(dtype)
    y = (rng.random((batch, 1)) < 0.5).astype(dtype)
    return loss_step_pair(model, x, y, scratch.BCELoss())


def loss_step_pair(model, x: np.ndarray, y: np.ndarray, loss) -> StepPair:
    """Forward, ``loss`` and backward of ``model`` and of its torch twin on the same data.

    x : (batch, ...) in the model's dtype; y : the target ``loss`` expects.
    """
    tmodel = torch_ref.to_torch(model)
    tloss = torch_ref.loss_to_torch(loss)
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    ty = torch_ref.target_to_torch(loss, y)

    def scratch_step():
        value = loss.forward(model.forward(x), y)
        model.backward(loss.backward())
        return value

    def torch_step():
        tmodel.zero_grad()
        tx.grad = None
        value = tloss(tmodel(tx), ty)
        value.backward()
        return value

    # Rerunning backward on the cached loss gives the step's dL/dx (and the same grads).
    return StepPair(model, tmodel, x, tx, scratch_step, torch_step,
                    lambda: model.backward(loss.backward()))


def gemm_step(pair: StepPair) -> Callable[[], None]:
    """The matrix products of one scratch MLP step, and nothing else, in NumPy.

    Per Linear layer: forward ``x @ W``, backward ``x.T @ grad`` (into the
    gradient buffer, as scratch does) and ``grad @ W.T``. Inputs are the
    arrays scratch itself caches, so shapes, dtypes and layouts match; the
    time of this function is the BLAS bound on scratch's step.
    """
    model = pair.scratch_model
    pair.scratch_step()  # fills the caches read below
    linears = [layer for layer in model.layers if isinstance(layer, scratch.Linear)]
    inputs = [layer._x for layer in linears]  # noqa: SLF001  (the cached layer inputs)
    grads_out = [np.ones((x.shape[0], layer.out_features), x.dtype)
                 for x, layer in zip(inputs, linears, strict=True)]
    w_grads = [np.empty_like(layer.W) for layer in linears]

    def step():
        for x, layer in zip(inputs, linears, strict=True):
            x.dot(layer.W)
        for x, g, gw, layer in zip(inputs, grads_out, w_grads, linears, strict=True):
            np.matmul(x.T, g, out=gw)
            g.dot(layer.W.T)

    return step


def gemm_flops(pair: StepPair) -> int:
    """Floating-point operations in ``gemm_step``: 2 m n k per product, 3 products per layer."""
    batch = pair.x.shape[0]
    linears = [layer for layer in pair.scratch_model.layers if isinstance(layer, scratch.Linear)]
    return sum(3 * 2 * batch * layer.in_features * layer.out_features for layer in linears)


def pair_mismatches(pair: StepPair) -> list[str]:
    """Why the two sides of ``pair`` do not compute the same thing (empty if they do).

    Checks that every torch parameter equals its scratch twin exactly (in
    scratch's layout), then runs one step on each side and compares the loss,
    every parameter gradient and dL/dx within ``TOLERANCES``.
    """
    problems = []
    model, tmodel = pair.scratch_model, pair.torch_model
    links = torch_ref.param_map(tmodel)
    tparams = dict(tmodel.named_parameters())
    for link in links:
        theirs = torch_ref.torch_to_scratch_layout(link, tparams[link.torch_name])
        if not np.array_equal(theirs, model.params[link.scratch_name]):
            problems.append(f"weight {link.scratch_name} != torch {link.torch_name}")
    rtol, atol = TOLERANCES[pair.x.dtype]

    def compare(what, ours, theirs):
        ours, theirs = np.asarray(ours), np.asarray(theirs)
        if ours.shape != theirs.shape or not np.allclose(ours, theirs, rtol=rtol, atol=atol):
            diff = np.max(np.abs(ours - theirs)) if ours.shape == theirs.shape else "shape"
            problems.append(f"{what}: scratch and torch differ (max abs diff {diff})")

    ours, theirs = pair.scratch_step(), pair.torch_step()
    compare("loss", ours, theirs.detach().numpy())
    for link in links:
        compare(f"grad {link.scratch_name}", model.grads[link.scratch_name],
                torch_ref.torch_to_scratch_layout(link, tparams[link.torch_name].grad))
    compare("dL/dx", pair.scratch_input_grad(), pair.torch_x.grad.numpy())
    return problems


def verified(pair: StepPair) -> StepPair:
    """``pair`` itself, once :func:`pair_mismatches` finds nothing; else AssertionError."""
    problems = pair_mismatches(pair)
    if problems:
        raise AssertionError("benchmark twins disagree, so timing them would compare "
                             "different work:\n  " + "\n  ".join(problems))
    return pair

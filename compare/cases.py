"""Built-in cases: the lecture's worked example, and random nets that replay from a seed.

Random cases vary depth, widths, activations, loss and reduction, batch size
(1 included), dtype and input scale, and put inputs at and near the kinks of
ReLU and Step on purpose:

* **exact kink**: a unit whose weights column and bias are zero has a
  pre-activation of exactly 0 on both sides (a sum of exact zeros), so both
  apply the documented convention (ReLU'(0) = 0, Step' = 0);
* **near kink**: a bias is shifted so that one sample's pre-activation sits
  1000 rounding-error bounds from 0: close, but on the same side for both.

Anything else within a rounding-error bound of a kink (where scratch and torch
could honestly land on different sides) makes the generator redraw, from the
same Generator, so a seed always rebuilds the same case. The bound is tracked
alongside the forward pass: each Linear adds ``(fan_in + 2) * eps * (|a| @ |W|
+ |b|)`` and passes on the incoming error times ``|W|``; activations scale it
by their Lipschitz constant. Likewise a sigmoid feeding BCE keeps its input
within +-4 (float32) / +-12 (float64), where dL/dp = (p - y) / (p (1 - p)) is
still well-conditioned in p.
"""

from __future__ import annotations

import numpy as np

import scratch

from .case import (
    BCE_INPUT_LIMIT,
    DTYPES,
    KINK_SAFETY,
    KINKED,
    MAX_DRAWS,
    NEAR_KINK,
    Case,
    draw_targets,
    loss_named,
    pick_loss,
)
from .cases_conv import is_structured, structured_case
from .diff import compare_many
from .lecture_printout import EXAMPLE_LABEL, example_arrays, printed_array
from .model_check import check_model
from .report import FORWARD, LOSS, PARAM_GRAD, Entry, Report
from .tolerances import Tolerance


def random_case(seed: int, dtype=None) -> Case:
    """The random case for ``seed`` (and ``dtype``: float32, float64, or None to draw one).

    The dtype is drawn first and always, so a seed builds the same net in
    either dtype (unless one dtype's build had to be redrawn near a kink).
    """
    rng = np.random.default_rng(seed)
    drawn = DTYPES[int(rng.integers(2))]
    dt = drawn if dtype is None else np.dtype(dtype)
    if dt not in DTYPES:
        raise ValueError(f"random_case: dtype must be float32 or float64, got {dt}")
    if is_structured(seed):
        return structured_case(rng, dt, int(seed))
    for _ in range(MAX_DRAWS):
        case = _draw(rng, dt, int(seed))
        if case is not None:
            return case
    raise RuntimeError(f"random_case({seed}): no kink-safe case in {MAX_DRAWS} draws")


def random_cases(n: int, seed: int = 0, dtype=None):
    """Cases ``seed, seed + 1, ..., seed + n - 1`` (a generator)."""
    for i in range(int(n)):
        yield random_case(seed + i, dtype)


# -- drawing ---------------------------------------------------------------------
def _draw(rng, dt, seed) -> Case | None:
    batch = 1 if rng.random() < 0.2 else int(rng.integers(2, 17))
    family = rng.random()
    if family < 0.1:
        model, loss, n_out = _net(rng, dt), None, 1
    elif family < 0.25:
        model, loss, n_out = _single_layer(rng, dt)
    else:
        model, loss, n_out = _sequential(rng, dt)
    layers = model.layers if hasattr(model, "layers") else [model]
    n_in = _in_features(layers[0], rng)
    x = (rng.normal(size=(batch, n_in)) * 10 ** rng.uniform(-0.5, 0.5)).astype(dt)
    kinks: list[str] = []
    if isinstance(layers[0], KINKED) and rng.random() < 0.5:
        x[rng.random(x.shape) < 0.3] = 0  # exact zeros straight into ReLU/Step
        kinks.append(f"exact 0 inputs into layer 0 ({layers[0].describe()})")
    bce = isinstance(model, scratch.Net) or isinstance(loss, scratch.BCELoss)
    out = _place_kinks_and_check(layers, x, bce, dt, rng, kinks)
    if out is None:
        return None
    y = draw_targets(rng, model, loss, out.shape, dt)
    return Case(seed, dt, model, x, y, loss, kinks)


def _net(rng, dt) -> scratch.Net:
    net = scratch.Net(int(rng.integers(1, 5)), int(rng.integers(1, 7)), rng=rng, dtype=dt)
    for layer in net.layers:
        layer.params["W"] *= dt.type(10 ** rng.uniform(-0.7, 0.0))
    return net


def _single_layer(rng, dt):
    n_in, pick = int(rng.integers(1, 7)), rng.random()
    if pick < 0.4:
        loss = pick_loss(rng, allow_bce=False)
        n_out = int(rng.integers(2, 6)) if loss == "cross_entropy" else int(rng.integers(1, 5))
        return scratch.Linear(n_in, n_out, bias=rng.random() < 0.8, rng=rng, dtype=dt), \
            loss_named(loss, rng), n_out
    if pick < 0.6:
        n_out = int(rng.integers(1, 5))
        layer = scratch.LinearSigmoid(n_in, n_out, rng=rng, dtype=dt)
        layer.params["W"] *= dt.type(0.5)
        return layer, loss_named(str(rng.choice(["bce", "mse"])), rng), n_out
    act = [scratch.Sigmoid, scratch.Tanh, scratch.ReLU, scratch.Identity][int(rng.integers(4))]
    return act(), loss_named("mse" if rng.random() < 0.8 else None, rng), None


def _sequential(rng, dt):
    loss = pick_loss(rng, allow_bce=True)
    depth = int(rng.integers(1, 5))
    n_out = int(rng.integers(2, 6)) if loss == "cross_entropy" else int(rng.integers(1, 4))
    widths = [int(rng.integers(1, 7))] + [int(rng.integers(1, 9)) for _ in range(depth - 1)]
    widths.append(n_out)
    layers = []
    for k in range(depth):
        last = k == depth - 1
        fused_ok = not last or loss in ("bce", "mse", None)
        if fused_ok and rng.random() < 0.15:
            layers.append(scratch.LinearSigmoid(widths[k], widths[k + 1], rng=rng, dtype=dt))
            layers[-1].params["W"] *= dt.type(0.5)
            continue
        linear = scratch.Linear(widths[k], widths[k + 1], bias=rng.random() < 0.8, rng=rng,
                                dtype=dt)
        linear.params["W"] *= dt.type(10 ** rng.uniform(-0.3, 0.4))
        layers.append(linear)
        if not last:
            kinds = [scratch.Sigmoid, scratch.Tanh, scratch.ReLU, scratch.Identity, scratch.Step]
            layers.append(kinds[int(rng.choice(5, p=[0.25, 0.25, 0.3, 0.1, 0.1]))]())
        elif loss == "bce":
            layers.append(scratch.Sigmoid())
        elif loss in ("mse", None) and rng.random() < 0.5:
            layers.append([scratch.Sigmoid, scratch.Tanh, scratch.ReLU][int(rng.integers(3))]())
    return scratch.Sequential(*layers), loss_named(loss, rng), n_out


def _in_features(layer, rng) -> int:
    for attr in ("in_features", "in_dim"):
        if hasattr(layer, attr):
            return getattr(layer, attr)
    return int(rng.integers(1, 7))  # an activation takes any width


# -- kinks -----------------------------------------------------------------------
def _place_kinks_and_check(layers, x, bce, dt, rng, kinks) -> np.ndarray | None:
    """Put points at/near kinks in front of ReLU/Step; run the model forward.

    Returns the output, or None if a point lands too close to a kink to call
    (or a sigmoid feeding BCE saturates).
    """
    eps = float(np.finfo(dt).eps)
    a, err = x, np.zeros(x.shape)  # err: bound on |scratch - torch| of a, elementwise
    for k, layer in enumerate(layers):
        nxt = layers[k + 1] if k + 1 < len(layers) else None
        last = k == len(layers) - 1
        if isinstance(layer, scratch.Linear | scratch.LinearSigmoid):
            if isinstance(nxt, KINKED):
                _kink(layer, a, err, eps, rng, kinks, f"layer {k + 1} ({nxt.describe()})")
            W = np.abs(layer.params["W"].astype(np.float64))
            b = np.abs(layer.params["b"].astype(np.float64)) if "b" in layer.params else 0.0
            err_z = err @ W + (W.shape[0] + 2) * eps * (np.abs(a.astype(np.float64)) @ W + b)
            out = layer.forward(a)
            if isinstance(layer, scratch.LinearSigmoid):
                z = a.astype(np.float64) @ layer.params["W"].astype(np.float64)
                if last and bce and np.abs(z).max() > BCE_INPUT_LIMIT[dt]:
                    return None
                err_z = 0.25 * err_z + eps
            elif isinstance(nxt, KINKED) and _too_close(out, err_z):
                return None
            a, err = out, err_z
            continue
        if isinstance(layer, scratch.Sigmoid) and last and bce \
                and np.abs(a).max() > BCE_INPUT_LIMIT[dt]:
            return None
        out = layer.forward(a)
        if isinstance(layer, scratch.Sigmoid):
            err = 0.25 * err + eps
        elif isinstance(layer, scratch.Tanh):
            err = err + eps
        elif isinstance(layer, scratch.Step):
            err = np.zeros(out.shape)
        a = out
    return a


def _too_close(z, err) -> bool:
    """Nonzero and within KINK_SAFETY error bounds of 0 anywhere (exact zeros are exact)."""
    return bool(((z != 0) & (np.abs(z) <= KINK_SAFETY * err)).any())


def _kink(layer, a, err, eps, rng, kinks, where) -> None:
    """Maybe zero one unit exactly, or move one sample of one unit next to 0."""
    r, n_out = rng.random(), layer.params["W"].shape[1]
    j = int(rng.integers(n_out))
    if r < 0.25:
        layer.params["W"][:, j] = 0
        if "b" in layer.params:
            layer.params["b"][j] = 0
        kinks.append(f"exact 0 into {where} unit {j}")
    elif r < 0.5 and "b" in layer.params:
        W = layer.params["W"].astype(np.float64)
        b = layer.params["b"].astype(np.float64)
        s = int(rng.integers(a.shape[0]))
        z = a[s].astype(np.float64) @ W[:, j] + b[j]
        bound = (err[s] @ np.abs(W[:, j])
                 + (W.shape[0] + 2) * eps * (np.abs(a[s]).astype(np.float64) @ np.abs(W[:, j])
                                             + abs(b[j]) + abs(z)))
        target = (1 if rng.random() < 0.5 else -1) * NEAR_KINK * bound
        layer.params["b"][j] = layer.params["b"].dtype.type(b[j] + (target - z))
        kinks.append(f"sample {s} of unit {j} set {target:+.1e} from the kink of {where}")


# -- the lecture -----------------------------------------------------------------
# The printout's quantities judged here, each with the tolerance its printed digits allow.
LECTURE_PRINTED = {
    "y": ("y", (1, 1), Tolerance(rtol=0.0, atol=5e-7)),
    "loss": ("loss", (1, 1), Tolerance(rtol=0.0, atol=5e-9)),
    "l1.W": ("dJ/dW", (2, 3), Tolerance(rtol=5e-9, atol=0.0)),
    "l2.W": ("dJ/dV", (3, 1), Tolerance(rtol=0.0, atol=5e-9)),
}
LECTURE_TWIN_ATOL = 1e-12


def lecture_net() -> scratch.Net:
    """The lecture's network with its W and V (cell [85])."""
    _, w, v = example_arrays()
    net = scratch.Net(2, 3, rng=0)
    net.l1.W, net.l2.W = w, v
    return net


def lecture_example() -> Report:
    """The lecture's worked example: scratch vs torch to 1e-12, and both vs the printout.

    Returns one Report: every number of :func:`compare.check_model` (scratch
    against torch, |diff| <= 1e-12, rtol 0), then y, the loss and both weight
    gradients of each side against the digits the lecture prints.
    """
    net = lecture_net()
    x = example_arrays()[0]
    twin = check_model(net, x, EXAMPLE_LABEL, rtol=0.0, atol=LECTURE_TWIN_ATOL,
                       grad_rtol=0.0, grad_atol=LECTURE_TWIN_ATOL, backward_twice=True,
                       replay="compare.lecture_example()")
    sides = {
        "y": (1, twin.entry("l2 ", FORWARD), "output"),
        "loss": (2, twin.entry("loss", LOSS), "loss J"),
        "l1.W": (0, twin.entry("l1 ", PARAM_GRAD), "dL/dW"),
        "l2.W": (1, twin.entry("l2 ", PARAM_GRAD), "dL/dW (V)"),
    }
    specs, pairs = [], []
    for key, (quantity, shape, tol) in LECTURE_PRINTED.items():
        layer, entry, label = sides[key]
        printed = printed_array(quantity, shape)
        for side, value in (("scratch", entry.actual), ("torch", entry.expected)):
            specs.append((f"{label} ({side} vs printed)", entry, layer, key))
            pairs.append((value, printed, tol))
    printed_entries = [
        Entry(label, entry.kind, layer, entry.layer_desc, diff, is_loss=entry.is_loss,
              param=key if entry.kind == PARAM_GRAD else None)
        for (label, entry, layer, key), diff in zip(specs, compare_many(pairs), strict=True)]
    return Report("lecture example (cell [85]): scratch vs torch, and both vs the printout",
                  twin.entries + printed_entries, dtype=np.float64, actual_name="scratch",
                  expected_name="torch | printed",
                  tolerances={"scratch vs torch": Tolerance(0.0, LECTURE_TWIN_ATOL),
                              **{f"printed {k}": t for k, (_, _, t) in LECTURE_PRINTED.items()}},
                  notes=twin.notes, replay="compare.lecture_example()")

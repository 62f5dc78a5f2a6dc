"""Wrong operands in the products and sums of a dense layer's backward.

Both detectors rebuild what scratch must have computed from the pieces the
report holds (dL/dy handed to the layer, the layer's weight) and claim a
cause only when that rebuilt array matches scratch on every element.
"""

from __future__ import annotations

import numpy as np

from .hint import Hint, PairContext, allclose

MAX_CONDITION = 1e8


def detect_wrong_axis(a: np.ndarray, b: np.ndarray, ctx: PairContext,
                      rtol: float, atol: float) -> Hint | None:
    """``wrong_axis`` when a bias-like gradient is dL/dy reduced over the wrong axis.

    Applies when the reference is ``dL/dy`` summed over the batch (axis 0).
    """
    g = ctx.grad_out
    if ctx.role != "weight_grad" or g is None or g.ndim != 2:
        return None
    g64 = g.astype(np.float64)
    if not allclose(b.astype(np.float64), g64.sum(axis=0), rtol, atol):
        return None
    candidates = [
        ("summed over axis 1 (the features)", g64.sum(axis=1),
         "the reduction runs over the wrong axis (sum(axis=1) for sum(axis=0))"),
        ("averaged over axis 1 (the features)", g64.mean(axis=1),
         "the reduction runs over the wrong axis and averages (mean(axis=1) for sum(axis=0))"),
        ("summed over every element", np.full(b.shape, g64.sum()),
         "everything is summed (sum() for sum(axis=0))"),
        ("of the first sample only", g64[0],
         "one sample's row is taken instead of the sum over the batch (grad_out[0]: code "
         "written for a single sample, run on a batch)"),
        ("of the last sample only", g64[-1],
         "one sample's row is taken instead of the sum over the batch (grad_out[-1])"),
    ]
    for name, value, why in candidates:
        if g64.shape[0] > 1 and value.size == a.size and allclose(
                a.astype(np.float64).ravel(), value.ravel(), rtol, atol):
            msg = (f"the reference is dL/dy summed over the batch (axis 0); scratch equals "
                   f"dL/dy {name} on all {a.size} elements: {why}.")
            return Hint("wrong_axis", ctx.name, msg, {"reduction": name})
    return None


def detect_weight_not_transposed(a: np.ndarray, b: np.ndarray, ctx: PairContext,
                                 rtol: float, atol: float) -> Hint | None:
    """``transpose`` when dL/dx is (something) @ W where (something) @ W.T belongs.

    With ``b = u @ W.T`` and a square, well-conditioned ``W``, ``u`` is
    recovered as ``b @ inv(W.T)``; the claim is ``a == u @ W`` everywhere.
    """
    W = ctx.weight
    if ctx.role != "input_grad" or W is None or W.ndim != 2 or W.shape[0] != W.shape[1] \
            or a.shape != b.shape or b.ndim != 2 or b.shape[1] != W.shape[0]:
        return None
    W64 = W.astype(np.float64)
    if not np.all(np.isfinite(W64)) or np.linalg.cond(W64) > MAX_CONDITION:
        return None
    u = np.linalg.solve(W64, b.astype(np.float64).T).T  # u @ W.T = b
    if allclose(a.astype(np.float64), u @ W64, max(rtol, 1e-9) * 10, atol):
        msg = (f"with u = dL/d(pre-activation) recovered from the reference (u @ W.T), scratch "
               f"equals u @ W on all {a.size} elements: the weight is not transposed in "
               "dL/dx = u @ W.T (square W, so no shape error caught it).")
        return Hint("transpose", ctx.name, msg, {"operand": "W"})
    return None


def _pre_activation_forms(x64, W64, y64, b64=None):
    """Local derivatives a fused ``act(x @ W (+ b))`` layer's backward may wrongly use."""
    z = x64 @ W64 if b64 is None else x64 @ W64 + b64
    return [
        ("1 (no activation derivative)", np.ones_like(z),
         "the activation's derivative is left out, as if the layer were linear"),
        ("z (1 - z) with z = x @ W", z * (1 - z),
         "sigmoid's y (1 - y) is computed from the pre-activation z instead of the output y"),
        ("y (the output itself)", y64, "y (1 - y) lost its (1 - y) factor"),
        ("1 - y", 1 - y64, "y (1 - y) lost its y factor, or 1 - y^2 was written 1 - y"),
        ("1 - y^2", 1 - y64 * y64, "tanh's derivative is used, not this layer's"),
        ("y (1 - y)", y64 * (1 - y64), "sigmoid's derivative is used, not this layer's"),
    ]


def detect_fused_derivative(a: np.ndarray, b: np.ndarray, ctx: PairContext,
                            rtol: float, atol: float) -> Hint | None:
    """``derivative`` for a fused ``y = act(x @ W)`` layer whose backward uses a wrong f'.

    Scratch's dW must equal ``x.T @ (g * L)``, or its dL/dx ``(g * L) @ W.T``, for
    one named wrong local derivative ``L`` (the correct one cannot match: a != b).
    """
    W, x, y, g = ctx.weight, ctx.layer_input, ctx.layer_output, ctx.grad_out
    if any(v is None for v in (W, x, y, g)) or W.ndim != 2 or x.ndim != 2 \
            or g.shape != (x.shape[0], W.shape[1]) or y.shape != g.shape \
            or x.shape[1] != W.shape[0]:
        return None
    x64, W64, y64, g64 = (v.astype(np.float64) for v in (x, W, y, g))
    bias = ctx.bias
    b64 = bias.astype(np.float64) if bias is not None and bias.shape == (W.shape[1],) else None
    shift = 0.0 if b64 is None else b64
    for w in (W64, W64.T) if W64.shape[0] == W64.shape[1] else (W64,):
        affine = x64 @ w + shift
        if np.allclose(y64, affine, rtol=1e-6,
                       atol=1e-12 * max(1.0, float(np.abs(affine).max()))):
            return None  # no activation in this layer: no activation derivative to get wrong
    if ctx.role == "weight_grad" and a.shape == W.shape:
        rebuild = lambda local: x64.T @ (g64 * local)  # noqa: E731
        what = "dL/dW = x.T @ (dL/dy * L)"
    elif ctx.role == "input_grad" and a.shape == x.shape:
        rebuild = lambda local: (g64 * local) @ W64.T  # noqa: E731
        what = "dL/dx = (dL/dy * L) @ W.T"
    else:
        return None
    tol = max(rtol, 1e-9) * 10
    for name, local, why in _pre_activation_forms(x64, W64, y64, b64):
        if allclose(a.astype(np.float64), rebuild(local), tol, atol) and not allclose(
                b.astype(np.float64), rebuild(local), tol, atol):
            msg = (f"scratch equals {what} with L = {name} on all {a.size} elements: {why}.")
            return Hint("derivative", ctx.name, msg, {"form": name})
    return None


def detect_weight_grad_operand(a: np.ndarray, b: np.ndarray, ctx: PairContext,
                               rtol: float, atol: float) -> Hint | None:
    """``operand`` when dL/dW is built from the layer's output where its input belongs."""
    y, g = ctx.layer_output, ctx.grad_out
    if ctx.role != "weight_grad" or y is None or g is None or y.ndim != 2 or g.ndim != 2 \
            or y.shape[0] != g.shape[0]:
        return None
    candidate = y.astype(np.float64).T @ g.astype(np.float64)
    if candidate.shape == a.shape and allclose(a.astype(np.float64), candidate, rtol, atol):
        msg = (f"scratch's dL/dW equals y.T @ dL/dy on all {a.size} elements, with the layer's "
               "own output y where its input x belongs (x.T @ dL/dy): the wrong activation "
               "is used in the weight gradient (a[l] for a[l-1]).")
        return Hint("operand", ctx.name, msg, {"operand": "output for input"})
    return None

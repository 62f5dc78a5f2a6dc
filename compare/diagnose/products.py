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
    for name, value in (("summed over axis 1 (the features)", g64.sum(axis=1)),
                        ("averaged over axis 1 (the features)", g64.mean(axis=1)),
                        ("summed over every element", np.full(b.shape, g64.sum()))):
        if value.size == a.size and allclose(a.astype(np.float64).ravel(), value.ravel(),
                                             rtol, atol):
            msg = (f"the reference is dL/dy summed over the batch (axis 0); scratch equals "
                   f"dL/dy {name} on all {a.size} elements: the reduction runs over the wrong "
                   "axis (sum(axis=1) for sum(axis=0)).")
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

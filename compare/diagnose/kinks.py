"""Disagreement only where the layer's input sits on a kink (ReLU, step, abs at 0)."""

from __future__ import annotations

import numpy as np

from .hint import Hint, PairContext, close_mask, fmt, fmt_index, list_positions


def kink_mask(x: np.ndarray, kinks: tuple) -> np.ndarray:
    """True where ``x`` equals a kink to within 4 ulps (computed inputs rarely land exactly)."""
    eps = np.finfo(x.dtype).eps if np.issubdtype(x.dtype, np.floating) else 0.0
    mask = np.zeros(x.shape, dtype=bool)
    for k in kinks:
        mask |= np.abs(x - k) <= 4 * eps * max(1.0, abs(k))
    return mask


def detect_kink(a: np.ndarray, b: np.ndarray, ctx: PairContext,
                rtol: float, atol: float) -> Hint | None:
    """``kink`` when every differing element has its layer input on a kink.

    Needs the layer's input with the array's own shape (element-wise layers).
    """
    x = ctx.layer_input
    if x is None or x.shape != a.shape or a.shape != b.shape:
        return None
    differ = ~close_mask(a, b, rtol, atol)
    if not differ.any():
        return None
    at_kink = kink_mask(x, ctx.kinks)
    if not np.all(at_kink[differ]):
        return None
    n_diff, n_kink = int(differ.sum()), int(at_kink.sum())
    shown = []
    for pos in list_positions(differ):
        shown.append(f"{fmt_index(pos)}: input {fmt(x[pos])}, scratch {fmt(a[pos])} vs "
                     f"reference {fmt(b[pos])}")
    more = "" if n_diff <= len(shown) else f" (and {n_diff - len(shown)} more)"
    kinks = ", ".join(fmt(k) for k in ctx.kinks)
    msg = (f"the {n_diff} differing elements all sit where the layer's input is at a kink "
           f"({kinks}): {'; '.join(shown)}{more}. The other {a.size - n_diff} elements agree"
           f"{'' if n_kink == n_diff else f' (including {n_kink - n_diff} other kink points)'}"
           ". This is the derivative convention at a non-differentiable point (torch: "
           "ReLU'(0) = 0, step' = 0, a tied maximum takes the gradient at its first "
           "position), not a wrong formula.")
    return Hint("kink", ctx.name, msg, {
        "positions": [list(p) for p in list_positions(differ, 50)],
        "inputs": [float(x[p]) for p in list_positions(differ, 50)],
        "differing": n_diff, "kink_points": n_kink})

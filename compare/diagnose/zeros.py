"""Gradients that were never computed: all zeros, left as they were, or added twice."""

from __future__ import annotations

import numpy as np

from .hint import Hint, PairContext, allclose, fmt


def _norm(x: np.ndarray) -> float:
    return float(np.linalg.norm(x.astype(np.float64).ravel()))


def detect_zeros(a: np.ndarray, b: np.ndarray, ctx: PairContext,
                 rtol: float, atol: float) -> Hint | None:
    """``zeros`` when exactly one side is all zeros (scratch exactly 0, or the reference)."""
    if a.shape != b.shape or a.size == 0:
        return None
    a_zero, b_zero = not a.any(), not b.any()
    if a_zero and not b_zero:
        if ctx.role == "weight_grad":
            why = ("the gradient is never computed into the array the checker reads (e.g. "
                   "assigned to a local or a new array instead of written into grads), or "
                   "the gradient reaching this layer is cut")
        else:
            why = ("the derivative evaluates to 0 everywhere: e.g. computed from rounded or "
                   "thresholded values (a label instead of a probability), a mask that is "
                   "never true, or an upstream gradient that is dropped")
        msg = (f"scratch is exactly 0 on all {a.size} elements while the reference is not "
               f"(norm {_norm(b):.3g}, largest |value| {fmt(np.abs(b).max())}): {why}.")
        return Hint("zeros", ctx.name, msg, {"side": "scratch", "reference_norm": _norm(b)})
    if b_zero and not a_zero:
        msg = (f"the reference is exactly 0 on all {b.size} elements but scratch is not "
               f"(norm {_norm(a):.3g}): scratch sends a gradient where none should flow "
               "(a constant or piecewise-constant operation such as a step, or a "
               "parameter the loss does not depend on).")
        return Hint("zeros", ctx.name, msg, {"side": "reference", "scratch_norm": _norm(a)})
    return None


def detect_never_written(a: np.ndarray, b: np.ndarray, ctx: PairContext,
                         rtol: float, atol: float) -> Hint | None:
    """``never_written`` when scratch still holds exactly what it held before backward."""
    before = ctx.before
    if before is None or before.shape != a.shape or not np.array_equal(a, before):
        return None
    if allclose(before.astype(np.float64), b.astype(np.float64), rtol, atol):
        return None
    zero_note = " (zeros)" if not before.any() else ""
    msg = (f"scratch's array is bit-for-bit what it was before backward ran{zero_note}, on "
           f"all {a.size} elements, while the reference differs from that (norm "
           f"{_norm(b):.3g}): backward never writes it, so the checker sees a stale value.")
    return Hint("never_written", ctx.name, msg, {"elements": int(a.size)})


def second_pass_hints(first: dict[str, np.ndarray], second: dict[str, np.ndarray], *,
                      rtol: float = 1e-7, atol: float = 1e-7) -> list[Hint]:
    """Compare scratch's gradients after two identical forward/backward passes.

    Parameters
    ----------
    first, second : dict[str, np.ndarray]
        Copies of the gradients after the first and after the second pass on
        the same data, same keys, each array any shape.

    Returns
    -------
    list of Hint
        ``accumulated`` for every gradient whose second value is twice the
        first (backward adds to the gradient instead of overwriting it); ``[]``
        when every gradient is reproduced.
    """
    hints = []
    for key, g1 in first.items():
        g2 = second[key]
        g1_64, g2_64 = g1.astype(np.float64), g2.astype(np.float64)
        if not g1.any() or allclose(g2_64, g1_64, rtol, atol):
            continue
        if allclose(g2_64, 2 * g1_64, rtol, atol):
            msg = (f"after a second identical forward/backward, scratch's gradient is exactly "
                   f"twice the first (all {g1.size} elements): backward adds into the "
                   "gradient (+=) instead of overwriting it, so every call without "
                   "zero_grad() accumulates.")
            hints.append(Hint("accumulated", f"grad {key}", msg, {"ratio": 2.0}))
        else:
            diff = float(np.max(np.abs(g2_64 - g1_64)))
            msg = (f"a second identical forward/backward changes scratch's gradient (largest "
                   f"change {diff:.3g}) but not by a factor of 2: backward depends on state "
                   "left by the previous call (a cache or gradient not reset).")
            hints.append(Hint("stateful", f"grad {key}", msg, {"max_change": diff}))
    return hints

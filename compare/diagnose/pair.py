"""Diagnose one compared pair: try each signature, most specific first."""

from __future__ import annotations

import numpy as np

from .derivative import detect_local_derivative
from .hint import Hint, PairContext, allclose, close_mask, fmt_index
from .kinks import detect_kink
from .layout import detect_flip, detect_permutation, detect_shift, detect_unit_axes
from .localized import detect_localized
from .nonfinite import detect_nonfinite
from .offset import detect_offset
from .products import (
    detect_fused_derivative,
    detect_weight_grad_operand,
    detect_weight_not_transposed,
    detect_wrong_axis,
)
from .rounding import detect_rounding
from .scale import detect_scale
from .zeros import detect_never_written, detect_zeros

# Order matters: detectors that explain every element (a factor, a reordering,
# a shift, a rebuilt product or derivative, a constant offset) come before
# those that only locate the disagreement (kinks, one sample), so a shifted
# sequence is called a shift, not "steps 1..T differ".
DETECTORS = (
    detect_never_written,
    detect_zeros,
    detect_scale,
    detect_unit_axes,
    detect_permutation,
    detect_flip,
    detect_shift,
    detect_wrong_axis,
    detect_weight_not_transposed,
    detect_weight_grad_operand,
    detect_local_derivative,
    detect_fused_derivative,
    detect_offset,
    detect_kink,
    detect_localized,
    detect_rounding,
)


def diagnose_pair(a, b, ctx: PairContext | None = None, **context) -> list[Hint]:
    """Explain why scratch's array ``a`` differs from the reference ``b``.

    Parameters
    ----------
    a : array_like, any shape
        Scratch's value.
    b : array_like
        The reference value (torch), normally of ``a``'s shape.
    ctx : PairContext, optional
        What else is known (batch size, layer input, axes, tolerance); keyword
        arguments build one instead (``diagnose_pair(a, b, batch_size=8)``).

    Returns
    -------
    list of Hint
        ``[]`` when the pair matches within tolerance; otherwise exactly one
        hint: the first signature whose evidence holds, or ``unexplained``.
    """
    if ctx is None:
        ctx = PairContext(**context)
    elif context:
        raise TypeError("diagnose_pair: pass either ctx or keyword context, not both")
    a, b = np.asarray(a), np.asarray(b)
    rtol, atol = ctx.tolerances(a, b)
    hint = detect_nonfinite(a, b, ctx, rtol, atol)
    if hint is not None:
        return [] if hint.evidence["side"] == "both sides" and _finite_parts_match(
            a, b, rtol, atol) else [hint]
    if allclose(a, b, rtol, atol):
        return []
    for detect in DETECTORS:
        hint = detect(a, b, ctx, rtol, atol)
        if hint is not None:
            return [hint]
    return [_unexplained(a, b, ctx, rtol, atol)]


def _finite_parts_match(a, b, rtol, atol) -> bool:
    """Equal infinities in equal places pass (as in compare); NaN never does."""
    if np.isnan(a).any():
        return False
    finite = np.isfinite(a)
    same_inf = np.array_equal(a[np.isinf(a)], b[np.isinf(b)])
    return same_inf and bool(close_mask(a[finite], b[finite], rtol, atol).all())


def _next_step(ctx: PairContext) -> str:
    if ctx.role in ("output", "loss"):
        return ("The forward formula itself is likely wrong; evaluate it by hand on one "
                "sample and compare term by term with the reference expression.")
    return ("The derivative formula itself is likely wrong; compare it term by term with a "
            "finite-difference gradient (compare.gradcheck).")


def _unexplained(a, b, ctx: PairContext, rtol: float, atol: float) -> Hint:
    if a.shape != b.shape:
        msg = (f"shapes differ (scratch {a.shape}, reference {b.shape}) and no reordering "
               "or reshape of the reference matches scratch: no known signature fits.")
        return Hint("unexplained", ctx.name, msg, {"scratch_shape": list(a.shape),
                                                   "reference_shape": list(b.shape)})
    differ = ~close_mask(a, b, rtol, atol)
    diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
    pos = np.unravel_index(int(np.argmax(diff)), a.shape) if a.ndim else ()
    msg = (f"{int(differ.sum())} of {a.size} elements differ (largest |difference| "
           f"{float(diff[pos]):.3g} at {fmt_index(pos) if a.ndim else 'the scalar'}) and no "
           "known signature fits: not a constant factor or sign flip, not transposed, "
           "permuted or shifted, not a constant offset, not confined to kinks, one sample or "
           f"one step, and too large for float32 rounding. {_next_step(ctx)}")
    return Hint("unexplained", ctx.name, msg, {"differing": int(differ.sum()),
                                               "max_abs_diff": float(diff[pos])})

"""Disagreement confined to one sample, one time step, or one slice along some axis."""

from __future__ import annotations

import numpy as np

from .hint import Hint, PairContext, close_mask, fmt_index


def _slices_differing(differ: np.ndarray, ax: int) -> np.ndarray:
    others = tuple(i for i in range(differ.ndim) if i != ax)
    return np.flatnonzero(differ.any(axis=others) if others else differ)


def detect_localized(a: np.ndarray, b: np.ndarray, ctx: PairContext,
                     rtol: float, atol: float) -> Hint | None:
    """``localized`` when the differing elements all share one index along an axis.

    Also recognises, along the time axis, a contiguous run of steps touching
    one end of the sequence (the gradient stops flowing back after step k).
    """
    if a.shape != b.shape or a.ndim == 0:
        return None
    differ = ~close_mask(a, b, rtol, atol)
    n_diff = int(differ.sum())
    if n_diff == 0:
        return None
    if n_diff == 1 and a.size >= 2:
        pos = tuple(int(i) for i in np.argwhere(differ)[0])
        msg = (f"only one of {a.size} elements differs, at {fmt_index(pos)}: scratch "
               f"{a[pos]!r} vs reference {b[pos]!r}; every other element agrees. Look for "
               "an index written by hand (an off-by-one, a special case for one position).")
        return Hint("localized", ctx.name, msg, {"axis": None, "index": list(pos),
                                                 "differing": 1})
    axes = [ax for ax in (ctx.time_axis, ctx.batch_axis) if ax is not None]
    axes += [ax for ax in range(a.ndim) if ax not in axes]
    for ax in axes:
        n = a.shape[ax]
        if n < 2:
            continue
        idx = _slices_differing(differ, ax)
        if idx.size == 1:
            return _one_slice_hint(a, b, differ, ax, int(idx[0]), ctx)
        if ax == ctx.time_axis and idx.size < n and _touches_end(idx, n):
            return _run_hint(a, idx, ax, n, ctx)
    return None


def _touches_end(idx: np.ndarray, n: int) -> bool:
    contiguous = bool(np.all(np.diff(idx) == 1))
    return contiguous and (idx[0] == 0 or idx[-1] == n - 1)


def _one_slice_hint(a, b, differ, ax, i, ctx) -> Hint:
    n = a.shape[ax]
    worst = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))[differ]))
    edge = ""
    if i in (0, n - 1):
        edge = (f" It is the {'first' if i == 0 else 'last'} one: typical of a loop bound "
                "off by one (range(1, n) or range(n - 1)).")
    if ax == ctx.time_axis:
        what, why = "time step", ("an indexing bug in the recurrence at that step (which "
                                  "hidden state or input it reads)")
    elif ax == ctx.batch_axis:
        what, why = "sample", "an indexing bug (one sample treated differently, e.g. [0] for [:])"
    elif ctx.role == "weight_grad" and a.ndim == 2:
        what = "row" if ax == 0 else "column"
        why = (f"whatever is wrong involves only {'input feature' if ax == 0 else 'output unit'} "
               f"{i} (the rows of dL/dW follow the inputs, the columns the outputs)")
        edge = ""
    else:
        what, why = f"index along axis {ax}", "look for what treats that slice differently"
    msg = (f"the disagreement is confined to {what} {i} of {n} ({int(differ.sum())} "
           f"elements, largest difference {worst:.3g}); every other {what} agrees: {why}."
           f"{edge}")
    return Hint("localized", ctx.name, msg, {"axis": ax, "index": i, "length": n,
                                             "differing": int(differ.sum()),
                                             "max_abs_diff": worst})


def _run_hint(a, idx, ax, n, ctx) -> Hint:
    lo, hi = int(idx[0]), int(idx[-1])
    if lo == 0:
        why = (f"steps 0..{hi} differ and steps {hi + 1}..{n - 1} agree: the error enters "
               f"where the gradient flows back through the recurrence from step {hi + 1}; "
               "which part of that step is wrong (loop bound, recurrent weight, where the "
               "carried gradient is added) is not confirmed")
    else:
        why = (f"steps {lo}..{n - 1} differ and steps 0..{lo - 1} agree: the forward "
               f"recurrence goes wrong from step {lo} on (a state update reading the wrong "
               "step)")
    return Hint("localized", ctx.name, f"along the time axis {why}.",
                {"axis": ax, "first": lo, "last": hi, "length": n})

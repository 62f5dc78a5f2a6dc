"""A constant added or missing: scratch = reference + c on every differing element."""

from __future__ import annotations

import numpy as np

from .hint import Hint, PairContext, close_mask, fmt, list_positions

MIN_ELEMENTS = 2


def detect_offset(a: np.ndarray, b: np.ndarray, ctx: PairContext,
                  rtol: float, atol: float) -> Hint | None:
    """``offset`` when every differing element differs by the same constant ``c``.

    Needs at least ``MIN_ELEMENTS`` differing elements whose differences agree
    to the pair's tolerance, so that one wrong element is not called a pattern.
    """
    if a.shape != b.shape or a.ndim == 0:
        return None
    differ = ~close_mask(a, b, rtol, atol)
    n = int(differ.sum())
    if n < MIN_ELEMENTS:
        return None
    d = (a.astype(np.float64) - b.astype(np.float64))[differ]
    c = float(np.median(d))
    if not np.allclose(d, c, rtol=max(rtol, 1e-9) * 10, atol=atol):
        return None
    where = "every element" if n == a.size else f"{n} of {a.size} elements"
    shown = ", ".join(str(p if len(p) > 1 else p[0]) for p in list_positions(differ))
    extra = ""
    if a.ndim == 2 and n == a.shape[0] and np.all(differ.sum(axis=1) == 1):
        cols = np.argmax(differ, axis=1).tolist()
        extra = (f" Exactly one element per row differs (columns {cols}): the pattern of a "
                 "one-hot target -- e.g. softmax cross-entropy's gradient softmax(z) - onehot(y) "
                 "without the onehot(y) term.")
        if ctx.batch_size and abs(abs(c) * ctx.batch_size - 1) < 1e-6:
            extra += f" The offset is 1/N with N = {ctx.batch_size} the batch size."
    msg = (f"scratch = reference + {fmt(c)} at {where} (at {shown}"
           f"{'' if n <= 6 else ', ...'}); the rest agree: a term missing or added "
           f"(a constant, a bias, a target subtracted or not).{extra}")
    return Hint("offset", ctx.name, msg, {"offset": c, "differing": n})

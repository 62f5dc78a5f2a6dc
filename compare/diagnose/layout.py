"""Right numbers in the wrong places: transposed, axes permuted, reshaped, flipped, shifted.

Each claim requires the rearranged reference to match scratch on every
element with the pair's own tolerance, so a coincidence would need every
number to line up.
"""

from __future__ import annotations

import itertools

import numpy as np

from .hint import Hint, PairContext, allclose

MAX_PERMUTED_NDIM = 5  # 5! = 120 permutations at most


def _axes_words(perm: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(p) for p in perm) + ")"


def detect_unit_axes(a: np.ndarray, b: np.ndarray, ctx: PairContext,
                     rtol: float, atol: float) -> Hint | None:
    """``reshape`` when the shapes differ only by axes of length 1 and the values then agree,
    e.g. a (1, D) bias gradient (``sum(axis=0, keepdims=True)``) where (D,) is expected."""
    if a.shape == b.shape or a.size != b.size or a.size == 0 \
            or np.squeeze(a).shape != np.squeeze(b).shape:
        return None
    if not allclose(a.reshape(b.shape), b, rtol, atol):
        return None
    msg = (f"shape {a.shape} where the reference has {b.shape}, but the values agree after reshape "
           f"(all {a.size} elements): only length-1 axes differ, e.g. sum(..., keepdims=True) "
           f"or a (1, D) array where (D,) is expected; reshape it to {b.shape}.")
    return Hint("reshape", ctx.name, msg, {"shape": list(a.shape),
                                            "reference_shape": list(b.shape)})


def detect_permutation(a: np.ndarray, b: np.ndarray, ctx: PairContext,
                       rtol: float, atol: float) -> Hint | None:
    """``transpose``/``permutation`` when scratch equals the reference with its axes reordered;
    ``reshape`` when it equals a reordered reference read in the wrong shape."""
    if a.ndim != b.ndim or not 2 <= b.ndim <= MAX_PERMUTED_NDIM or a.size != b.size:
        return None
    identity = tuple(range(b.ndim))
    for perm in itertools.permutations(identity):
        if perm == identity:
            continue
        moved = np.transpose(b, perm)
        if moved.shape == a.shape and allclose(a, moved, rtol, atol):
            return _permutation_hint(a, b, perm, ctx)
    # Same numbers in the order a transpose would give, but cut into scratch's
    # shape: a reshape where a transpose was meant (W.reshape(out, in) for W.T).
    for perm in itertools.permutations(identity):
        moved = np.transpose(b, perm)
        if moved.shape != a.shape and allclose(a, moved.reshape(a.shape), rtol, atol):
            how = "the reference's own element order" if perm == identity else \
                f"the reference transposed by axes {_axes_words(perm)}"
            msg = (f"scratch holds every number of {how} on all {a.size} elements, but laid "
                   f"out as shape {a.shape} instead of {moved.shape}: a reshape where a "
                   "transpose (or no reshape) was needed.")
            return Hint("reshape", ctx.name, msg, {"axes": list(perm), "shape": list(a.shape)})
    return None


def _permutation_hint(a, b, perm, ctx) -> Hint:
    evidence = {"axes": list(perm), "scratch_shape": list(a.shape),
                "reference_shape": list(b.shape)}
    shape_note = "" if a.shape == b.shape else \
        f" (shape {a.shape} where the reference has {b.shape})"
    if b.ndim == 2:
        msg = (f"scratch[i, j] equals reference[j, i] on all {a.size} elements{shape_note}: "
               "the array is transposed. For a weight or its gradient this is the layout "
               "(in, out) vs torch's (out, in): e.g. grad_out.T @ x where x.T @ grad_out "
               "was needed.")
        return Hint("transpose", ctx.name, msg, evidence)
    note = ""
    if b.ndim == 4 and perm[:2] == (1, 0) and perm[2:] == (2, 3):
        note = (" Axes 0 and 1 are swapped: for a convolution kernel, the output and input "
                "channels are exchanged.")
    elif b.ndim == 4 and set(perm[:2]) == {0, 1} and perm[2:] == (3, 2):
        note = " The last two (spatial) axes are swapped: the kernel is transposed in space."
    msg = (f"scratch equals the reference with its axes permuted as {_axes_words(perm)} "
           f"on all {a.size} elements{shape_note}: the right numbers in another axis "
           f"order (a layout mismatch).{note}")
    return Hint("permutation", ctx.name, msg, evidence)


def detect_flip(a: np.ndarray, b: np.ndarray, ctx: PairContext,
                rtol: float, atol: float) -> Hint | None:
    """``flip`` when scratch equals the reference reversed along some axes."""
    if a.shape != b.shape or not 1 <= b.ndim <= 4:
        return None
    axes_long = [ax for ax in range(b.ndim) if b.shape[ax] >= 2]
    for k in range(1, len(axes_long) + 1):
        for axes in itertools.combinations(axes_long, k):
            if allclose(a, np.flip(b, axes), rtol, atol):
                note = ""
                if b.ndim == 4 and axes == (2, 3):
                    note = (" Both spatial axes are reversed: the kernel is flipped, i.e. a "
                            "true convolution where cross-correlation was meant (or the "
                            "reverse).")
                msg = (f"scratch equals the reference reversed along axes {list(axes)} on all "
                       f"{a.size} elements: right numbers in reversed order.{note}")
                return Hint("flip", ctx.name, msg, {"axes": list(axes)})
    return None


def detect_shift(a: np.ndarray, b: np.ndarray, ctx: PairContext,
                 rtol: float, atol: float) -> Hint | None:
    """``shift`` when scratch's slice t equals the reference's slice t -+ 1 along an axis.

    Needs at least 3 slices and most overlapping slices to differ unshifted,
    so that a few equal neighbours cannot fake it.
    """
    if a.shape != b.shape or a.ndim == 0:
        return None
    axes = [ax for ax in (ctx.time_axis, ctx.batch_axis) if ax is not None]
    axes += [ax for ax in range(a.ndim) if ax not in axes]
    for ax in axes:
        n = a.shape[ax]
        if n < 3:
            continue
        for k in (1, -1):
            a_part = np.take(a, range(max(k, 0), n + min(k, 0)), axis=ax)
            b_part = np.take(b, range(max(-k, 0), n + min(-k, 0)), axis=ax)
            if not allclose(a_part, b_part, rtol, atol):
                continue
            same = np.take(b, range(max(k, 0), n + min(k, 0)), axis=ax)
            differs = ~np.all(np.isclose(a_part, same, rtol=rtol, atol=atol),
                              axis=tuple(i for i in range(a.ndim) if i != ax))
            if differs.sum() < max(2, (n - 1) // 2):
                continue
            what = _axis_word(ax, ctx)
            rel = "t - 1" if k == 1 else "t + 1"
            msg = (f"scratch's {what} t equals the reference's {what} {rel} for every t "
                   f"where both exist ({n - 1} of {n} along axis {ax}): an off-by-one index "
                   f"(the loop reads or writes the neighbouring {what}).")
            return Hint("shift", ctx.name, msg, {"axis": ax, "offset": k,
                                                 "length": n})
    return None


def _axis_word(ax: int, ctx: PairContext) -> str:
    if ax == ctx.time_axis:
        return "time step"
    if ax == ctx.batch_axis:
        return "sample"
    return f"index along axis {ax}"

"""A constant factor between scratch and the reference (a sign flip is the factor -1).

The claim is made only when one number ``r`` explains every element:
``|a - r b| <= atol + rtol |r b|`` everywhere, the ratios of the clearly
nonzero elements agree with each other to ``RATIO_PRECISION``, and there are
at least ``MIN_ELEMENTS`` of them -- unless ``r`` is one of the few factors a
bug typically produces (batch size, 2, -1, ...) to within ``NAMED_PRECISION``,
which no unrelated number hits by chance.
"""

from __future__ import annotations

import itertools

import numpy as np

from .hint import Hint, PairContext, close_mask, fmt

MIN_ELEMENTS = 4
RATIO_PRECISION = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 1e-3}
NAMED_PRECISION = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-5}

# Why each factor usually appears, worded for "scratch = factor x reference".
_WHY = {
    "N": "scratch sums over the batch where the reference averages: a missing division "
         "by the batch size (a forgotten mean)",
    "1/N": "scratch divides by the batch size where the reference does not, or divides "
           "twice (an extra mean)",
    "M": "scratch sums where the reference averages over all {m} elements: a missing mean",
    "1/M": "scratch averages over all {m} elements where the reference does not, or "
           "averages twice (an extra mean)",
    "C": "scratch divides by the batch where the reference divides by every element "
         "(batch x {c}), or forgets a division by the {c} features",
    "1/C": "scratch divides by every element (batch x {c}) where the reference divides by "
           "the batch only -- a mean over all elements where the loss averages per sample",
    "P": "scratch sums over the {p} output positions where the reference averages",
    "1/P": "scratch averages over the {p} output positions (Ho x Wo) where a sum belongs: "
           "every position contributes to the gradient",
    "2": "the 2 from differentiating a square when the reference's loss carries a 1/2 "
         "(or scratch's does not), or a gradient added twice (backward accumulated "
         "without zeroing)",
    "1/2": "the 2 from differentiating a square is missing (a 1/2 in scratch's squared "
           "loss, d/dx x^2 = 2x), or a gradient halved once too often",
    "-1": "the sign is flipped: (target - pred) for (pred - target), a missing minus in "
          "a derivative, or a step that adds the gradient instead of subtracting it",
}


def _named_factors(ctx: PairContext) -> list[tuple[float, list[str]]]:
    """Every factor built from sign x (N or M or their inverse) x (2 or 1/2), simplest first."""
    bases: list[tuple[float, list[str]]] = [(1.0, [])]
    n, m = ctx.batch_size, ctx.n_reduced
    if n and n > 1:
        bases += [(float(n), ["N"]), (1.0 / n, ["1/N"])]
    if m and m > 1 and m != n:
        bases += [(float(m), ["M"]), (1.0 / m, ["1/M"])]
    c = ctx.n_features
    if c and c > 1 and c not in (n, m):
        bases += [(float(c), ["C"]), (1.0 / c, ["1/C"])]
    p = ctx.n_positions
    if p and p > 1 and p not in (n, m, c):
        bases += [(float(p), ["P"]), (1.0 / p, ["1/P"])]
    twos = [(1.0, []), (2.0, ["2"]), (0.5, ["1/2"])]
    signs = [(1.0, []), (-1.0, ["-1"])]
    out = []
    for (s, sn), (base, bn), (t, tn) in itertools.product(signs, bases, twos):
        out.append((s * base * t, sn + bn + tn))
    out.sort(key=lambda item: len(item[1]))
    return [item for item in out if item[1]]


def _explain(parts: list[str], ctx: PairContext) -> str:
    reasons = [_WHY[part].format(m=ctx.n_reduced, c=ctx.n_features, p=ctx.n_positions)
               for part in parts]
    return "; ".join(reasons)


def _ratio_estimate(a: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray] | None:
    """Median ratio over the elements of ``b`` within 1e-3 of its largest magnitude."""
    mag = np.abs(b)
    top = float(mag.max()) if mag.size else 0.0
    if top == 0.0:
        return None
    big = mag >= 1e-3 * top
    ratios = a[big] / b[big]
    return float(np.median(ratios)), ratios


def detect_scale(a: np.ndarray, b: np.ndarray, ctx: PairContext,
                 rtol: float, atol: float) -> Hint | None:
    """Return a ``scale`` or ``sign_flip`` hint when ``a = r * b`` for one constant ``r != 1``."""
    if a.shape != b.shape or a.size == 0:
        return None
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    est = _ratio_estimate(a64, b64)
    if est is None:
        return None
    r, ratios = est
    dtype = np.result_type(a.dtype, b.dtype)
    precision = RATIO_PRECISION.get(dtype, 1e-6)
    # A factor within the precision demanded of its constancy is no factor: it is
    # rounding (or a tiny bug the rounding detector and "unexplained" describe).
    if r == 0.0 or not np.isfinite(r) or abs(r - 1.0) <= max(10 * rtol, precision):
        return None
    if not close_mask(a64, r * b64, rtol, atol).all():
        return None
    spread = float(np.max(np.abs(ratios / r - 1.0)))
    tol = NAMED_PRECISION.get(dtype, 1e-9)
    matches = [parts for value, parts in _named_factors(ctx) if abs(r / value - 1.0) <= tol]
    n = int(ratios.size)
    if not matches and (n < MIN_ELEMENTS or spread > precision):
        return None
    evidence = {"ratio": r, "elements": n, "max_relative_spread": spread}
    agree = (f"scratch = {fmt(r)} x reference on all {a.size} elements "
             f"({n} clearly nonzero; their ratios agree to {spread:.1e})")
    if not matches:
        msg = (f"{agree}. A constant factor, but not one of the usual ones "
               "(batch size, 2, 1/2, -1): look for a constant multiplied in backward.")
        return Hint("scale", ctx.name, msg, evidence)
    # Keep every simplest reading: with N = 2 the factor 2 is also the batch size.
    simplest = [parts for parts in matches if len(parts) == len(matches[0])]
    if len([p for p in simplest[0] if p != "-1"]) > 1:
        # A product of two sizes (N x 1/2) fits numerically, but so may any size of the
        # layer the checker does not know (a feature count D = N/2): name no cause.
        evidence["factor"] = [" x ".join(parts) for parts in simplest]
        combos = " or ".join(" x ".join(parts) for parts in simplest)
        msg = (f"{agree}. A constant factor; it equals {combos} numerically, but a product "
               "of two sizes is no evidence of either (a feature count or other size of "
               f"{fmt(abs(r))} fits as well): look for what scales the gradient by "
               f"{fmt(r)}.")
        return Hint("sign_flip" if r < 0 and abs(abs(r) - 1) < tol else "scale", ctx.name,
                    msg, evidence)
    evidence["factor"] = [" x ".join(parts) for parts in simplest]
    readings = []
    for parts in simplest:
        words = " x ".join(_factor_name(p, ctx) for p in parts)
        readings.append(f"the factor is {words}; usually {_explain(parts, ctx)}")
    joined = " -- or ".join(readings)
    msg = f"{agree}. {joined[0].upper()}{joined[1:]}."
    kind = "sign_flip" if simplest[0] == ["-1"] else "scale"
    return Hint(kind, ctx.name, msg, evidence)


def _factor_name(part: str, ctx: PairContext) -> str:
    return {"N": f"the batch size N = {ctx.batch_size}",
            "1/N": f"1/N with N = {ctx.batch_size} the batch size",
            "M": f"M = {ctx.n_reduced}, the number of elements the loss averages over",
            "1/M": f"1/M with M = {ctx.n_reduced} the elements the loss averages over",
            "C": f"C = {ctx.n_features}, the prediction's last axis (classes/outputs)",
            "1/C": f"1/C with C = {ctx.n_features}, the prediction's last axis",
            "P": f"P = {ctx.n_positions}, the output positions Ho x Wo",
            "1/P": f"1/P with P = {ctx.n_positions} the output positions Ho x Wo",
            "2": "2", "1/2": "1/2", "-1": "-1 (a sign flip)"}[part]

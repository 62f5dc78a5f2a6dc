"""NaN or inf on one side: where, on which side, and from what inputs."""

from __future__ import annotations

import numpy as np

from .hint import Hint, PairContext, fmt, fmt_index, list_positions


def exp_overflow_threshold(dtype) -> float:
    """Largest x with finite exp(x): log of the dtype's largest value (709.78 for float64)."""
    return float(np.log(np.finfo(dtype).max))


def describe_nonfinite(x: np.ndarray) -> str:
    n_nan, n_inf = int(np.isnan(x).sum()), int(np.isinf(x).sum())
    parts = [f"{n_nan} NaN"] if n_nan else []
    parts += [f"{n_inf} inf"] if n_inf else []
    return " and ".join(parts)


def detect_nonfinite(a: np.ndarray, b: np.ndarray, ctx: PairContext,
                     rtol: float, atol: float) -> Hint | None:
    """``nonfinite`` when either side holds NaN or inf where the other does not."""
    bad_a = ~np.isfinite(a)
    bad_b = ~np.isfinite(b) if b.shape == a.shape else np.zeros(a.shape, bool)
    if not bad_a.any() and not bad_b.any():
        return None
    if b.shape == a.shape and np.array_equal(bad_a, bad_b) and \
            np.array_equal(np.isnan(a), np.isnan(b)):
        side, bad, arr = "both sides", bad_a, a
    elif bad_a.any() and not (bad_b & ~bad_a).any():
        side, bad, arr = "scratch only", bad_a, a
    elif not bad_a.any():
        side, bad, arr = "the reference only", bad_b, b
    else:
        side, bad, arr = "both sides, at different positions", bad_a | bad_b, a
    positions = list_positions(bad)
    shown = ", ".join(fmt_index(p) for p in positions)
    at = f", first at {shown}" if a.ndim else ""
    msg = f"{describe_nonfinite(arr)} on {side} ({int(bad.sum())} of {a.size} elements{at})."
    evidence = {"side": side, "count": int(bad.sum()),
                "positions": [list(p) for p in positions]}
    msg += _input_story(ctx.layer_input, positions if ctx.layer_input is not None
                        and ctx.layer_input.shape == a.shape else None, evidence)
    return Hint("nonfinite", ctx.name, msg, evidence)


def _input_story(x, positions, evidence: dict) -> str:
    """Where the layer's input lies, and whether it overflows exp(); fills ``evidence``."""
    if x is None or not x.size:
        return ""
    x64 = x.astype(np.float64)
    finite_x = x64[np.isfinite(x64)]
    lo, hi = (float(finite_x.min()), float(finite_x.max())) if finite_x.size else \
        (float("nan"), float("nan"))
    evidence["input_range"] = [lo, hi]
    text = f" The layer's input ranges over [{fmt(lo)}, {fmt(hi)}]"
    if positions is not None:
        vals = [float(x64[p]) for p in positions]
        evidence["inputs_there"] = vals
        text += "; at those positions it is " + ", ".join(fmt(v) for v in vals)
    text += "."
    limit = exp_overflow_threshold(x.dtype if np.issubdtype(x.dtype, np.floating)
                                   else np.float64)
    if finite_x.size and max(abs(lo), abs(hi)) > limit:
        text += (f" Inputs beyond +-{limit:.2f} overflow exp() in {x.dtype}: a formula "
                 "like 1 / (1 + exp(-x)), log(1 + exp(x)) or exp(x) / sum(exp(x)) needs the "
                 "stable form (shift by the max, or split by sign).")
    return text


def nonfinite_error_hint(name: str, message: str, layer_input) -> Hint | None:
    """A ``nonfinite`` hint for a check that stopped because scratch raised on NaN/inf.

    ``message`` is the error entry's text; only non-finite errors are diagnosed
    here (``NonFiniteError``, or a message about overflow or NaN).
    """
    lowered = message.lower()
    if not any(word in lowered for word in ("nonfinite", "non-finite", "overflow", "nan")):
        return None
    evidence = {"side": "scratch only (raised)", "error": message}
    msg = (f"scratch stopped with a non-finite value here ({message.strip()}); the reference "
           "had not failed before this point.")
    msg += _input_story(layer_input, None, evidence)
    return Hint("nonfinite", name, msg, evidence)

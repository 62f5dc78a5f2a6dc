"""Differences at the level of float32 rounding: precision, not a bug."""

from __future__ import annotations

import numpy as np

from .hint import Hint, PairContext

EPS32 = float(np.finfo(np.float32).eps)
# A float32 computation of a few hundred operations can drift this many ulps
# of the array's own scale; anything larger is not rounding.
ROUNDING_ULPS = 1024


def _normwise_error(a: np.ndarray, b: np.ndarray) -> float:
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    scale = max(float(np.max(np.abs(b64))), float(np.max(np.abs(a64))), np.finfo(np.float32).tiny)
    return float(np.max(np.abs(a64 - b64))) / scale


def detect_rounding(a: np.ndarray, b: np.ndarray, ctx: PairContext,
                    rtol: float, atol: float) -> Hint | None:
    """``float32_rounding`` (a float32 pair within ``ROUNDING_ULPS`` ulps of its scale) or
    ``float32_cast`` (a float64 scratch array whose every value is a float32 number)."""
    if a.shape != b.shape or a.size == 0:
        return None
    err = _normwise_error(a, b)
    ulps = err / EPS32
    if ulps > ROUNDING_ULPS:
        return None
    evidence = {"normwise_error": err, "float32_ulps": ulps}
    if np.float32 in (a.dtype.type, b.dtype.type):
        msg = (f"the largest difference is {err:.2g} of the array's scale, about {ulps:.0f} "
               "float32 ulps: the size float32 rounding reaches, not a wrong formula. Re-run "
               "in float64 to confirm (check_model(..., rerun_float64=True) or "
               "compare.diagnose.rerun_in_float64); if it then matches, loosen the tolerance "
               "for float32 instead of hunting a bug.")
        return Hint("float32_rounding", ctx.name, msg, evidence)
    if a.dtype == np.float64 and np.array_equal(a.astype(np.float32).astype(np.float64), a) \
            and not np.array_equal(b.astype(np.float32).astype(np.float64), b):
        msg = (f"scratch's float64 values are all exact float32 numbers and differ from the "
               f"reference by {err:.2g} of the array's scale (about {ulps:.0f} float32 ulps): "
               "somewhere scratch computes in float32 (a float32 constant or array mixed in) "
               "and casts back.")
        return Hint("float32_cast", ctx.name, msg, evidence)
    return None

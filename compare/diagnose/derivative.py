"""The local derivative of an element-wise layer, recovered and named.

For an element-wise layer ``dL/dx = dL/dy * f'(.)``, so dividing scratch's
``dL/dx`` by the ``dL/dy`` it was handed gives the local derivative it used.
That is compared with the usual wrong forms: none at all (the gradient passed
straight through), the right formula evaluated at the input instead of the
output (or the reverse), a factor dropped.
"""

from __future__ import annotations

import numpy as np

from .activations_forms import candidate_forms
from .hint import Hint, PairContext

MIN_ELEMENTS = 2


def detect_local_derivative(a: np.ndarray, b: np.ndarray, ctx: PairContext,
                            rtol: float, atol: float) -> Hint | None:
    """``derivative`` when scratch's dL/dx / dL/dy equals one named wrong form everywhere."""
    g = ctx.grad_out
    if ctx.role != "input_grad" or g is None or g.shape != a.shape or a.shape != b.shape:
        return None
    g64 = g.astype(np.float64)
    top = float(np.max(np.abs(g64))) if g64.size else 0.0
    if top == 0.0:
        return None
    use = np.abs(g64) >= 1e-3 * top  # dividing by a tiny dL/dy only amplifies rounding
    if int(use.sum()) < MIN_ELEMENTS:
        return None
    local_a = a.astype(np.float64)[use] / g64[use]
    local_b = b.astype(np.float64)[use] / g64[use]
    # Relative to the derivative's scale: the division leaves no absolute tolerance.
    scale = max(float(np.max(np.abs(local_b))), 1e-300)
    tol = max(rtol, 1e-9) * 10
    if np.allclose(a.astype(np.float64)[use], local_b, rtol=tol, atol=tol * scale):
        msg = (f"scratch's dL/dx equals the reference's local derivative dL/dx / dL/dy itself "
               f"at all {int(use.sum())} positions where dL/dy is not tiny: the upstream "
               "gradient dL/dy is never multiplied in (the layer returns f'(x) alone).")
        return Hint("derivative", ctx.name, msg, {"form": "upstream ignored",
                                                  "elements": int(use.sum())})
    for form in candidate_forms(ctx):
        values = form.values[use]
        if np.allclose(values, local_b, rtol=tol, atol=tol * scale):
            continue  # that form is the right one here; it cannot explain a difference
        if np.allclose(local_a, values, rtol=tol, atol=tol * scale):
            msg = (f"dividing scratch's dL/dx by the dL/dy it was handed gives {form.name} at "
                   f"all {int(use.sum())} positions where dL/dy is not tiny: {form.why}.")
            return Hint("derivative", ctx.name, msg, {"form": form.name,
                                                      "elements": int(use.sum())})
    return None

"""Notes a check adds when a backward accumulates, or leaves a NaN-filled buffer unwritten."""

from __future__ import annotations

import numpy as np

from .diff import NAN_ONE, compare_arrays
from .report import INPUT_GRAD, PARAM_GRAD


def second_run_notes(entries, first: dict, tol) -> list[str]:
    """Say so when a failing gradient had matched after the first backward call."""
    notes = []
    for e in entries:
        if e.ok or e.kind not in (PARAM_GRAD, INPUT_GRAD):
            continue
        key = e.param if e.kind == PARAM_GRAD else f"<input {e.layer}>"
        if key in first and compare_arrays(first[key], e.expected, rtol=tol.rtol,
                                           atol=tol.atol).ok:
            notes.append(f"{e.label} matched after the first backward call but not after the "
                         "second (same upstream): backward accumulates into its gradients or "
                         "changes state in place; it should overwrite")
    return notes


def poison_notes(entries) -> list[str]:
    """Explain a NaN left in a gradient buffer that was NaN-filled before backward."""
    return [f"{e.name}: its buffer was filled with NaN before backward and NaN is left: "
            "backward adds into the gradient (+=) or never writes it; it should overwrite"
            for e in entries
            if e.kind == PARAM_GRAD and e.status == NAN_ONE
            and bool(np.isnan(e.actual).any()) and not bool(np.isnan(e.expected).any())]

"""Make report dicts strict JSON: no NaN or infinity, no NumPy scalars, no tuples."""

from __future__ import annotations

import math


def jsonable(obj):
    """A copy of ``obj`` that ``json.dumps(..., allow_nan=False)`` accepts.

    Non-finite floats become the strings ``"nan"``, ``"inf"`` and ``"-inf"``
    (JSON has no literal for them, and null would hide which one it was);
    NumPy scalars become Python numbers; tuples become lists.
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, str | bytes):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return "nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    return obj

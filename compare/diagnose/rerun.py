"""Re-run a float32 check in float64, to tell rounding from a bug.

A difference that is float32 rounding disappears in float64 (to ~1e-16); a
bug does not. :func:`as_float64` makes a float64 copy of a model (the
original is untouched) and :func:`confirm_rounding` reads the two reports.
"""

from __future__ import annotations

import copy

import numpy as np

_SKIP_MODULES = ("builtins", "numpy", "torch")


def as_float64(model):
    """A deep copy of ``model`` with every float32 array, and ``dtype`` attribute, in float64.

    Walks the copy's attributes, dicts, lists and tuples (its layers included);
    objects from builtins, numpy or torch are left as they are.
    """
    clone = copy.deepcopy(model)
    _convert(clone, set())
    return clone


def _to64(value):
    if isinstance(value, np.ndarray) and value.dtype == np.float32:
        return value.astype(np.float64)
    if isinstance(value, np.dtype | type) and value in (np.float32, np.dtype(np.float32)):
        return np.dtype(np.float64)
    return None


def _convert(obj, seen: set) -> None:
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, list):
        items = enumerate(obj)
    elif hasattr(obj, "__dict__") and type(obj).__module__.split(".")[0] not in _SKIP_MODULES:
        items = vars(obj).items()
    else:
        return
    for key, value in list(items):
        new = _to64(value)
        if new is not None:
            if isinstance(obj, dict | list):
                obj[key] = new
            else:
                obj.__dict__[key] = new
        elif isinstance(value, tuple):
            converted = tuple(_to64(v) if _to64(v) is not None else v for v in value)
            if converted != value and not isinstance(obj, dict | list):
                obj.__dict__[key] = converted
            for v in value:
                _convert(v, seen)
        else:
            _convert(value, seen)


def float64_inputs(*arrays):
    """Each float32 array as float64; anything else (labels, None) unchanged."""
    return tuple(a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype == np.float32
                 else a for a in arrays)


def rerun_in_float64(check, model, *args, **kwargs):
    """Run ``check`` again on a float64 copy of ``model`` and float64 copies of the arrays.

    Parameters
    ----------
    check : callable
        ``compare.check_model`` or ``compare.check_layer`` (anything taking the
        model first and returning a Report).
    model : the float32 model or layer (not modified)
    *args, **kwargs
        The check's other arguments as given for float32; float32 arrays among
        them become float64, everything else is passed unchanged.

    Returns
    -------
    Report
        The float64 report; :func:`confirm_rounding` reads it against the
        float32 one.
    """
    args64 = float64_inputs(*args)
    kwargs64 = dict(zip(kwargs, float64_inputs(*kwargs.values()), strict=True))
    return check(as_float64(model), *args64, **kwargs64)


def attach_float64_rerun(report, check, model, *args, **kwargs) -> None:
    """Re-run a failing float32 ``report`` in float64 and let its hints say what that showed.

    Sets ``report.float64_report``; :func:`compare.diagnose.diagnose` then gives
    :func:`confirm_rounding`'s verdict for the entries of this run (also once
    the report is joined into a bigger one). Arguments as for
    :func:`rerun_in_float64`.
    """
    report.float64_report = rerun_in_float64(check, model, *args, **kwargs)

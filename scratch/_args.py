"""Validation of constructor and function arguments (sizes, flags, rates, dtypes).

Each check returns the value in its plain Python form, or raises an error of
:mod:`scratch.errors` naming the owner and the argument; nothing is converted
in a way that could change what the caller meant (``int(2.7)``, ``bool("no")``).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._checks import check_float_dtype
from .errors import ArgumentError, ArgumentTypeError, DTypeError


def check_count(owner: str, what: str, value, minimum: int = 1) -> int:
    """Return ``value`` as an int if it is an integer >= ``minimum``, else raise.

    Bools, floats (even 2.0) and strings are refused rather than converted: ``int(2.7)``
    would silently build a smaller layer. Raises ArgumentTypeError or ArgumentError.
    """
    if not isinstance(value, numbers.Integral) or isinstance(value, bool | np.bool_):
        raise ArgumentTypeError(f"{owner}: {what} must be an int, got {value!r} "
                                f"({type(value).__name__})")
    if value < minimum:
        raise ArgumentError(f"{owner}: {what} must be >= {minimum}, got {value!r}")
    return int(value)


def check_flag(owner: str, what: str, value) -> bool:
    """Return ``value`` as a bool if it is one (Python or NumPy), else raise ArgumentTypeError.

    ``bias="no"`` is truthy: converting it with ``bool`` would quietly mean the opposite.
    """
    if not isinstance(value, bool | np.bool_):
        raise ArgumentTypeError(f"{owner}: {what} must be True or False, got {value!r}")
    return bool(value)


def check_positive_number(owner: str, what: str, value, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float if it is a finite real > 0 (>= 0 with ``allow_zero``).

    Raises ArgumentTypeError for a non-number (or a bool), ArgumentError for NaN, inf
    or a value out of range.
    """
    if not isinstance(value, numbers.Real) or isinstance(value, bool | np.bool_):
        raise ArgumentTypeError(f"{owner}: {what} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ArgumentError(f"{owner}: {what} must be finite and {bound}, got {value!r}")
    return value


def check_dtype_arg(owner: str, what: str, dtype) -> np.dtype:
    """``check_float_dtype`` for a dtype argument that may not be a dtype at all.

    ``np.dtype("abc")`` and ``np.dtype(3)`` raise NumPy's TypeError naming neither
    the owner nor the argument; here that is a DTypeError that does.
    """
    try:
        np.dtype(dtype)
    except TypeError as err:
        raise DTypeError(f"{owner}: {what} must be float32 or float64, got {dtype!r}") from err
    return check_float_dtype(owner, what, dtype)

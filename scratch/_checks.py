"""Input validation shared by layers and losses.

All checks raise the exceptions of :mod:`scratch.errors` with the owner's name
in the message; none of them converts, broadcasts or clips anything.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import DTypeError, EmptyBatchError, LabelError, NonFiniteError, ShapeError

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_F32, _F64 = FLOAT_DTYPES


def check_float_dtype(owner: str, what: str, dtype) -> np.dtype:
    """Return ``np.dtype(dtype)`` if it is float32 or float64, else raise DTypeError."""
    if dtype is _F64 or dtype is _F32:  # an array's own dtype, the common case: no lookup
        return dtype
    dt = np.dtype(dtype)
    if dt not in FLOAT_DTYPES:
        raise DTypeError(f"{owner}: {what} must be float32 or float64, got {dt}")
    return dt


def check_array(owner: str, what: str, a, *, dtype=None, ndim=None, finite=True) -> np.ndarray:
    """Validate one floating array without copying it.

    Parameters
    ----------
    owner : str
        Name of the layer or loss, used in messages.
    what : str
        What the array is ("input", "grad_out", "pred", ...).
    a : np.ndarray
        The array to check. Lists and scalars are rejected: converting them
        would pick a dtype silently.
    dtype : np.dtype, optional
        Required dtype; None accepts float32 or float64.
    ndim : int, optional
        Required number of dimensions.
    finite : bool
        Reject NaN and +-inf.
    """
    if type(a) is not np.ndarray:  # one identity test on the hot path; subclasses below
        check_array_type(owner, what, a)
    if dtype is None:
        check_float_dtype(owner, what, a.dtype)
    elif a.dtype != dtype:
        raise DTypeError(
            f"{owner}: {what} must have dtype {np.dtype(dtype)}, got {a.dtype} "
            "(convert it explicitly; twinnet never casts silently)"
        )
    if ndim is not None and a.ndim != ndim:
        raise ShapeError(f"{owner}: {what} must be {ndim}-D, got shape {a.shape}")
    if a.ndim >= 1 and a.shape[0] == 0:
        raise EmptyBatchError(f"{owner}: {what} is an empty batch (shape {a.shape})")
    if finite:
        check_finite(owner, what, a)
    return a


# Up to this many elements, the finite check reads the values as Python floats.
SMALL_FINITE_CHECK = 8


def check_finite(owner: str, what: str, a: np.ndarray) -> None:
    """Raise NonFiniteError naming the first NaN/inf position of ``a``."""
    # Counting finite values costs half of isfinite().all() on small arrays (no
    # reduction machinery), about the same on large ones, and beats a guarded sum:
    # the np.errstate a sum needs to silence overflow costs more than this check.
    # A few values are cheaper still as Python floats (0.06-0.3 us against 0.7 us):
    # on the lecture's net most arrays a step checks hold 1 to 3 values.
    size = a.size
    if size == 1:
        if math.isfinite(a.item()):
            return
    elif size <= SMALL_FINITE_CHECK:
        if all(map(math.isfinite, a.ravel().tolist())):
            return
    elif np.count_nonzero(np.isfinite(a)) == size:
        return
    bad = ~np.isfinite(a)
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    raise NonFiniteError(
        f"{owner}: {what} holds {int(bad.sum())} non-finite value(s); "
        f"first at index {idx}: {a[idx]!r}"
    )


# Up to this many elements, a range check reads the values as Python floats: one
# conversion costs less than the two reductions (min, max) NumPy needs, each about 1 us.
SMALL_RANGE_CHECK = 16


def check_unit_interval(owner: str, what: str, a: np.ndarray) -> None:
    """Raise NonFiniteError for NaN/inf in ``a``, else LabelError unless all of it lies in [0, 1].

    a : any shape. Both errors name ``owner`` and ``what``; NaN fails every
    comparison, so one pass over the values serves both checks.
    """
    size = a.size
    if size == 1:
        if 0.0 <= a.item() <= 1.0:
            return
    elif size <= SMALL_RANGE_CHECK:
        if all(0.0 <= v <= 1.0 for v in a.ravel().tolist()):
            return
    elif a.min() >= 0 and a.max() <= 1:
        return
    check_finite(owner, what, a)
    raise LabelError(f"{owner}: {what} must lie in [0, 1], "
                     f"got values in [{a.min()!r}, {a.max()!r}]")


def check_shape(owner: str, what: str, a: np.ndarray, expected: tuple) -> None:
    """Raise ShapeError unless ``a.shape == expected`` (no broadcasting)."""
    if a.shape != tuple(expected):
        raise ShapeError(f"{owner}: {what} must have shape {tuple(expected)}, got {a.shape}")


def check_features(owner: str, what: str, a: np.ndarray, n: int) -> None:
    """Raise ShapeError unless ``a`` is 2-D ``(batch, n)``."""
    if a.ndim != 2 or a.shape[1] != n:
        raise ShapeError(f"{owner}: expected {what} of shape (batch, {n}), got {a.shape}")


# ndarray subclasses whose arithmetic differs from ndarray's: a matrix's ``*`` is a matrix
# product and its rows stay 2-D; a masked array's mask is ignored by BLAS (``@``) and by
# torch, so its masked values would be used. Anything else (np.memmap) is a plain array.
MISLEADING_SUBCLASSES = (np.matrix, np.ma.MaskedArray)


def check_array_type(owner: str, what: str, a) -> None:
    """Raise DTypeError unless ``a`` is an ndarray (or a harmless subclass such as np.memmap).

    Lists and scalars are refused (converting them would pick a dtype silently), and
    so are ``np.matrix`` and masked arrays, whose arithmetic is not ndarray's.
    """
    if not isinstance(a, np.ndarray):
        raise DTypeError(f"{owner}: {what} must be a numpy array, got {type(a).__name__}")
    if isinstance(a, MISLEADING_SUBCLASSES):
        kind = "np.matrix" if isinstance(a, np.matrix) else "a masked array (np.ma)"
        raise DTypeError(f"{owner}: {what} must be a plain numpy array (np.ndarray), got {kind} "
                         f"{type(a).__name__} of shape {a.shape}; its arithmetic differs from "
                         "ndarray's (pass np.asarray(x), after filling any masked values)")

"""One array comparison used everywhere: shape, then dtype, then values.

``compare_arrays(actual, expected, rtol=..., atol=...)`` never raises on bad
data; whatever is wrong becomes the ``status`` of the returned
:class:`ArrayDiff`:

========== ============================================================
status     meaning
========== ============================================================
ok         same shape and dtype, every element within tolerance
mismatch   some finite element is outside ``atol + rtol * |expected|``
shape      the shapes differ (nothing else is compared)
dtype      the dtypes differ (nothing is cast to make them agree)
nan-one    NaN on one side only
nan-both   NaN on both sides: reported, never passed silently
inf        an infinity differs in sign or position from the other side
missing    one side is None (e.g. a layer's backward returned nothing)
error      the code under test raised; ``message`` holds the exception
========== ============================================================

Statistics (max abs/rel difference, the worst element) are computed only
when first read, so a passing comparison costs a handful of ufunc calls.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from .tolerances import resolve_pair

OK, MISMATCH, SHAPE, DTYPE = "ok", "mismatch", "shape", "dtype"
NAN_ONE, NAN_BOTH, INF, MISSING, ERROR = "nan-one", "nan-both", "inf", "missing", "error"
STATUSES = (OK, MISMATCH, SHAPE, DTYPE, NAN_ONE, NAN_BOTH, INF, MISSING, ERROR)


class ArrayDiff:
    """The verdict on one pair of arrays, with lazily computed statistics.

    Attributes
    ----------
    status : str
        One of :data:`STATUSES`.
    actual, expected : np.ndarray | None
        The compared arrays (references, not copies). ``expected`` is the
        reference side, whose magnitude scales ``rtol``.
    rtol, atol : float
    message : str
        Human-readable reason for a non-value status ("" when values were compared).
    """

    def __init__(self, status: str, actual, expected, rtol: float, atol: float,
                 message: str = "") -> None:
        self.status, self.actual, self.expected = status, actual, expected
        self.rtol, self.atol, self.message = rtol, atol, message

    @property
    def ok(self) -> bool:
        """True when the status is ``"ok"``: same shape and dtype, all within tolerance."""
        return self.status == OK

    @property
    def comparable(self) -> bool:
        """Whether element statistics exist (same shape and dtype on both sides)."""
        return self.status not in (SHAPE, DTYPE, MISSING, ERROR)

    @property
    def shape(self) -> tuple | None:
        """Shape of ``expected`` (else of ``actual``); None when neither array exists."""
        arr = self.expected if self.expected is not None else self.actual
        return None if arr is None else tuple(arr.shape)

    # -- statistics over the elements that are finite on both sides --------------
    @cached_property
    def _stats(self) -> dict:
        empty = {"max_abs": 0.0, "max_rel": 0.0, "ratio": 0.0, "worst": None, "n_bad": 0}
        if not self.comparable or self.expected.size == 0:
            return empty
        a, e = self.actual, self.expected
        if not np.issubdtype(e.dtype, np.inexact):
            a, e = a.astype(np.float64), e.astype(np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            both_finite = np.isfinite(a) & np.isfinite(e)
            diff = np.where(both_finite, np.abs(a - e), 0.0)
            mag = np.abs(e)
            allowed = self.atol + self.rtol * mag
            rel = np.divide(diff, mag, out=np.where(diff > 0, np.inf, 0.0), where=mag > 0)
            ratio = np.divide(diff, allowed, out=np.where(diff > 0, np.inf, 0.0),
                              where=allowed > 0)
        nonfinite_bad = ~both_finite & ~((a == e) | (np.isnan(a) & np.isnan(e)))
        both_nan = np.isnan(a) & np.isnan(e)
        n_bad = int((ratio > 1).sum() + nonfinite_bad.sum() + both_nan.sum())
        # The worst element: a non-finite disagreement first, else the largest diff/allowed.
        bad_nonfinite = nonfinite_bad | both_nan
        flat = int(np.argmax(bad_nonfinite)) if bad_nonfinite.any() else int(np.argmax(ratio))
        worst = tuple(int(i) for i in np.unravel_index(flat, e.shape))
        return {"max_abs": float(diff.max()), "max_rel": float(rel.max()),
                "ratio": float(ratio.max()), "worst": worst, "n_bad": n_bad,
                "allowed_at_worst": float(allowed[worst])}

    @property
    def max_abs(self) -> float:
        """Largest |actual - expected| over elements finite on both sides."""
        return self._stats["max_abs"]

    @property
    def max_rel(self) -> float:
        """Largest |actual - expected| / |expected| (inf where expected is 0 and they differ)."""
        return self._stats["max_rel"]

    @property
    def ratio(self) -> float:
        """Largest |actual - expected| / allowed: <= 1 passes. The figure to watch."""
        return self._stats["ratio"]

    @property
    def worst_index(self) -> tuple | None:
        """Index of the worst element (a non-finite disagreement, else largest ratio)."""
        return self._stats["worst"]

    @property
    def allowed(self) -> float | None:
        """``atol + rtol * |expected|`` at the worst element."""
        return self._stats.get("allowed_at_worst")

    @property
    def n_mismatched(self) -> int:
        """How many elements fail (out of tolerance, or non-finite on either side)."""
        return self._stats["n_bad"]

    @property
    def size(self) -> int:
        """Element count of ``expected`` (else of ``actual``); 0 when neither exists."""
        arr = self.expected if self.expected is not None else self.actual
        return 0 if arr is None else int(arr.size)

    def values_at_worst(self) -> tuple[float, float] | None:
        """(actual, expected) at :attr:`worst_index`, or None when not comparable."""
        idx = self.worst_index
        if idx is None:
            return None
        return float(self.actual[idx]), float(self.expected[idx])

    def describe(self, actual_name: str = "actual", expected_name: str = "expected") -> str:
        """One line saying what is wrong (or how close it is)."""
        if not self.comparable:
            return self.message
        if self.size == 0:
            return "empty arrays"
        vals = self.values_at_worst()
        where = f"at {self.worst_index}: {actual_name} {vals[0]:.9g} vs {expected_name} " \
                f"{vals[1]:.9g}"
        if self.status == OK:
            return f"max |diff| {self.max_abs:.3g} <= allowed; worst {where}"
        head = {NAN_ONE: "NaN on one side", NAN_BOTH: "NaN on both sides (never passes)",
                INF: "infinities differ", MISMATCH: "out of tolerance"}[self.status]
        gap = abs(vals[0] - vals[1])
        amount = f" (|diff| {gap:.3g}, allowed {self.allowed:.3g})" if np.isfinite(gap) else ""
        return (f"{head}: {self.n_mismatched} of {self.size} element(s) fail; worst {where}"
                f"{amount} {self.message}").rstrip()

    def to_dict(self) -> dict:
        """The verdict and its statistics as JSON-ready plain values (no arrays).

        Returns
        -------
        dict
            Keys ``status``, ``shape``, ``rtol``, ``atol``, ``max_abs_diff``,
            ``max_rel_diff``, ``ratio_to_allowed``, ``allowed_at_worst``,
            ``worst_index``, ``n_mismatched``, ``actual_at_worst``,
            ``expected_at_worst``, ``message``.
        """
        worst = self.values_at_worst()
        return {
            "status": self.status, "shape": self.shape, "rtol": self.rtol, "atol": self.atol,
            "max_abs_diff": self.max_abs, "max_rel_diff": self.max_rel,
            "ratio_to_allowed": self.ratio, "allowed_at_worst": self.allowed,
            "worst_index": self.worst_index, "n_mismatched": self.n_mismatched,
            "actual_at_worst": None if worst is None else worst[0],
            "expected_at_worst": None if worst is None else worst[1],
            "message": self.message,
        }

    def __repr__(self) -> str:
        return f"ArrayDiff({self.status!r}, shape={self.shape}, ratio={self.ratio:.3g})"


def as_array(value, what: str = "value") -> np.ndarray | None:
    """A NumPy view of an ndarray, NumPy/Python scalar or torch tensor; None stays None.

    Lists are refused: converting them would choose a dtype silently.
    """
    if value is None or isinstance(value, np.ndarray):
        return value
    if isinstance(value, np.generic | float | int | bool):
        return np.asarray(value)
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        return value.detach().cpu().numpy()
    raise TypeError(f"compare_arrays: {what} must be a numpy array, a number or a torch "
                    f"tensor, got {type(value).__name__}")


def compare_arrays(actual, expected, *, rtol: float, atol: float,
                   check_dtype: bool = True) -> ArrayDiff:
    """Compare ``actual`` with the reference ``expected``, torch.testing style.

    Parameters
    ----------
    actual, expected : np.ndarray, scalar, torch.Tensor or None
        Any shape; they must agree in shape (no broadcasting) and, if
        ``check_dtype``, in dtype.
    rtol, atol : float
        Both required (see :mod:`compare.tolerances` for the table by dtype).
    check_dtype : bool
        False lets float32 be judged against a float64 reference; values are
        then compared in the wider dtype.

    Returns
    -------
    ArrayDiff
        Its ``status`` says what, if anything, is wrong; nothing is raised
        for bad data. Only a missing rtol/atol raises ValueError.
    """
    tol = resolve_pair(rtol, atol)
    if tol is None:
        raise ValueError("compare_arrays: rtol and atol are required (see compare.tolerances)")
    return compare_many([(actual, expected, tol)], check_dtype=check_dtype)[0]


def compare_many(pairs, *, check_dtype: bool = True) -> list[ArrayDiff]:
    """:func:`compare_arrays` over many ``(actual, expected, Tolerance)`` triples at once.

    The value test for all same-shape pairs runs as one set of vectorised
    operations over their concatenation, so judging a whole model costs about
    what judging one array does; only failing pairs are then examined alone.
    """
    results: list[ArrayDiff | None] = [None] * len(pairs)
    todo = []  # (position, a, e, tol) whose values must be compared
    for pos, (actual, expected, tol) in enumerate(pairs):
        a, e = as_array(actual, "actual"), as_array(expected, "expected")
        if a is None or e is None:
            side = "actual" if a is None else "expected"
            results[pos] = ArrayDiff(MISSING, a, e, tol.rtol, tol.atol, f"no {side} value (None)")
        elif a.shape != e.shape:
            results[pos] = ArrayDiff(SHAPE, a, e, tol.rtol, tol.atol,
                                     f"shape differs: actual {a.shape} vs expected {e.shape}")
        elif check_dtype and a.dtype != e.dtype:
            results[pos] = ArrayDiff(DTYPE, a, e, tol.rtol, tol.atol,
                                     f"dtype differs: actual {a.dtype} vs expected {e.dtype}")
        elif a.size == 0:
            results[pos] = ArrayDiff(OK, a, e, tol.rtol, tol.atol)
        else:
            todo.append((pos, a, e, tol))
    if todo:
        with np.errstate(invalid="ignore", over="ignore"):
            passed = _all_close(todo)
            for (pos, a, e, tol), ok in zip(todo, passed, strict=True):
                results[pos] = (ArrayDiff(OK, a, e, tol.rtol, tol.atol) if ok
                                else _classify(a, e, tol.rtol, tol.atol))
    return results


#: Pairs at most this big are judged together on one concatenation (saves numpy
#: calls); bigger ones alone, so no large array is ever copied just to be judged.
BATCH_ELEMENTS = 4096


def _all_close(todo) -> list[bool]:
    """Per pair: every element within ``atol + rtol * |e|``, and no NaN or inf anywhere.

    First a cheap sufficient test: ``max |a - e| <= atol`` (a NaN or inf
    anywhere makes the max NaN or inf, so it fails). All small pairs take it
    together, on one concatenation. Only pairs that fail it get the full
    elementwise test, where an inf in ``e`` (an infinite allowance) also
    sends them on to :func:`_classify` via the finite-sum check.
    """
    maxima = [0.0] * len(todo)
    small, starts, total = [], [], 0
    for k, (_, a, e, _) in enumerate(todo):
        if a.size <= BATCH_ELEMENTS:
            small.append(k)
            starts.append(total)
            total += a.size
        else:
            diff = np.subtract(a, e)
            maxima[k] = np.abs(diff, out=diff).max()
    if small:
        diff = np.subtract(np.concatenate([todo[k][1].ravel() for k in small]),
                           np.concatenate([todo[k][2].ravel() for k in small]))
        np.abs(diff, out=diff)
        for k, top in zip(small, np.maximum.reduceat(diff, starts).tolist(), strict=True):
            maxima[k] = top
    return [top <= item[3].atol or _elementwise_close(*item[1:])
            for top, item in zip(maxima, todo, strict=True)]


def _elementwise_close(a, e, tol) -> bool:
    return bool(np.less_equal(np.abs(a - e), tol.atol + tol.rtol * np.abs(e)).all()
                and np.isfinite(np.add.reduce(e, axis=None)))


def _classify(a: np.ndarray, e: np.ndarray, rtol: float, atol: float) -> ArrayDiff:
    """The slow path: name the kind of failure (or pass equal infinities)."""
    if np.issubdtype(a.dtype, np.inexact) or np.issubdtype(e.dtype, np.inexact):
        nan_a, nan_e = np.isnan(a), np.isnan(e)
        one = nan_a ^ nan_e
        if one.any():
            return ArrayDiff(NAN_ONE, a, e, rtol, atol,
                             f"(actual has {int(nan_a.sum())} NaN, expected "
                             f"{int(nan_e.sum())})")
        if nan_a.any():
            return ArrayDiff(NAN_BOTH, a, e, rtol, atol)
        inf_a, inf_e = np.isinf(a), np.isinf(e)
        if ((inf_a | inf_e) & (a != e)).any():
            return ArrayDiff(INF, a, e, rtol, atol)
    diff = ArrayDiff(MISMATCH, a, e, rtol, atol)
    if diff.ratio <= 1:  # only equal infinities stood in the fast path's way
        diff.status = OK
    return diff


def error_diff(err: BaseException, during: str, expected=None) -> ArrayDiff:
    """An ERROR verdict for code under test that raised, e.g. during "backward"."""
    return ArrayDiff(ERROR, None, as_array(expected), float("nan"), float("nan"),
                     f"{during} raised {type(err).__name__}: {err}")

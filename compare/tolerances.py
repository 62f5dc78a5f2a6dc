"""How close is close enough: check_model's scale-aware policy, and the fixed table.

check_model's default is :data:`POLICY` (a :class:`ScaledTolerance` per dtype
and group): each compared array gets its own atol, the larger of a fraction of
its own largest value and a multiple of its measured rounding envelope
(:mod:`compare.envelope`), so small gradients are judged at their own scale and
honest rounding of large or cancelling sums never fails. The measurements
behind it, and how it relates to torch.testing and torch.autograd.gradcheck,
are in docs/tolerances.md. The fixed table below is what an explicit
``rtol=/atol=`` pair replaces, and what probes, check_layer and gradcheck use.

An element passes when ``|actual - expected| <= atol + rtol * |expected|``
(torch.testing's rule; ``expected`` is the reference side: torch, or finite
differences). ``rtol`` and ``atol`` always travel together.

Why these numbers
-----------------
Scratch and torch evaluate the same formulas in the same dtype, but not in the
same order (BLAS/oneDNN blocking, fused kernels, ``log1p`` vs ``log``), so
they legitimately differ by a few units of rounding per operation.

* **float64 forward and gradients: rtol = atol = 1e-7** (torch.testing's
  float64 default). Machine epsilon is 2.2e-16, so this leaves ~9 orders of
  magnitude of headroom for honest rounding, while any real bug (a missing
  factor, a sign, a transpose) changes values by far more than 1e-7 at the
  scale of the array.
* **float32 forward: rtol = 1.3e-6, atol = 1e-5** (torch.testing's float32
  default; epsilon 1.2e-7, so ~10 ulps of relative slack).
* **float32 gradients: rtol = 4e-6, atol = 4e-5** (about 3x torch.testing's
  float32 default). Gradients are longer chains than outputs, and two things
  amplify honest rounding there: a loss derivative such as BCE's 1/(1 - p)
  multiplies a 2-ulp difference between two float32 sigmoids by up to ~20,
  and a weight gradient x.T @ g can cancel to a small value from terms whose
  absolute sum is ~100 times larger, leaving summation-order differences of
  a few 1e-5. Measured with ``twinnet false-alarms`` (every probe on) over
  30,000 correct float32 cases (seeds 0-29,999): with torch.testing's pair
  (1.3e-6, 1e-5) two cases exceeded it (1.15x: BCE at p = 0.944, target 0;
  1.03x: a Linear dW element of 0.15 cancelled from terms summing to 44.5 in
  absolute value), both confirmed as float32 rounding by a float64 re-run.
  The 99.9th percentile was 0.41 of that pair. The row here leaves about 3x
  headroom over the worst case seen; every planted bug in the mutation
  catalogue still fails in float32 by orders of magnitude more.
* float64 over the same 2,000 cases: the worst forward error used 7.4e-9 of
  the allowance, the worst gradient 4.7e-8 (|diff| <= 1.4e-14 there).
* **finite differences (gradcheck):** a central difference with step ``eps``
  has truncation error ~ eps**2 |f'''| and rounding error ~ epsilon |f| / eps;
  at eps = 1e-6 in float64 both are ~1e-10 for values of order one, so
  rtol = 1e-5, atol = 1e-7 leaves room without hiding bugs. float32 uses
  eps = 1e-2 (rounding error ~1e-5 |f|, truncation ~1e-5 |f'''|) and
  rtol = atol = 1e-2: a sanity check, not a proof; check float32 code
  against torch instead. Measured with ``gradcheck`` on the random cases of
  seeds 0-399 that have no ReLU, Step or MaxPool2d (267 float64, 266 float32,
  conv and recurrent ones included): worst 0.16 of the allowance in float64,
  0.25 in float32 (both a Conv2d dL/dinput).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FORWARD = "forward"
GRADIENT = "gradient"
FINITE_DIFFERENCE = "finite_difference"


@dataclass(frozen=True)
class Tolerance:
    """``|actual - expected| <= atol + rtol * |expected|``, element by element."""

    rtol: float
    atol: float

    def __str__(self) -> str:
        return f"rtol={self.rtol:.2g}, atol={self.atol:.2g}"


TOLERANCES: dict[np.dtype, dict[str, Tolerance]] = {
    np.dtype(np.float64): {
        FORWARD: Tolerance(rtol=1e-7, atol=1e-7),
        GRADIENT: Tolerance(rtol=1e-7, atol=1e-7),
        FINITE_DIFFERENCE: Tolerance(rtol=1e-5, atol=1e-7),
    },
    np.dtype(np.float32): {
        FORWARD: Tolerance(rtol=1.3e-6, atol=1e-5),
        GRADIENT: Tolerance(rtol=4e-6, atol=4e-5),
        FINITE_DIFFERENCE: Tolerance(rtol=1e-2, atol=1e-2),
    },
}

#: Central-difference step by dtype (see the module docstring).
FD_EPS: dict[np.dtype, float] = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 1e-2}


@dataclass(frozen=True)
class ScaledTolerance(Tolerance):
    """The default policy of check_model: an atol chosen per array from the computation.

    Each compared array gets ``Tolerance(rtol, atol_array)`` with
    ``atol_array = max(atol, floor * max|expected|,
    min(envelope * rounding_envelope, cap * max|expected|))``
    (see :mod:`compare.envelope` for the rounding envelope), so a gradient whose
    true size is 1e-10 is judged at 1e-10's scale, and a sum that cancels keeps
    the rounding of the terms it cancelled.

    Attributes
    ----------
    rtol, atol : float
        Elementwise relative part, and an absolute floor (0: none).
    floor : float
        Fraction of the array's own largest |expected| always allowed.
    envelope : float
        Multiple of the array's measured rounding envelope allowed.
    cap : float
        The envelope's share is never more than ``cap * max|expected|``: a
        discrete decision flipped by the jitter (a near-tie) must not excuse
        an error of the array's own size.
    """

    floor: float = 0.0
    envelope: float = 0.0
    cap: float = 0.0

    def for_array(self, expected, rounding: float, reference=None,
                  twin_rounding: float = 0.0) -> Tolerance:
        """The plain Tolerance for one array: reference ``expected``, envelope ``rounding``.

        ``reference``, when given, is a more exact run of the same array (the
        float64 twin of a float32 check): the scale is the larger of the two, so
        an array float32 rounded to exact zeros is still judged at its true size.
        ``twin_rounding`` is the float32 twin's own distance from that run.
        """
        scale = max(_scale(expected), _scale(reference))
        # twin_rounding: how far the float32 twin itself landed from its float64 run. It
        # is float32 arithmetic as it happened, not a nudge that might flip a decision,
        # so the cap does not apply: where it is of the array's own size, float32 cannot
        # resolve this array at all (e.g. every unit of a tanh rounds to exactly 1).
        if twin_rounding:
            measured = max(min(self.envelope * rounding, self.cap * scale),
                           self.envelope * twin_rounding)
            return Tolerance(self.rtol, max(self.atol, self.floor * scale, measured))
        measured = min(self.envelope * rounding, self.cap * scale)
        return Tolerance(self.rtol, max(self.atol, self.floor * scale, measured))

    def __str__(self) -> str:
        return (f"rtol={self.rtol:.2g}, atol per array = max({self.floor:.2g} x its max|ref|, "
                f"{self.envelope:g} x its rounding envelope up to {self.cap:.2g} x its max|ref|)")


#: check_model's defaults: see :class:`ScaledTolerance` and docs/tolerances.md.
POLICY: dict[np.dtype, dict[str, ScaledTolerance]] = {
    np.dtype(np.float64): {
        FORWARD: ScaledTolerance(rtol=1e-9, atol=0.0, floor=1e-9, envelope=16.0,
                                   cap=1e-4),
        GRADIENT: ScaledTolerance(rtol=1e-9, atol=0.0, floor=1e-9, envelope=16.0,
                                   cap=1e-4),
    },
    np.dtype(np.float32): {
        FORWARD: ScaledTolerance(rtol=1e-6, atol=0.0, floor=1e-6, envelope=32.0,
                                   cap=1e-2),
        GRADIENT: ScaledTolerance(rtol=1e-6, atol=0.0, floor=1e-6, envelope=32.0,
                                   cap=1e-2),
    },
}


def policy_for(dtype, what: str = FORWARD, rtol: float | None = None,
               atol: float | None = None) -> Tolerance:
    """check_model's tolerance: the caller's pair if given, else the :data:`POLICY` entry.

    Parameters
    ----------
    dtype : float32 or float64
    what : "forward" or "gradient"
    rtol, atol : float, optional
        Both or neither (a plain :class:`Tolerance` is then used as given).

    Returns
    -------
    Tolerance
        A :class:`ScaledTolerance` unless the caller gave a pair.
    """
    pair = resolve_pair(rtol, atol)
    if pair is not None:
        return pair
    dt = as_numpy_dtype(dtype)
    if dt in POLICY and what in POLICY[dt]:
        return POLICY[dt][what]
    return tolerance_for(dt, what)


def _scale(a) -> float:
    """Largest finite |value| of a float array (0 for None, empty or non-float)."""
    if not isinstance(a, np.ndarray) or not a.size or not np.issubdtype(a.dtype, np.inexact):
        return 0.0
    scale = float(np.max(np.abs(a)))
    if not np.isfinite(scale):  # the largest finite value, ignoring NaN and inf
        finite = np.abs(a[np.isfinite(a)])
        scale = float(finite.max()) if finite.size else 0.0
    return scale


def tolerance_for(dtype, what: str = FORWARD, rtol: float | None = None,
                  atol: float | None = None) -> Tolerance:
    """The tolerance to use: the caller's pair if given, else the table's entry.

    Parameters
    ----------
    dtype : NumPy or torch floating dtype
    what : "forward", "gradient" or "finite_difference"
    rtol, atol : float, optional
        Both or neither. Giving only one raises ValueError: a lone rtol would
        silently pair with a default atol that may dwarf it.
    """
    pair = resolve_pair(rtol, atol)
    if pair is not None:
        return pair
    dt = as_numpy_dtype(dtype)
    if dt not in TOLERANCES:
        raise ValueError(f"no default tolerance for dtype {dt}; pass rtol= and atol= "
                         f"(defaults exist for {sorted(str(d) for d in TOLERANCES)})")
    if what not in TOLERANCES[dt]:
        raise ValueError(f"unknown tolerance kind {what!r}; expected one of "
                         f"{sorted(TOLERANCES[dt])}")
    return TOLERANCES[dt][what]


def resolve_pair(rtol: float | None, atol: float | None, *, rtol_name: str = "rtol",
                 atol_name: str = "atol") -> Tolerance | None:
    """Tolerance(rtol, atol) if both are given, None if neither; ValueError if only one."""
    if rtol is None and atol is None:
        return None
    if rtol is None or atol is None:
        given, missing = (rtol_name, atol_name) if atol is None else (atol_name, rtol_name)
        raise ValueError(f"{given} was given without {missing}: rtol and atol travel together "
                         f"(pass both, or neither for the dtype's defaults)")
    if not (rtol >= 0 and atol >= 0):
        raise ValueError(f"{rtol_name} and {atol_name} must be >= 0, got {rtol!r}, {atol!r}")
    return Tolerance(float(rtol), float(atol))


def as_numpy_dtype(dtype) -> np.dtype:
    """np.dtype of a NumPy dtype, a type, a string, or a torch dtype (by its name)."""
    if dtype is not None and type(dtype).__module__ == "torch":
        return np.dtype(str(dtype).removeprefix("torch."))
    return np.dtype(dtype)

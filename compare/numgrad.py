"""Central finite differences in float64: the oracle when no torch reference is given.

``central_differences`` is what CS231n's own ``eval_numerical_gradient_array``
computes, for several arguments at once and always in float64: each float
argument is copied to float64 first (a float32 step of 1e-6 would vanish in
rounding), so the user's function is run on float64 copies and the caller's
arrays are never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

FD_STEP = 1e-6  # float64 central differences: truncation and rounding both ~1e-10


def central_differences(fn: Callable, args: Sequence, positions: Sequence[int], upstream,
                        eps: float = FD_STEP) -> list[np.ndarray]:
    """d sum(fn(*args) * upstream) / d args[i] for each ``i`` in ``positions``, in float64.

    Parameters
    ----------
    fn : callable ``fn(*args) -> array or scalar``
        Called about ``2 * size`` times per differentiated argument.
    args : sequence
        The arguments; those at ``positions`` must be floating-point arrays.
        Every float array among them is passed as a float64 copy; the rest
        (integer labels, dicts, ints) are passed unchanged.
    positions : sequence of int
        Which arguments to differentiate.
    upstream : np.ndarray or float
        dL/d(output), shaped like ``fn``'s output (1.0 for a scalar loss).
    eps : float
        The step.

    Returns
    -------
    list of np.ndarray, float64
        One gradient per position, each shaped like its argument.
    """
    work = [a.astype(np.float64) if _is_float_array(a) else a for a in args]
    g = np.asarray(upstream, dtype=np.float64)
    for i in positions:
        if not _is_float_array(args[i]):
            raise TypeError(f"central_differences: argument {i} is not a floating-point "
                            f"array (got {type(args[i]).__name__})")

    def objective() -> float:
        out = np.asarray(fn(*work), dtype=np.float64)
        if out.shape != g.shape:
            raise ValueError(f"central_differences: the function's output has shape "
                             f"{out.shape}, the upstream gradient {g.shape}")
        return float(np.sum(out * g))

    grads = []
    for i in positions:
        a = work[i]
        grad = np.empty(a.shape, dtype=np.float64)
        for idx in np.ndindex(a.shape):
            old = a[idx]
            a[idx] = old + eps
            plus = objective()
            a[idx] = old - eps
            minus = objective()
            a[idx] = old
            grad[idx] = (plus - minus) / (2 * eps)
        grads.append(grad)
    return grads


def _is_float_array(a) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind == "f"

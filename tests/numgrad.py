"""Central finite differences for the scratch tests (independent of compare)."""

from __future__ import annotations

import numpy as np


def numerical_grad(f, a: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d f() / d a by central differences, perturbing ``a`` in place and restoring it.

    f : callable returning a float that reads ``a``.
    """
    grad = np.zeros_like(a)
    it = np.nditer(a, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = a[i]
        a[i] = old + eps
        fp = f()
        a[i] = old - eps
        fm = f()
        a[i] = old
        grad[i] = (fp - fm) / (2 * eps)
    return grad


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| relative to the arrays' scale: max|a - b| / max(max|a|, max|b|, 1e-8).

    Scaling by the whole array rather than element by element keeps tiny
    entries (where a central difference has no correct digits left) from
    dominating; a wrong formula still shows up at the array's own scale.
    """
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), 1e-8)
    return float(np.max(np.abs(a - b))) / scale

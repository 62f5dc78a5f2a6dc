"""The upstream gradient dL/d(output) that a check hands to both sides."""

from __future__ import annotations

import numpy as np

from .inputs import validate_upstream

UPSTREAM_STREAM = 0x75705354  # "upST": keeps the upstream draw apart from users' seeds


class UpstreamError(ValueError):
    """The upstream gradient the caller gave does not fit the output (bad input, not a bug)."""


def upstream_array(upstream, shape: tuple, dtype, seed: int) -> np.ndarray:
    """dL/d(output) for a check: the caller's array (validated), ones, or a seeded random draw.

    Parameters
    ----------
    upstream : "random", "ones", or np.ndarray of ``shape`` and ``dtype``
    shape : tuple
        The output's shape.
    dtype : np.dtype
        The output's dtype.
    seed : int
        Seed of the random draw (its own stream, apart from the user's seeds).

    Returns
    -------
    np.ndarray, ``shape``, ``dtype``
    """
    if isinstance(upstream, np.ndarray):
        validate_upstream(upstream)  # no NaN, np.matrix or all zeros (would compare nothing)
        if upstream.shape != shape or upstream.dtype != dtype:
            raise UpstreamError(f"upstream must have shape {shape} and dtype {np.dtype(dtype)} "
                             f"(the output's), got {upstream.shape} {upstream.dtype}")
        return upstream
    if upstream == "ones":
        return np.ones(shape, dtype)
    if upstream == "random":
        # A stream of its own: with default_rng(seed) a user who drew x from the same
        # seed would get upstream == x, and x.T @ g symmetric hides a transposed dW.
        return np.random.default_rng([seed, UPSTREAM_STREAM]).standard_normal(shape).astype(dtype)
    raise UpstreamError(f"upstream must be 'random', 'ones' or an array, got {upstream!r}")

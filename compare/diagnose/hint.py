"""What a diagnosis is made of: the ``Hint`` it returns and the ``PairContext`` it reads.

A hint names one classic signature of a backprop bug (a constant factor, a
transposed array, disagreement only at a kink, ...) and carries the numbers
that justify it, both in its sentence and in ``evidence`` (JSON-ready), so a
reader can check the claim without rerunning anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Tolerances used when a caller gives none: torch.testing's defaults by dtype
# (float64 rtol = atol = 1e-7; float32 rtol = 1.3e-6, atol = 1e-5).
DEFAULT_TOLERANCES = {
    np.dtype(np.float64): (1e-7, 1e-7),
    np.dtype(np.float32): (1.3e-6, 1e-5),
}

# Every kind a hint can have, most specific first; ``unexplained`` is the
# plain "no known signature fits".
KINDS = (
    "nonfinite", "inplace", "zeros", "never_written", "accumulated", "stateful", "scale",
    "sign_flip",
    "transpose", "permutation", "reshape", "flip", "shift", "wrong_axis", "operand",
    "derivative",
    "offset", "kink", "localized", "float32_rounding", "float32_cast", "unexplained",
)


@dataclass(frozen=True)
class Hint:
    """One recognised signature, with its evidence.

    Attributes
    ----------
    kind : str
        One of ``KINDS``.
    where : str
        The compared quantity it is about, e.g. ``"grad 0.W"``.
    message : str
        Plain-text sentences giving the claim and the numbers behind it.
    evidence : dict
        The same numbers in JSON-ready form (floats, ints, lists, strings).
    """

    kind: str
    where: str
    message: str
    evidence: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Hint: kind must be one of {KINDS}, got {self.kind!r}")

    def to_dict(self) -> dict:
        return {"kind": self.kind, "where": self.where, "message": self.message,
                "evidence": dict(self.evidence)}

    def __str__(self) -> str:
        return f"[{self.kind}] {self.where}: {self.message}" if self.where else \
            f"[{self.kind}] {self.message}"


@dataclass
class PairContext:
    """What is known about a compared pair besides its two arrays.

    Attributes
    ----------
    name : str
        How the pair is named in the report (``"grad 0.W"``, ``"output layer 1"``).
    role : str
        ``"weight_grad"`` (summed over the batch), ``"input_grad"``, ``"output"``,
        ``"loss"`` or ``"value"`` (unknown).
    batch_size : int, optional
        Number of samples, to recognise a missing or extra mean.
    n_reduced : int, optional
        Number of elements the loss averages over when that differs from the
        batch size (MSE and BCE average over every element).
    n_features : int, optional
        For the loss stage: the prediction's last axis (classes or outputs), to
        recognise "divided by every element" where "divided by the batch" belongs.
    n_positions : int, optional
        For an image layer's arrays: the output's spatial size Ho * Wo, to
        recognise a mean over positions where a sum belongs.
    layer_input : np.ndarray, optional
        The input of the layer this array belongs to. When it has the array's
        shape (element-wise layers) it locates kinks and overflowing inputs.
    batch_axis, time_axis : int, optional
        Axes along which disagreement confined to one index is reported as one
        sample / one time step.
    rtol, atol : float, optional
        The tolerance the pair was judged with; default by dtype.
    kinks : tuple of float
        Input values where the layer's derivative is a convention (ReLU, step,
        abs: 0).
    before : np.ndarray, optional
        The array's value before backward ran, to tell "never written".
    grad_out : np.ndarray, optional
        dL/d(output) handed to the layer's backward (the reference's; at a
        backward divergence both sides agree on it).
    layer_output : np.ndarray, optional
        The layer's forward output, for derivatives written in terms of it.
    weight : np.ndarray, optional
        The layer's weight matrix (in, out) when it has one, to recognise a
        product with ``W`` where ``W.T`` belongs.
    """

    name: str = ""
    role: str = "value"
    batch_size: int | None = None
    n_reduced: int | None = None
    n_features: int | None = None
    n_positions: int | None = None
    layer_input: np.ndarray | None = None
    batch_axis: int | None = None
    time_axis: int | None = None
    rtol: float | None = None
    atol: float | None = None
    kinks: tuple = (0.0,)
    before: np.ndarray | None = None
    grad_out: np.ndarray | None = None
    layer_output: np.ndarray | None = None
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None

    def tolerances(self, *arrays: np.ndarray) -> tuple[float, float]:
        """(rtol, atol): the given ones, else the loosest default among the arrays' dtypes."""
        if self.rtol is not None and self.atol is not None:
            return float(self.rtol), float(self.atol)
        defaults = [DEFAULT_TOLERANCES.get(np.asarray(a).dtype, DEFAULT_TOLERANCES[
            np.dtype(np.float64)]) for a in arrays]
        rtol = self.rtol if self.rtol is not None else max(d[0] for d in defaults)
        atol = self.atol if self.atol is not None else max(d[1] for d in defaults)
        return float(rtol), float(atol)


def close_mask(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """Element-wise ``|a - b| <= atol + rtol |b|`` (torch.isclose with b as reference)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.abs(a - b) <= atol + rtol * np.abs(b)


def allclose(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    """True when shapes are equal and every element is close (no NaN allowed)."""
    return a.shape == b.shape and bool(close_mask(a, b, rtol, atol).all())


def fmt(x: float) -> str:
    """A number as it should read in a hint: short, but exact for small integers."""
    x = float(x)
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    return f"{x:.6g}"


def fmt_index(idx) -> str:
    """``(1, 2)`` for a multi-index, ``3`` for a 1-D index."""
    idx = tuple(int(i) for i in np.atleast_1d(idx))
    return str(idx[0]) if len(idx) == 1 else "(" + ", ".join(map(str, idx)) + ")"


def list_positions(mask: np.ndarray, limit: int = 6) -> list[tuple[int, ...]]:
    """Up to ``limit`` multi-indices where ``mask`` holds, in C order."""
    return [tuple(int(i) for i in row) for row in np.argwhere(mask)[:limit]]

"""The lecture's worked example as printed: its inputs and every digit the lecture shows.

One copy, read by :func:`compare.lecture_example` (scratch and torch against the
printout) and by ``twinnet lecture`` (which prints these beside the computed
values). Each number is kept as the exact text the lecture prints, so its
precision is known.

Sources: the hand-worked slides of "Backpropagation by Hand" and the printout
of cell [85] (``loss``, ``W grad``, ``V grad``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The worked example's inputs (slide "Backpropagation by Hand").
EXAMPLE_X = ((5.0, 3.0),)          # x, shape (1, 2): one sample
EXAMPLE_LABEL = 1                  # \hat y = 1, "positive class"
EXAMPLE_W = ((1.0, -1.0, 3.0),     # W, shape (2, 3)
             (2.0, 2.0, -1.0))
EXAMPLE_V = ((0.1,), (0.5,), (-0.1,))  # V, shape (3, 1)


@dataclass(frozen=True)
class Printed:
    """One number as the lecture prints it.

    Attributes
    ----------
    quantity : str
        Key of the computed quantity it refers to ("h", "y", "loss", "dJ/dy",
        "dJ/dh", "dJ/dW", "dJ/dV").
    index : tuple[int, ...]
        Position inside that quantity's array (all are 2-D, batch first).
    text : str
        The digits exactly as printed.
    source : str
        Where in the lecture it is printed.
    """

    quantity: str
    index: tuple[int, ...]
    text: str
    source: str

    @property
    def value(self) -> float:
        return float(self.text)

    @property
    def unit(self) -> float:
        """One unit in the last printed digit, e.g. 1e-4 for "0.7310", 1e-14 for "-3.42e-12"."""
        mantissa, _, exponent = self.text.lower().partition("e")
        decimals = len(mantissa.partition(".")[2])
        return 10.0 ** (int(exponent or 0) - decimals)

    def agrees(self, computed: float) -> bool:
        """Whether ``computed`` prints as ``text`` when rounded *or* truncated.

        The slides sometimes truncate (h2 = sigmoid(1) = 0.731058... is shown as
        0.7310), so the test is |computed - printed| < one unit in the last digit.
        """
        return abs(computed - self.value) < self.unit


_SLIDE = "slides"
_CELL = "cell [85]"

PRINTED: tuple[Printed, ...] = (
    Printed("h", (0, 0), "0.99998329857", _SLIDE),
    Printed("h", (0, 1), "0.7310", _SLIDE),
    Printed("h", (0, 2), "0.9999", _SLIDE),
    Printed("y", (0, 0), "0.590378", _SLIDE),
    Printed("loss", (0, 0), "0.52699227", _CELL),
    Printed("dJ/dy", (0, 0), "-1.69383", _SLIDE),
    Printed("dJ/dh", (0, 0), "-0.04096", _SLIDE),
    Printed("dJ/dh", (0, 1), "-0.2048", _SLIDE),
    Printed("dJ/dh", (0, 2), "0.04096", _SLIDE),
    Printed("dJ/dW", (0, 0), "-3.42057777e-06", _CELL),
    Printed("dJ/dW", (0, 1), "-2.01341432e-01", _CELL),
    Printed("dJ/dW", (0, 2), "1.25838681e-06", _CELL),
    Printed("dJ/dW", (1, 0), "-2.05234666e-06", _CELL),
    Printed("dJ/dW", (1, 1), "-1.20804859e-01", _CELL),
    Printed("dJ/dW", (1, 2), "7.55032084e-07", _CELL),
    Printed("dJ/dV", (0, 0), "-0.40961516", _CELL),
    Printed("dJ/dV", (1, 0), "-0.29945768", _CELL),
    Printed("dJ/dV", (2, 0), "-0.40961948", _CELL),
)


def example_arrays(dtype=np.float64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The worked example's x (1, 2), W (2, 3) and V (3, 1) as fresh arrays."""
    return (np.array(EXAMPLE_X, dtype=dtype), np.array(EXAMPLE_W, dtype=dtype),
            np.array(EXAMPLE_V, dtype=dtype))


def printed_array(quantity: str, shape: tuple[int, ...]) -> np.ndarray:
    """The printed values of ``quantity`` (e.g. "dJ/dW") as an array of ``shape``.

    Every position must be printed: a quantity printed only in part raises.
    """
    out = np.full(shape, np.nan)
    for p in PRINTED:
        if p.quantity == quantity:
            out[p.index] = p.value
    if np.isnan(out).any():
        raise ValueError(f"the lecture prints only part of {quantity!r}")
    return out

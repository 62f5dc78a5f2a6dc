"""The wrong local derivatives an element-wise layer's backward typically uses.

Each form is an array of dy/dx values computed from the layer's input ``x``
and output ``y``; :mod:`derivative` checks whether scratch used one of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .hint import PairContext


@dataclass(frozen=True)
class Form:
    name: str
    values: np.ndarray
    why: str


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free


def candidate_forms(ctx: PairContext) -> list[Form]:
    """Forms computable from what ``ctx`` holds, most common mistakes first."""
    g = ctx.grad_out
    forms = [Form("1 (no local derivative)", np.ones(g.shape),
                  "the gradient passes through unchanged -- the layer's own derivative is "
                  "never multiplied in")]
    x, y = ctx.layer_input, ctx.layer_output
    if y is not None and y.shape == g.shape:
        y = y.astype(np.float64)
        forms += [
            Form("y (the output itself)", y,
                 "the output is used as its own derivative: sigmoid's y (1 - y) lost its "
                 "(1 - y) factor"),
            Form("1 - y", 1 - y, "sigmoid's derivative y (1 - y) lost its y factor, or "
                 "tanh's 1 - y^2 was written 1 - y"),
            Form("y (1 - y)", y * (1 - y),
                 "the local derivative used is y (1 - y) -- sigmoid's formula, or only the "
                 "diagonal of softmax's Jacobian -- which is not this layer's derivative"),
            Form("1 - y^2", 1 - y * y,
                 "the local derivative used is tanh's 1 - y^2, which is not this layer's "
                 "derivative"),
            Form("sigmoid'(y): the derivative of the output", _sigmoid(y) * (1 - _sigmoid(y)),
                 "sigmoid's derivative is taken at the layer's output y instead of its input "
                 "(sigmoid applied twice)"),
        ]
    if x is not None and x.shape == g.shape:
        x = x.astype(np.float64)
        forms += [
            Form("x (1 - x): y (1 - y) evaluated on the input", x * (1 - x),
                 "sigmoid's derivative y (1 - y) is computed from the input x instead of the "
                 "output y = sigmoid(x)"),
            Form("1 - x^2: 1 - y^2 evaluated on the input", 1 - x * x,
                 "tanh's derivative 1 - y^2 is computed from the input x instead of the "
                 "output y = tanh(x)"),
            Form("x (the input itself)", x, "the layer's input is used as its derivative"),
            Form("sign(x)", np.sign(x), "the derivative of |x| (sign) where a ReLU-like "
                 "step mask (x > 0) belongs: negative inputs get -1 instead of 0"),
        ]
    # Keep one form per distinct array: the same numbers cannot tell two causes apart.
    unique: list[Form] = []
    for form in forms:
        if not any(np.array_equal(form.values, u.values) for u in unique):
            unique.append(form)
    return unique

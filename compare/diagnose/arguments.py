"""Diagnosis for checks of functions (check_pair, check_engine): operands found among the arguments.

A layer has one weight; a function such as ``rnn_step_forward(x, prev_h, Wx, Wh, b)``
has several, named however its author liked. A gradient that is a product with
one of them where its transpose belongs is recognised by trying each square
matrix argument (``report.arguments``: name -> array) as the weight.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .hint import Hint, PairContext
from .products import detect_weight_not_transposed


def detect_argument_not_transposed(report, entry, ctx: PairContext) -> Hint | None:
    """``transpose`` naming the argument ``M`` when the gradient is ``u @ M`` for ``u @ M.T``."""
    arguments = report.arguments
    if not isinstance(arguments, dict):
        return None
    own = entry.param if entry.param is not None else next(iter(arguments), None)
    a, b = entry.actual, entry.expected
    for name, matrix in arguments.items():
        if name == own or not isinstance(matrix, np.ndarray) or matrix.ndim != 2 \
                or matrix.shape[0] != matrix.shape[1]:
            continue
        found = detect_weight_not_transposed(a, b, replace(ctx, role="input_grad",
                                                           weight=matrix),
                                             entry.diff.rtol, entry.diff.atol)
        if found is not None:
            msg = (f"with u recovered from the reference (reference = u @ {name}.T), scratch "
                   f"equals u @ {name} on all {a.size} elements: argument {name} is not "
                   f"transposed in this gradient (square {name}, so no shape error caught it).")
            return Hint("transpose", ctx.name, msg, {"operand": name})
    return None

"""What the lecture itself prints: the only constants in ``twinnet.lecture``.

Everything ``twinnet lecture ...`` prints is computed; these values are shown
beside the computed ones as the reference they are checked against. Each is
kept as the exact text the lecture prints, so its precision is known.

Sources: the hand-worked slides of "Backpropagation by Hand" and the printout
of cell [85] (``loss``, ``W grad``, ``V grad``).
"""

from __future__ import annotations

from compare.lecture_printout import (  # noqa: F401  (re-exported: the lecture's one copy)
    EXAMPLE_LABEL,
    EXAMPLE_V,
    EXAMPLE_W,
    EXAMPLE_X,
    PRINTED,
    Printed,
    example_arrays,
)

# The lecture's training loops.
SINGLE_SAMPLE_STEPS = 100          # cell [95]: for i in range(100)
SINGLE_SAMPLE_LR = 1e-1            # cell [95]: model.grad_step(lr=1e-1)
IRIS_THRESHOLD = 5e-5              # cell [75]
IRIS_STEP_SIZE = 1e-1              # cell [75]
IRIS_PRINT_EVERY = 50_000          # cell [75]: if iter % 50000 == 0
# Cell [75] printed "Iteration 0." ... "Iteration 200000." and nothing more, so
# its loop ran more than 200,000 and at most 250,000 iterations.
IRIS_PRINTED_ITERATIONS = (0, 50_000, 100_000, 150_000, 200_000)


# Where the lecture's own text or code slips; printed beside the results so a
# reader comparing digits is not misled.
NOTES_WORKED_EXAMPLE = (
    "The slides print h2 = 0.7310 and h3 = 0.9999 truncated: sigmoid(1) = 0.731059 "
    "(a later slide uses 0.7311) and sigmoid(12) = 0.999994.",
    "The slide's second W gradient is labelled dh1/dW12 but multiplies by x2 = 3: in the "
    "slide's own notation (h1 = sigma(W11 x1 + W21 x2)) that is W21, the cell's W grad[1, 0].",
)
NOTES_IRIS = (
    "Cell [75] starts its counter as iter = np.zeros((3,)), which makes "
    "`if iter % 50000 == 0` ambiguous for a 3-element array; twinnet counts with an integer.",
    "Cell [61] labels the axes 'Petal Length' and 'Petal Width', but columns 0 and 1 are "
    "sepal length and sepal width (cell [84] names them correctly).",
    "Cell [84] calls neuron(grid, ones, theta) with three arguments; it means "
    "[x1, x2, 1] @ theta, which is what the decision-boundary figure draws.",
)



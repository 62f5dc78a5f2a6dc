"""The lecture's Iris loop: scratch's LogisticRegression.fit against the lecture's own code.

Both run the lecture's full training run on setosa vs the rest (sepal length,
sepal width and a bias column), threshold 5e-5, step size 0.1, until
``||theta - theta_prev|| <= threshold``. Each side reports its own iteration
count; the result is the time per iteration. Scratch runs with its defaults,
which also record the mean BCE at every iteration (the lecture's loop does not).
"""

from __future__ import annotations

import contextlib
import io
import time

import numpy as np

import scratch

from .timing import Result, Settings, traced_peak_bytes

TARGET = 0.5  # scratch's time per iteration at most half the lecture code's
THRESHOLD, STEP_SIZE = 5e-5, 1e-1  # cell [75]


# --- The lecture's code (lecture18-neural-networks.md, cells [69] and [75]) -------------
# Kept as the lecture wrote it. Adaptations, and nothing else: the data arrive as NumPy
# arrays instead of pandas objects (X_train is the lecture's iris_X.iloc[:, [0, 1, -1]]
# with its column of ones, y_train its iris_y2); the threshold and step size are
# parameters with the cell's values as defaults; the loop sits in a function that returns
# what it computed. The printed cell starts with `iter, theta, theta_prev =
# np.zeros((3,)), np.ones((3,)), 0`, which would make `iter % 50000 == 0` an array and
# the `if` an error; its printout ("Iteration 0.", ...) shows iter was the integer 0 and
# theta_prev a zero start, which is what runs here.
def neuron(X, theta):
    activation_fn = lambda z: 1/(1+np.exp(-z))  # noqa: E731 (the lecture's lambda)
    return activation_fn(X.dot(theta))


def gradient(theta, X, y):
    return np.mean((y - neuron(X, theta)) * X.T, axis=1)


def lecture_loop(X_train, y_train, threshold=THRESHOLD, step_size=STEP_SIZE):
    """Cell [75]'s while loop; returns (iterations, theta)."""
    iter, theta, theta_prev = 0, np.ones((3,)), np.zeros((3,))

    while np.linalg.norm(theta - theta_prev) > threshold:
        if iter % 50000 == 0:
            print('Iteration %d.' % iter)  # noqa: UP031 (verbatim)
        theta_prev = theta
        grad = gradient(theta, X_train, y_train)
        theta = theta_prev + step_size * grad
        iter += 1
    return iter, theta
# --- end of the lecture's code -------------------------------------------------------------


def iris_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X_train (150, 3) float64 with the bias column, y as lecture ints and as scratch floats."""
    X, y = scratch.load_iris_binary()
    return scratch.add_bias_column(X), y.astype(np.int64), y


def _timed(fn) -> float:
    with contextlib.redirect_stdout(io.StringIO()):  # the lecture prints every 50,000 iterations
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start


def run(settings: Settings, threshold: float = THRESHOLD, step_size: float = STEP_SIZE,
        repeats: int | None = None) -> Result:
    """Time both loops ``repeats`` times (default ``min(settings.repeats, 3)``: runs are long).

    The two sides alternate run by run, as in ``time_side_by_side``; each run is
    a whole training run, so there is no inner block.
    """
    X_train, y_lecture, y_scratch = iris_arrays()
    repeats = repeats or min(settings.repeats, 3)
    counts = {}

    def lecture_run():
        counts["lecture"], counts["lecture_theta"] = lecture_loop(
            X_train, y_lecture, threshold, step_size)

    def scratch_run():
        model = scratch.LogisticRegression(threshold=threshold, step_size=step_size)
        counts["scratch"], _ = model.fit(X_train, y_scratch)
        counts["scratch_theta"] = model.theta

    runs = {"scratch": scratch_run, "lecture code": lecture_run}
    per_iter: dict[str, list[float]] = {k: [] for k in runs}
    names = list(runs)
    for r in range(repeats):
        for name in names if r % 2 == 0 else names[::-1]:
            seconds = _timed(runs[name])
            per_iter[name].append(seconds / counts["scratch" if name == "scratch" else "lecture"])
    med = {k: float(np.median(v)) for k, v in per_iter.items()}
    return Result(
        name="iris_loop",
        title="Iris loop (lecture's logistic neuron), time per iteration",
        config={"threshold": threshold, "step_size": step_size, "samples": X_train.shape[0],
                "scratch_iterations": counts["scratch"], "lecture_iterations": counts["lecture"],
                "max_abs_theta_difference": float(np.max(np.abs(
                    counts["scratch_theta"] - counts["lecture_theta"]))),
                "scratch_records_loss_every_iteration": True},
        timings={k: {"median_s": med[k], "min_s": min(v), "per_call_s": v,
                     "calls_per_block": 1} for k, v in per_iter.items()},
        metrics={"scratch/lecture": med["scratch"] / med["lecture code"]},
        baseline="lecture code", metric="scratch/lecture",
        target=f"scratch <= {TARGET}x lecture code", target_value=TARGET,
        memory={"scratch_fit_1000_iterations_traced_peak_bytes": traced_peak_bytes(
            lambda: scratch.LogisticRegression(max_iter=1000).fit(X_train, y_scratch))},
    )

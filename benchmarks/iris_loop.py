"""The lecture's Iris loop: scratch's LogisticRegression.fit against the lecture's own code.

Both train on setosa vs the rest (sepal length, sepal width and a bias
column) with the lecture's step size 0.1 until ``||theta - theta_prev|| <=
threshold``. Each side reports its own iteration count; the result is the
time per iteration. Scratch runs with its defaults,
which also record the mean BCE at every iteration (the lecture's loop does not).
"""

from __future__ import annotations

import contextlib
import io

import numpy as np

import scratch

from .timing import Result, Settings, paired_ratio, time_side_by_side, traced_peak_bytes

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


def run(settings: Settings, threshold: float = 1e-3, step_size: float = STEP_SIZE) -> Result:
    """Time whole training runs of both loops side by side; report time per iteration.

    Every iteration does the same work whatever the threshold, so the default
    1e-3 (2,417 iterations, tens of milliseconds) lets many runs alternate with
    each other, which a loaded machine needs; ``threshold=THRESHOLD`` times the
    lecture's full 5e-5 run (about 240,000 iterations) instead.
    """
    X_train, y_lecture, y_scratch = iris_arrays()
    found = {}

    def lecture_run():
        with contextlib.redirect_stdout(io.StringIO()):  # it prints every 50,000 iterations
            found["lecture"] = lecture_loop(X_train, y_lecture, threshold, step_size)

    def scratch_run():
        model = scratch.LogisticRegression(threshold=threshold, step_size=step_size)
        found["scratch"] = model.fit(X_train, y_scratch)[0], model.theta

    timings = time_side_by_side({"scratch": scratch_run, "lecture code": lecture_run}, settings)
    iterations = {"scratch": found["scratch"][0], "lecture code": found["lecture"][0]}
    per_iter = {}
    for name, timing in timings.items():
        summary = timing.summary()
        for key in ("median_s", "min_s", "q1_s", "q3_s"):
            summary[key] /= iterations[name]
        summary["per_call_s"] = [t / iterations[name] for t in timing.per_call_s]
        summary["calls_per_block"] = timing.calls_per_block
        per_iter[name] = summary
    return Result(
        name="iris_loop",
        title="Iris loop (lecture's logistic neuron), time per iteration",
        config={"threshold": threshold, "step_size": step_size, "samples": X_train.shape[0],
                "scratch_iterations": iterations["scratch"],
                "lecture_iterations": iterations["lecture code"],
                "max_abs_theta_difference": float(np.max(np.abs(
                    found["scratch"][1] - found["lecture"][1]))),
                "scratch_records_loss_every_iteration": True},
        timings=per_iter,
        # per call = per iteration x iterations, so the per-run ratio is rescaled
        metrics={"scratch/lecture": paired_ratio(timings, "scratch", "lecture code")
                 * iterations["lecture code"] / iterations["scratch"],
                 "scratch/lecture of medians": per_iter["scratch"]["median_s"]
                 / per_iter["lecture code"]["median_s"]},
        baseline="lecture code", metric="scratch/lecture",
        target=f"scratch <= {TARGET}x lecture code", target_value=TARGET,
        memory={"scratch_fit_traced_peak_bytes": traced_peak_bytes(scratch_run)},
    )

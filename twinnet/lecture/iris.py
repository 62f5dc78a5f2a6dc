"""The lecture's Iris neuron (cell [75]), run by scratch and by torch in lockstep.

The lecture's loop, verbatim in spirit::

    theta, theta_prev = ones(3), 0
    while ||theta - theta_prev|| > 5e-5:
        theta_prev = theta
        theta = theta_prev + 0.1 * mean((y - sigmoid(X theta)) * X.T, axis=1)

on X = [sepal length, sepal width, 1] and y = setosa (0) vs the rest (1).
``scratch.LogisticRegression`` runs it (its hand-written gradient). The torch
side is an independent witness: autograd of the mean binary cross-entropy,
stepped by ``torch.optim.SGD(lr=0.1)``, which is the same update because
d(mean BCE)/d theta = -mean((y - p) X).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import scratch
from compare.diff import compare_arrays
from compare.tolerances import FORWARD, tolerance_for

from .reference import IRIS_PRINT_EVERY, IRIS_STEP_SIZE, IRIS_THRESHOLD, NOTES_IRIS

FEATURE_NAMES = ("sepal length (cm)", "sepal width (cm)")
CLASS_NAMES = ("Setosa", "Non-Setosa")
THETA_TOLERANCE = tolerance_for(np.float64, FORWARD)


def iris_training_set(dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    """The lecture's ``X_train`` (150, 3) = [sepal length, sepal width, 1], ``y_train`` (150,)."""
    X, y = scratch.load_iris_binary(dtype)
    return scratch.add_bias_column(X), y


@dataclass
class IrisRun:
    """Outcome of the Iris loop.

    Attributes
    ----------
    n_iter : int
        Iterations the scratch loop took until ||theta - theta_prev|| <= threshold
        (or ``max_iter``).
    converged : bool
        False when ``max_iter`` stopped the loop first.
    theta : np.ndarray, shape (3,)
        Final scratch theta: weights of sepal length, sepal width, then the bias.
    accuracy : float
        Training accuracy of ``sigmoid(X theta) >= 0.5``.
    n_correct, n_samples : int
        Training samples classified correctly, and in all (150).
    progress : list[int]
        Iterations at which the lecture's "Iteration N." line was due.
    divergence : np.ndarray, shape (K + 1,)
        ``max |theta_scratch - theta_torch|`` after k = 0..K iterations, where
        K = min(lockstep iterations, n_iter).
    theta_torch : np.ndarray, shape (3,)
        The torch theta after K iterations.
    first_beyond_tolerance : int | None
        First iteration k at which some |theta_scratch - theta_torch| exceeded
        ``atol + rtol * |theta_torch|`` (``compare.tolerances``, float64 "forward").
    """

    n_iter: int
    converged: bool
    theta: np.ndarray
    accuracy: float
    n_correct: int
    n_samples: int
    progress: list[int]
    divergence: np.ndarray
    theta_torch: np.ndarray
    first_beyond_tolerance: int | None = None

    @property
    def within_tolerance(self) -> bool:
        return self.first_beyond_tolerance is None

    @property
    def lockstep_iterations(self) -> int:
        return len(self.divergence) - 1

    @property
    def max_divergence(self) -> float:
        return float(self.divergence.max())

    @property
    def worst_iteration(self) -> int:
        return int(self.divergence.argmax())


class TorchIrisTwin:
    """The same loop in torch: autograd of mean BCE, ``torch.optim.SGD``.

    Parameters
    ----------
    X : np.ndarray, shape (n, 3)
    y : np.ndarray, shape (n,)
    theta0 : np.ndarray, shape (3,)
    step_size : float
    """

    def __init__(self, X, y, theta0, step_size: float) -> None:
        import torch

        self._torch = torch
        self.X = torch.from_numpy(X)
        self.y = torch.from_numpy(y)
        self.theta = torch.tensor(theta0, dtype=self.X.dtype, requires_grad=True)
        self.optimizer = torch.optim.SGD([self.theta], lr=step_size)

    def step(self) -> None:
        torch = self._torch
        self.optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(self.X @ self.theta, self.y)
        loss.backward()
        self.optimizer.step()

    def theta_numpy(self) -> np.ndarray:
        return self.theta.detach().numpy().copy()


def run_iris(*, max_iter: int = 1_000_000, lockstep_iters: int = 1000,
             print_every: int = IRIS_PRINT_EVERY,
             on_progress: Callable[[int], None] | None = None) -> IrisRun:
    """Run the lecture's Iris loop with scratch, and torch beside it for ``lockstep_iters``.

    Parameters
    ----------
    max_iter : int
        Safety cap for the scratch loop (the lecture has none; it needs ~238k).
    lockstep_iters : int
        How many iterations torch runs alongside, comparing theta after each.
    print_every : int
        ``on_progress(iteration)`` is called every ``print_every`` iterations,
        before that iteration runs, as the lecture prints "Iteration N.".
    on_progress : callable(int), optional

    Everything is float64, as in the lecture.
    """
    X, y = iris_training_set()
    theta0 = np.ones(X.shape[1])
    twin = TorchIrisTwin(X, y, theta0, IRIS_STEP_SIZE)
    divergence: list[float] = []
    beyond: list[int] = []
    progress: list[int] = []
    last_theta_prev = theta0

    def compare(k: int, theta: np.ndarray) -> None:
        theta_t = twin.theta_numpy()
        divergence.append(float(np.max(np.abs(theta - theta_t))))
        if not compare_arrays(theta, theta_t, rtol=THETA_TOLERANCE.rtol,
                              atol=THETA_TOLERANCE.atol).ok:
            beyond.append(k)

    def each_iteration(it: int, theta: np.ndarray) -> None:
        # Called with theta after `it` scratch iterations; torch has made `it` steps too.
        nonlocal last_theta_prev
        last_theta_prev = theta
        if it % print_every == 0:
            progress.append(it)
            if on_progress is not None:
                on_progress(it)
        if it <= lockstep_iters:
            compare(it, theta)
        if it < lockstep_iters:
            twin.step()

    model = scratch.LogisticRegression(threshold=IRIS_THRESHOLD, step_size=IRIS_STEP_SIZE,
                                       max_iter=max_iter, theta0=theta0,
                                       record_every=max_iter + 1)
    n_iter, _ = model.fit(X, y, callback=each_iteration)
    if n_iter <= lockstep_iters:  # the final theta was never shown to the callback
        compare(n_iter, model.theta)
    accuracy = float(np.mean(model.predict(X) == y))
    _FITTED[max_iter] = (n_iter, tuple(float(t) for t in model.theta), accuracy)
    # The loop also ends at max_iter; it converged only if its last step was small enough.
    converged = bool(np.linalg.norm(model.theta - last_theta_prev) <= IRIS_THRESHOLD)
    return IrisRun(n_iter=n_iter, converged=converged, theta=model.theta, accuracy=accuracy,
                   n_correct=int(np.sum(model.predict(X) == y)), n_samples=len(y),
                   progress=progress,
                   divergence=np.array(divergence), theta_torch=twin.theta_numpy(),
                   first_beyond_tolerance=beyond[0] if beyond else None)


# (iterations, theta, accuracy) by max_iter: the full loop takes seconds, and
# `twinnet lecture all` needs it for iris, perceptron and the figures.
_FITTED: dict[int, tuple[int, tuple[float, ...], float]] = {}


def fitted_neuron(max_iter: int = 1_000_000) -> tuple[int, tuple[float, ...], float]:
    """(iterations, theta (3,), training accuracy) of the scratch loop; cached per max_iter."""
    if max_iter not in _FITTED:
        X, y = iris_training_set()
        model = scratch.LogisticRegression(threshold=IRIS_THRESHOLD, step_size=IRIS_STEP_SIZE,
                                           max_iter=max_iter, record_every=max_iter + 1)
        n_iter, _ = model.fit(X, y)
        _FITTED[max_iter] = (n_iter, tuple(float(t) for t in model.theta),
                             float(np.mean(model.predict(X) == y)))
    return _FITTED[max_iter]


def format_iris(run: IrisRun) -> str:
    """The report ``twinnet lecture iris`` prints after the progress lines."""
    t = run.theta
    stop = (f"converged: ||theta - theta_prev|| <= {IRIS_THRESHOLD:g}" if run.converged
            else "stopped by max_iter before converging")
    lines = [
        f"iterations taken: {run.n_iter} ({stop})",
        f"final theta: [{t[0]:.10g}, {t[1]:.10g}, {t[2]:.10g}]"
        f"  (sepal length, sepal width, bias)",
        f"training accuracy: {run.accuracy:.4f} ({run.n_correct}/{run.n_samples} samples)",
        f"torch lockstep over the first {run.lockstep_iterations} iterations "
        f"(autograd of mean BCE + torch.optim.SGD; {THETA_TOLERANCE}):",
        f"  max |theta_scratch - theta_torch| = {run.max_divergence:.3e}"
        f" (largest after iteration {run.worst_iteration})",
        "  within tolerance at every iteration" if run.within_tolerance else
        f"  BEYOND tolerance from iteration {run.first_beyond_tolerance}",
    ]
    for k in _milestones(run.lockstep_iterations):
        lines.append(f"  after {k:>6} iterations: {run.divergence[k]:.3e}")
    lines += ["", "Notes on the lecture's code:"] + [f"- {n}" for n in NOTES_IRIS]
    return "\n".join(lines)


def _milestones(n: int) -> list[int]:
    marks = [k for k in (0, 1, 10, 100, 1000, 10_000, 100_000) if k < n]
    return marks + [n]

"""The perceptron and the logistic-regression neuron on the lecture's Iris task.

Both draw a straight line in the (sepal length, sepal width) plane. A line
``w1 x1 + w2 x2 + b = 0`` is reported as its coefficients, normalised so that
``||(w1, w2)|| = 1`` (the perceptron's scale is arbitrary), and as
``x2 = slope x1 + intercept`` when ``w2 != 0``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import scratch

from .iris import fitted_neuron, iris_training_set


@dataclass(frozen=True)
class Boundary:
    """The line ``w1 x1 + w2 x2 + b = 0``; class 1 lies where the left side is positive."""

    w1: float
    w2: float
    b: float

    def normalised(self) -> Boundary:
        scale = float(np.hypot(self.w1, self.w2))
        return Boundary(self.w1 / scale, self.w2 / scale, self.b / scale)

    @property
    def slope(self) -> float:
        return -self.w1 / self.w2

    @property
    def intercept(self) -> float:
        return -self.b / self.w2

    def side(self, X: np.ndarray) -> np.ndarray:
        """X (n, 2) -> 1.0 where ``w1 x1 + w2 x2 + b > 0``, else 0.0; shape (n,)."""
        return (X @ np.array([self.w1, self.w2]) + self.b > 0).astype(np.float64)

    def angle_to(self, other: Boundary) -> float:
        """Angle in degrees between the two lines' normals (0 = parallel, same orientation)."""
        a, b = self.normalised(), other.normalised()
        cos = np.clip(a.w1 * b.w1 + a.w2 * b.w2, -1.0, 1.0)
        return float(np.degrees(np.arccos(cos)))


@dataclass
class Classifier:
    """One model's result on the Iris task."""

    name: str
    boundary: Boundary
    accuracy: float
    training: str  # how it was trained, for the report


@dataclass
class PerceptronComparison:
    perceptron: Classifier
    neuron: Classifier
    agreement: float  # fraction of training samples both label the same

    @property
    def angle(self) -> float:
        return self.perceptron.boundary.angle_to(self.neuron.boundary)


def run_perceptron(*, epochs: int = 1000, lr: float = 1.0,
                   neuron_max_iter: int = 1_000_000) -> PerceptronComparison:
    """Train ``scratch.Perceptron`` (classic rule, samples in dataset order) and take the
    lecture's neuron (``scratch.LogisticRegression``, cell [75]) on the same data.

    Parameters
    ----------
    epochs : int
        Most passes of the perceptron rule; it stops after an epoch with no mistake.
    lr : float
        Perceptron learning rate (it only rescales w and b when they start at zero).
    neuron_max_iter : int
        Cap on the neuron's gradient loop (the lecture's full run needs ~238k).
    """
    X_train, y = iris_training_set()
    X = X_train[:, :2]
    perceptron = scratch.Perceptron(2, lr=lr)
    mistakes = perceptron.fit(X, y, epochs=epochs)
    p_pred = perceptron.predict(X)
    p_line = Boundary(float(perceptron.w[0]), float(perceptron.w[1]), float(perceptron.b))
    stopped = ("no mistakes in its last epoch" if mistakes[-1] == 0
               else f"still {mistakes[-1]} mistakes in its last epoch")
    p_result = Classifier("perceptron", p_line, float(np.mean(p_pred == y)),
                          f"{len(mistakes)} epochs of the perceptron rule, lr={lr:g} ({stopped})")

    n_iter, theta, _ = fitted_neuron(neuron_max_iter)
    n_line = Boundary(*theta)  # theta = (w_sepal_length, w_sepal_width, bias)
    # sigmoid(z) >= 0.5 exactly when z >= 0; the neuron predicts with that threshold.
    n_pred = (X_train @ np.array(theta) >= 0).astype(np.float64)
    n_result = Classifier("logistic neuron", n_line, float(np.mean(n_pred == y)),
                          f"{n_iter} iterations of the lecture's gradient loop")
    return PerceptronComparison(p_result, n_result, float(np.mean(p_pred == n_pred)))


def format_perceptron(result: PerceptronComparison) -> str:
    """The table ``twinnet lecture perceptron`` prints."""
    lines = ["Iris, setosa (0) vs the rest (1), on sepal length x1 and sepal width x2.",
             "Boundary w1*x1 + w2*x2 + b = 0 (normalised to ||(w1, w2)|| = 1):", ""]
    lines.append(f"{'model':<16} {'accuracy':>8} {'w1':>9} {'w2':>9} {'b':>9} "
                 f"{'slope':>8} {'intercept':>9}")
    for c in (result.perceptron, result.neuron):
        n = c.boundary.normalised()
        lines.append(f"{c.name:<16} {c.accuracy:>8.4f} {n.w1:>9.5f} {n.w2:>9.5f} {n.b:>9.5f} "
                     f"{c.boundary.slope:>8.4f} {c.boundary.intercept:>9.4f}")
    lines += ["",
              f"perceptron: {result.perceptron.training}",
              f"perceptron raw: w = [{result.perceptron.boundary.w1:.6g}, "
              f"{result.perceptron.boundary.w2:.6g}], b = {result.perceptron.boundary.b:.6g}",
              f"neuron: {result.neuron.training}",
              f"angle between the two boundaries: {result.angle:.3f} degrees",
              f"the two agree on {result.agreement:.4f} of the training samples"]
    return "\n".join(lines)

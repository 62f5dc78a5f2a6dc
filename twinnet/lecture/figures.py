"""Compute the data behind each of the lecture's figures and have :mod:`.plotting` draw it.

Each function here returns its :class:`matplotlib.figure.Figure` (and writes
it too when given a path), so a notebook can show it inline:
``figures.single_sample_training()``. ``make_figures(out_dir, fmt="svg")``
writes every figure and returns their paths by name.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import scratch

from . import plotting
from .iris import CLASS_NAMES, FEATURE_NAMES, fitted_neuron, iris_training_set
from .perceptron import run_perceptron
from .plotting import DPI, FORMATS
from .single_sample import run_single_sample
from .worked_example import run_worked_example

DEFAULT_OUT = Path("out/figures")
# The lecture's grid for the decision regions (cell [84]).
GRID_X1 = (3.3, 8.9)
GRID_X2 = (1.0, 5.4)
GRID_STEP = 0.02

FIGURES = {
    "activations": "activations.png",
    "iris_scatter": "iris_scatter.png",
    "iris_decision_boundary": "iris_decision_boundary.png",
    "iris_torch_divergence": "iris_torch_divergence.png",
    "single_sample_training": "single_sample_training.png",
    "worked_example_differences": "worked_example_differences.png",
}


def zero_floor(values: np.ndarray) -> float:
    """Where a log-scale plot draws exact zeros: a power of ten 100x below the smallest
    non-zero value (1e-20 if all are zero), so a zero can never pass for a tiny difference."""
    positive = np.asarray(values)[np.asarray(values) > 0]
    if positive.size == 0:
        return 1e-20
    return float(10.0 ** (np.floor(np.log10(positive.min())) - 2))


def activations(path=None, *, dpi: float | None = None):
    """Step, sigmoid, tanh and ReLU, each computed by scratch's layer of that name; the Figure."""
    z = np.linspace(-5, 5, 201)[:, None]  # (201, 1): a batch of scalars
    curves = {name: layer.forward(z)[:, 0] for name, layer in (
        ("step", scratch.Step()), ("sigmoid", scratch.Sigmoid()),
        ("tanh", scratch.Tanh()), ("ReLU", scratch.ReLU()))}
    return plotting.plot_activations(z[:, 0], curves, path, dpi=dpi)


def iris_scatter(path=None, *, dpi: float | None = None):
    """The lecture's Iris training set (sepal length, width), setosa vs the rest; the Figure."""
    X, y = iris_training_set()
    return plotting.plot_iris_scatter(X[:, :2], y, path, class_names=CLASS_NAMES,
                                      feature_names=FEATURE_NAMES, dpi=dpi)


def iris_decision_boundary(path=None, neuron_max_iter: int = 1_000_000, *,
                           dpi: float | None = None):
    """The fitted neuron's regions over the lecture's grid, its line and the perceptron's."""
    X, y = iris_training_set()
    n_iter, theta, _ = fitted_neuron(neuron_max_iter)
    theta = np.array(theta)
    xx, yy = np.meshgrid(np.arange(*GRID_X1, GRID_STEP), np.arange(*GRID_X2, GRID_STEP))
    # The lecture's cell [84] meant [x1, x2, 1] @ theta (it passes the ones separately).
    grid = np.column_stack([xx.ravel(), yy.ravel(), np.ones(xx.size)])
    Z = (scratch.sigmoid(grid @ theta) >= 0.5).astype(np.float64).reshape(xx.shape)
    p = run_perceptron(neuron_max_iter=neuron_max_iter).perceptron.boundary
    lines = {f"neuron ({n_iter} iterations)": tuple(theta),
             "perceptron": (p.w1, p.w2, p.b)}
    return plotting.plot_decision_boundary(X[:, :2], y, (xx, yy, Z), lines, path,
                                           class_names=CLASS_NAMES, feature_names=FEATURE_NAMES,
                                           dpi=dpi)


def iris_torch_divergence(path=None, divergence: np.ndarray | None = None, *,
                          dpi: float | None = None):
    """max |theta_scratch - theta_torch| per iteration of the Iris loop; the Figure.

    ``divergence`` (K + 1,) defaults to a 1000-iteration lockstep run.
    """
    if divergence is None:
        from .iris import run_iris

        divergence = run_iris(max_iter=1000, lockstep_iters=1000).divergence
    return plotting.plot_divergence(
        divergence, path, floor=zero_floor(divergence),
        title="Iris neuron: scratch loop vs torch (autograd + SGD)", dpi=dpi)


def single_sample_training(path=None, *, dpi: float | None = None):
    """Cell [95]'s 100 steps on one sample (labels 1 and 0), scratch and torch; the Figure."""
    runs = {run.label: {"loss_scratch": run.loss_scratch, "loss_torch": run.loss_torch,
                        "score_scratch": run.score_scratch, "score_torch": run.score_torch}
            for run in run_single_sample()}
    return plotting.plot_single_sample(runs, path, dpi=dpi)


def worked_example_differences(path=None, *, dpi: float | None = None):
    """|scratch - torch| for every value of the worked example; the Figure."""
    rows = run_worked_example().rows()
    diffs = np.array([r.abs_diff for r in rows])
    return plotting.plot_abs_differences(
        [r.label for r in rows], diffs, path, floor=zero_floor(diffs),
        title="Worked example: |scratch - torch| per value (float64)", dpi=dpi)


def make_figures(out_dir=DEFAULT_OUT, *, neuron_max_iter: int = 1_000_000,
                 lockstep_iters: int = 1000, fmt: str = "png", dpi: float = DPI,
                 on_figure=None) -> dict[str, Path]:
    """Write every figure into ``out_dir``; returns {name: path} in :data:`FIGURES` order.

    ``neuron_max_iter`` caps the Iris loop (the lecture's full run needs ~238k
    iterations, a few seconds); ``lockstep_iters`` is how long torch follows it.
    ``fmt`` is png, svg or pdf; ``dpi`` sets the raster resolution (png, and
    images embedded in pdf/svg). ``on_figure(name)``, if given, is called after
    each figure is written (e.g. a progress bar's update).
    """
    from .iris import run_iris

    if fmt not in FORMATS:
        raise ValueError(f"make_figures: fmt must be one of {', '.join(FORMATS)}, got {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / Path(file).with_suffix(f".{fmt}") for name, file in FIGURES.items()}
    divergence = run_iris(max_iter=min(neuron_max_iter, lockstep_iters),
                          lockstep_iters=lockstep_iters).divergence
    draw = {
        "activations": lambda p: activations(p, dpi=dpi),
        "iris_scatter": lambda p: iris_scatter(p, dpi=dpi),
        "iris_decision_boundary": lambda p: iris_decision_boundary(p, neuron_max_iter, dpi=dpi),
        "iris_torch_divergence": lambda p: iris_torch_divergence(p, divergence, dpi=dpi),
        "single_sample_training": lambda p: single_sample_training(p, dpi=dpi),
        "worked_example_differences": lambda p: worked_example_differences(p, dpi=dpi),
    }
    for name, path in paths.items():
        draw[name](path)
        if on_figure is not None:
            on_figure(name)
    return paths

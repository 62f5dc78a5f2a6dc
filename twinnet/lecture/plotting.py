"""Drawing the lecture's figures, the object-oriented way.

Every function takes computed data, builds a :class:`matplotlib.figure.Figure`
(never through ``pyplot``), writes it to ``path`` when one is given and returns
the Figure. Nothing here calls ``matplotlib.use``, touches ``rcParams`` or
registers the figure with pyplot, so in a notebook the session's backend
(``%matplotlib inline``, widgets, ...) is left exactly as it was, the returned
Figure displays inline, and no display is needed to write files. The file
format follows the path's suffix: png, svg or pdf.

Titles and legends never cover data: figures use constrained layout, and a
legend that could sit on plotted points goes outside the axes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

DPI = 100
FORMATS = ("png", "svg", "pdf")
# Two colours from matplotlib's "Paired" map, as the lecture's plots use.
CLASS_COLOURS = ("#a6cee3", "#b15928")
REGION_COLOURS = ListedColormap(["#dbeef7", "#f3ddd0"])
# Beside the axes, top-aligned: constrained layout makes room for it.
OUTSIDE_RIGHT = {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0), "borderaxespad": 0.0}


def new_figure(width: float, height: float) -> Figure:
    """A ``width`` x ``height`` inch Figure with constrained layout, unknown to pyplot.

    Its canvas is Agg's (a plain object bound to this figure alone: it does not
    change matplotlib's backend), so a renderer is at hand for measuring text.
    """
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def image_format(path: str | Path) -> str:
    """The format ``path`` asks for by its suffix; ValueError unless png, svg or pdf."""
    fmt = Path(path).suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValueError(f"figure path {str(path)!r}: the suffix must be one of "
                         f".{', .'.join(FORMATS)}, got {Path(path).suffix or 'none'!r}")
    return fmt


def save(fig: Figure, path: str | Path, *, dpi: float | None = None) -> Path:
    """Write ``fig`` to ``path`` (format from its suffix, at ``dpi``, default :data:`DPI`)."""
    path = Path(path)
    fmt = image_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format=fmt, dpi=DPI if dpi is None else dpi)
    return path


def finish(fig: Figure, path=None, dpi: float | None = None) -> Figure:
    """Save ``fig`` to ``path`` if one is given; return ``fig``."""
    if path is not None:
        save(fig, path, dpi=dpi)
    return fig


def plot_activations(z: np.ndarray, curves: dict[str, np.ndarray], path=None, *,
                     dpi: float | None = None) -> Figure:
    """One panel per activation: ``curves[name]`` (n,) against z (n,); the Figure."""
    fig = new_figure(3.2 * len(curves), 3.2)
    axes = fig.subplots(1, len(curves))
    for ax, (name, values) in zip(np.atleast_1d(axes), curves.items(), strict=True):
        ax.plot(z, values, color="C0")
        ax.axhline(0, color="0.7", lw=0.8)
        ax.axvline(0, color="0.7", lw=0.8)
        ax.set_title(name)
        ax.set_xlabel("z")
    np.atleast_1d(axes)[0].set_ylabel("activation(z)")
    return finish(fig, path, dpi)


def _scatter_classes(ax, X: np.ndarray, y: np.ndarray, class_names, feature_names) -> None:
    for label, (name, colour) in enumerate(zip(class_names, CLASS_COLOURS, strict=True)):
        pts = X[y == label]
        ax.scatter(pts[:, 0], pts[:, 1], c=colour, edgecolors="k", s=40, label=name)
    ax.set_xlabel(feature_names[0].capitalize())
    ax.set_ylabel(feature_names[1].capitalize())


def plot_iris_scatter(X: np.ndarray, y: np.ndarray, path=None, *, class_names, feature_names,
                      dpi: float | None = None) -> Figure:
    """Scatter of X (n, 2) coloured by y (n,) in {0, 1}; axes named by ``feature_names``."""
    fig = new_figure(6, 4.5)
    ax = fig.subplots()
    _scatter_classes(ax, X, y, class_names, feature_names)
    ax.set_title("Iris: setosa vs the rest")
    ax.legend(**OUTSIDE_RIGHT)
    return finish(fig, path, dpi)


def plot_decision_boundary(X: np.ndarray, y: np.ndarray, grid: tuple, lines: dict, path=None,
                           *, class_names, feature_names, dpi: float | None = None) -> Figure:
    """The neuron's decision regions and boundary lines over the Iris scatter.

    Parameters
    ----------
    X : (n, 2), y : (n,)
    grid : (xx, yy, Z), each (rows, cols); Z holds the predicted class 0/1.
    lines : dict[label, (w1, w2, b)]
        Lines ``w1 x1 + w2 x2 + b = 0`` to draw, first one solid.
    """
    xx, yy, Z = grid
    fig = new_figure(6.5, 4.8)
    ax = fig.subplots()
    ax.pcolormesh(xx, yy, Z, cmap=REGION_COLOURS, shading="auto", vmin=0, vmax=1)
    _scatter_classes(ax, X, y, class_names, feature_names)
    x1 = np.array([xx.min(), xx.max()])
    for i, (label, (w1, w2, b)) in enumerate(lines.items()):
        style = {"color": "k", "ls": "-" if i == 0 else "--", "lw": 1.5, "label": label}
        if w2 == 0:  # a vertical boundary: x1 = -b / w1
            ax.axvline(-b / w1, **style)
        else:
            ax.plot(x1, -(w1 * x1 + b) / w2, **style)
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    ax.set_title("Decision boundary of the Iris neuron")
    ax.legend(fontsize="small", **OUTSIDE_RIGHT)
    return finish(fig, path, dpi)


def plot_single_sample(runs: dict, path=None, *, dpi: float | None = None) -> Figure:
    """Loss and score per step, scratch (lines) and torch (markers) overlaid.

    ``runs[label]`` is a dict with "loss_scratch", "loss_torch", "score_scratch",
    "score_torch", each of shape (steps,).
    """
    fig = new_figure(5.2 * len(runs), 4)
    axes = np.atleast_1d(fig.subplots(1, len(runs)))
    for ax, (label, r) in zip(axes, runs.items(), strict=True):
        steps = np.arange(len(r["loss_scratch"]))
        ax.plot(steps, r["loss_scratch"], "-", color="C0", label="loss, scratch")
        ax.plot(steps, r["loss_torch"], "x", color="C1", ms=4, markevery=3, label="loss, torch")
        ax.plot(steps, r["score_scratch"], "-", color="C2", label="score y, scratch")
        ax.plot(steps, r["score_torch"], "+", color="C3", ms=5, markevery=3,
                label="score y, torch")
        ax.set_title(f"label {label}")
        ax.set_xlabel("step")
    axes[0].set_ylabel("loss J / score y")
    # One legend for all panels, beside the last: the curves fill each panel's corners.
    axes[-1].legend(fontsize="small", **OUTSIDE_RIGHT)
    fig.suptitle("Single-sample gradient descent (lr 0.1), scratch and torch")
    return finish(fig, path, dpi)


def plot_abs_differences(names: list[str], diffs: np.ndarray, path=None, *, floor: float,
                         title: str, dpi: float | None = None) -> Figure:
    """Bar chart of |scratch - torch| per named value on a log scale.

    Exact zeros cannot be drawn on a log axis: they are drawn as hatched bars at
    ``floor`` and the legend says so.
    """
    diffs = np.asarray(diffs, dtype=np.float64)
    zero = diffs == 0
    heights = np.where(zero, floor, diffs)
    fig = new_figure(max(6.0, 0.42 * len(names)), 4.2)
    ax = fig.subplots()
    pos = np.arange(len(names))
    base = floor / 10  # bars start below the floor so a zero's bar stays visible
    ax.bar(pos[~zero], heights[~zero] - base, bottom=base, color="C0", label="|scratch - torch|")
    ax.bar(pos[zero], heights[zero] - base, bottom=base, color="white", edgecolor="C0",
           hatch="///", label=f"exactly 0 (drawn at {floor:.0e})")
    ax.set_yscale("log")
    ax.set_ylim(base, max(1e-12, float(heights.max()) * 10))
    ax.set_xticks(pos, names, rotation=70, fontsize="small")
    ax.set_ylabel("|scratch - torch|")
    ax.set_title(title)
    ax.legend(fontsize="small", **OUTSIDE_RIGHT)
    return finish(fig, path, dpi)


def plot_divergence(divergence: np.ndarray, path=None, *, floor: float, title: str,
                    dpi: float | None = None) -> Figure:
    """``divergence[k]`` (K + 1,) against iteration k on a log scale; zeros drawn at ``floor``."""
    d = np.asarray(divergence, dtype=np.float64)
    k = np.arange(len(d))
    fig = new_figure(8, 4)
    ax = fig.subplots()
    ax.plot(k, np.maximum(d, floor), "-", color="C0", lw=1,
            label="max |theta_scratch - theta_torch|")
    if (d == 0).any():
        ax.plot(k[d == 0], np.full(int((d == 0).sum()), floor), "o", color="C1", ms=2,
                label=f"exactly 0 (drawn at {floor:.0e})")
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("max |theta_scratch - theta_torch|")
    ax.set_title(title)
    ax.legend(fontsize="small", **OUTSIDE_RIGHT)
    return finish(fig, path, dpi)

"""Gradient-flow figure: per-layer gradient norms of both sides, on a log scale.

A sigmoid stack shows its vanishing gradients as a line falling toward the
input (top panel, log scale). A bug shows where the relative difference
between the sides (bottom panel) jumps from rounding level to order one --
also for a sign flip or a transpose, which leave the norms equal.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import numpy as np

PARAM_GRAD, INPUT_GRAD = "param_grad", "input_grad"


@dataclass(frozen=True)
class FlowPoint:
    """One plotted position: an array's gradient norm on each side.

    Attributes
    ----------
    label : str
        The x tick, e.g. ``"0.W"`` or ``"dL/dinput 2"``.
    layer : int
    kind : "param_grad" or "input_grad"
    actual_norm, expected_norm : float
        Frobenius norms (NaN when that side has no array or a non-finite one).
    rel_diff : float
        ``||actual - expected|| / ||expected||``: where the sides part even when
        the norms agree (a sign flip, a transpose). inf when not comparable.
    ok : bool
        Whether the entry passed.
    """

    label: str
    layer: int
    kind: str
    actual_norm: float
    expected_norm: float
    rel_diff: float
    ok: bool


def _norm(a) -> float:
    if a is None:
        return float("nan")
    a = np.asarray(a, dtype=np.float64)
    return float(np.linalg.norm(a.ravel())) if np.all(np.isfinite(a)) else float("nan")


def _rel_diff(a, b) -> float:
    if a is None or b is None or np.shape(a) != np.shape(b):
        return float("inf")
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return float("inf")
    diff = float(np.linalg.norm((a - b).ravel()))
    scale = float(np.linalg.norm(b.ravel()))
    return diff / scale if scale > 0 else (0.0 if diff == 0 else float("inf"))


def judged_run(report):
    """The run to plot: where the sides part (the run that produced the first divergence,
    see ``entry.source_report``), else the report itself."""
    div = report.first_divergence
    source = None if div is None else div.entry.source_report
    return report if source is None else source


def gradient_flow(report) -> list[FlowPoint]:
    """The gradient norms of ``report``, in forward order (input side first).

    Parameter gradients are labelled by parameter name; dL/dinput of each
    layer by ``"dL/dinput <layer>"``. The loss's own dL/dpred is left out:
    it is one array, not a layer's. Of a report joining several runs, one run
    is plotted (see :func:`judged_run`).
    """
    points = []
    for e in judged_run(report).entries:
        if e.kind not in (PARAM_GRAD, INPUT_GRAD) or e.is_loss:
            continue
        label = e.param if e.kind == PARAM_GRAD and e.param else f"{e.label} {e.layer}"
        points.append(FlowPoint(label, e.layer, e.kind, _norm(e.actual), _norm(e.expected),
                                _rel_diff(e.actual, e.expected), e.ok))
    points.sort(key=lambda p: (p.layer, p.kind != PARAM_GRAD))
    return points


def plot_gradient_flow(report, path=None, *, title: str | None = None,
                       dpi: float | None = None):
    """The gradient-flow figure of ``report``; written to ``path`` when one is given.

    Built the object-oriented way (never through pyplot, never touching the
    backend or rcParams), so it is safe in a notebook: the returned Figure
    displays inline there.

    Parameters
    ----------
    report : compare.report.Report
    path : str or os.PathLike, optional
        Where to write it; png, svg or pdf by the suffix (the folder is created).
    title : str, optional
        Default: the report's title, wrapped to the figure's width.
    dpi : float, optional
        Raster resolution of the file (default 100).

    Returns
    -------
    matplotlib.figure.Figure
        The figure. :func:`gradient_flow` gives the plotted numbers.
    """
    from twinnet.lecture.plotting import OUTSIDE_RIGHT, finish, new_figure

    points = gradient_flow(report)
    if not points:
        raise ValueError("plot_gradient_flow: the report has no gradient entries to plot")
    xs = np.arange(len(points))
    width = max(7.0, 0.45 * len(points) + 3.5)
    fig = new_figure(width, 6.4)
    ax, ax_diff = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    ax.plot(xs, [p.expected_norm for p in points], "o-", color="tab:blue",
            label=report.expected_name, linewidth=2)
    ax.plot(xs, [p.actual_norm for p in points], "x--", color="tab:orange",
            label=report.actual_name, markersize=9)
    ax.set_yscale("log")
    ax.set_ylabel("gradient norm")
    # About 13 characters of 9-point text per inch: wrap, never cut at the edges.
    lines = textwrap.wrap(title or report.title, width=int(width * 13), max_lines=3,
                          placeholder=" ...")
    fig.suptitle("\n".join(lines), fontsize=9)
    # Differences of exactly 0 (and non-finite ones) still need a place on a log axis.
    floor, ceiling = 1e-17, 1e2
    rel = [min(max(p.rel_diff, floor), ceiling) for p in points]
    colours = ["tab:green" if p.ok else "tab:red" for p in points]
    ax_diff.scatter(xs, rel, c=colours, zorder=3)
    ax_diff.plot(xs, rel, color="grey", linewidth=0.8)
    ax_diff.set_yscale("log")
    ax_diff.set_ylim(floor / 3, ceiling * 3)
    ax_diff.set_ylabel(f"||{report.actual_name} - {report.expected_name}||\n"
                       f"/ ||{report.expected_name}||")
    bad = [i for i, p in enumerate(points) if not p.ok]
    for axis in (ax, ax_diff):
        if bad:  # walking back from the loss, the first failure is the rightmost
            axis.axvspan(bad[-1] - 0.5, bad[-1] + 0.5, color="tab:red", alpha=0.12,
                         label="sides part here" if axis is ax else None)
        axis.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, **OUTSIDE_RIGHT)
    ax_diff.set_xticks(xs, [p.label for p in points], rotation=60, ha="right", fontsize=8)
    ax_diff.set_xlabel("input side left, loss side right (green: within tolerance)")
    return finish(fig, path, dpi)

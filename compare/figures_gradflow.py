"""Gradient-flow figure: per-layer gradient norms of both sides, on a log scale.

A sigmoid stack shows its vanishing gradients as a line falling toward the
input; a bug shows as the point where the two sides' lines part.
"""

from __future__ import annotations

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
    ok : bool
        Whether the entry passed.
    """

    label: str
    layer: int
    kind: str
    actual_norm: float
    expected_norm: float
    ok: bool


def _norm(a) -> float:
    if a is None:
        return float("nan")
    a = np.asarray(a, dtype=np.float64)
    return float(np.linalg.norm(a.ravel())) if np.all(np.isfinite(a)) else float("nan")


def gradient_flow(report) -> list[FlowPoint]:
    """The gradient norms of ``report``, in forward order (input side first).

    Parameter gradients are labelled by parameter name; dL/dinput of each
    layer by ``"dL/dinput <layer>"``. The loss's own dL/dpred is left out:
    it is one array, not a layer's.
    """
    points = []
    for e in report.entries:
        if e.kind not in (PARAM_GRAD, INPUT_GRAD) or e.is_loss:
            continue
        label = e.param if e.kind == PARAM_GRAD and e.param else f"{e.label} {e.layer}"
        points.append(FlowPoint(label, e.layer, e.kind, _norm(e.actual), _norm(e.expected),
                                e.ok))
    points.sort(key=lambda p: (p.layer, p.kind != PARAM_GRAD))
    return points


def plot_gradient_flow(report, path, *, title: str | None = None) -> list[FlowPoint]:
    """Write the gradient-flow figure of ``report`` as a PNG to ``path``.

    Parameters
    ----------
    report : compare.report.Report
    path : str or os.PathLike
        Where the PNG goes (the folder must exist).
    title : str, optional
        Default: the report's title.

    Returns
    -------
    list of FlowPoint
        What was plotted.
    """
    import matplotlib
    matplotlib.use("Agg")  # a file, never a window
    import matplotlib.pyplot as plt

    points = gradient_flow(report)
    if not points:
        raise ValueError("plot_gradient_flow: the report has no gradient entries to plot")
    xs = np.arange(len(points))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.6 * len(points) + 2), 4))
    try:
        ax.plot(xs, [p.expected_norm for p in points], "o-", color="tab:blue",
                label=report.expected_name, linewidth=2)
        ax.plot(xs, [p.actual_norm for p in points], "x--", color="tab:orange",
                label=report.actual_name, markersize=9)
        bad = [i for i, p in enumerate(points) if not p.ok]
        if bad:
            ax.axvspan(bad[-1] - 0.5, bad[-1] + 0.5, color="tab:red", alpha=0.12,
                       label="sides part here (walking back)")
        ax.set_yscale("log")
        ax.set_xticks(xs, [p.label for p in points], rotation=45, ha="right")
        ax.set_xlabel("layer (input side left)")
        ax.set_ylabel("gradient norm (log)")
        ax.set_title(title or report.title, fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(path, format="png", dpi=100)
    finally:
        plt.close(fig)
    return points

"""Titles and legends never clip or cover data, measured with the renderer's extents.

For every figure twinnet draws: every title (axes titles and the suptitle) and
every legend lies inside the figure, and no legend box contains a plotted point
(line vertices and scatter offsets, in display coordinates, that are inside
their axes' view).
"""

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

from .figure_zoo import zoo

ZOO = zoo()
SLACK = 1.0  # pixels: rounding of extents


def _renderer(fig: Figure):
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def _inside(box, outer) -> bool:
    return (box.x0 >= outer.x0 - SLACK and box.y0 >= outer.y0 - SLACK
            and box.x1 <= outer.x1 + SLACK and box.y1 <= outer.y1 + SLACK)


def titles(fig: Figure) -> list:
    found = [t for ax in fig.axes for t in (ax.title, ax._left_title, ax._right_title)]
    if fig._suptitle is not None:
        found.append(fig._suptitle)
    return [t for t in found if t.get_visible() and t.get_text()]


def legends(fig: Figure) -> list:
    return [*(ax.get_legend() for ax in fig.axes if ax.get_legend()), *fig.legends]


def plotted_points(fig: Figure) -> np.ndarray:
    """(n, 2) display coordinates of every line vertex and scatter point inside its axes."""
    points = []
    for ax in fig.axes:
        xy = [line.get_transform().transform(line.get_xydata()) for line in ax.get_lines()
              if line.get_visible() and len(line.get_xydata())]
        xy += [c.get_offset_transform().transform(c.get_offsets()) for c in ax.collections
               if isinstance(c, PathCollection) and len(c.get_offsets())]
        for block in xy:
            block = block[np.isfinite(block).all(axis=1)]
            box = ax.bbox
            keep = ((block[:, 0] >= box.x0) & (block[:, 0] <= box.x1)
                    & (block[:, 1] >= box.y0) & (block[:, 1] <= box.y1))
            points.append(block[keep])
    return np.concatenate(points) if points else np.empty((0, 2))


def layout_problems(fig: Figure) -> list[str]:
    renderer = _renderer(fig)
    problems = [f"title {t.get_text()[:40]!r} reaches outside the figure"
                for t in titles(fig) if not _inside(t.get_window_extent(renderer), fig.bbox)]
    points = plotted_points(fig)
    for legend in legends(fig):
        box = legend.get_window_extent(renderer)
        if not _inside(box, fig.bbox):
            problems.append("a legend reaches outside the figure")
        covered = ((points[:, 0] > box.x0) & (points[:, 0] < box.x1)
                   & (points[:, 1] > box.y0) & (points[:, 1] < box.y1))
        if covered.any():
            problems.append(f"a legend covers {int(covered.sum())} plotted point(s)")
    return problems


@pytest.mark.parametrize("name, draw", ZOO, ids=[n for n, _ in ZOO])
def test_titles_and_legends_stay_inside_and_off_the_data(name, draw):
    fig = draw(None)
    assert titles(fig), "every figure has a title"
    assert layout_problems(fig) == []


def test_the_layout_check_sees_a_clipped_title_and_a_legend_on_the_data():
    fig = Figure(figsize=(3, 2), dpi=100, layout="constrained")
    ax = fig.subplots()
    ax.plot(np.linspace(0, 1, 50), np.linspace(0, 1, 50), label="a line across the axes")
    ax.set_title("a title far too long to fit into a figure only three inches wide " * 2)
    ax.legend(loc="center")
    problems = layout_problems(fig)
    assert any("title" in p for p in problems)
    assert any("covers" in p for p in problems)

"""Drawing the tasks' figures, in the house style of :mod:`twinnet.lecture.plotting`.

Figures are built object-oriented with that module's ``new_figure`` (never
through pyplot, never touching the backend or rcParams). Functions take
computed arrays and an optional path (png, svg or pdf by suffix), write the
figure there when given one, and return the Figure.
"""

from __future__ import annotations

import numpy as np

from twinnet.lecture.figures import zero_floor
from twinnet.lecture.plotting import OUTSIDE_RIGHT, finish, new_figure

WRONG = "#d62728"  # a wrong prediction
DISAGREE = "#ff7f0e"  # scratch and torch predict different labels


def plot_digit_grid(images: np.ndarray, labels: np.ndarray, pred_scratch: np.ndarray,
                    pred_torch: np.ndarray, path=None, *, cols: int = 8, title: str,
                    dpi: float | None = None):
    """Digit images with the predicted label above each; wrong predictions framed in red.

    The images are tiled into one mosaic drawn by a single ``imshow`` (one
    axes per digit made this figure ten times slower to lay out).

    Parameters
    ----------
    images : (n, h, w) pixel values in [0, 1]
    labels, pred_scratch, pred_torch : (n,) int
        True label and each side's prediction. Where the sides disagree both
        are shown ("s3 t5", orange).
    cols : int
        Images per row.
    """
    from matplotlib.patches import Rectangle

    n, h, w = images.shape
    rows = -(-n // cols)
    gap_x, gap_y = 2, 4  # pixels between tiles; the vertical gap holds the label
    cell_w, cell_h = w + gap_x, h + gap_y
    # NaN is drawn as background; the extra row keeps the last row's frames inside the axes.
    mosaic = np.full((rows * cell_h + 1, cols * cell_w), np.nan)
    fig = new_figure(1.05 * cols, 1.15 * rows + 0.5)
    ax = fig.subplots()
    for k, (image, true, ps, pt) in enumerate(zip(images, labels, pred_scratch, pred_torch,
                                                  strict=True)):
        y0, x0 = (k // cols) * cell_h + gap_y, (k % cols) * cell_w + gap_x // 2
        mosaic[y0:y0 + h, x0:x0 + w] = image
        if ps != pt:
            text, colour = f"s{ps} t{pt} ({true})", DISAGREE
        elif ps != true:
            text, colour = f"{ps} (true {true})", WRONG
        else:
            text, colour = f"{ps}", "black"
        ax.text(x0 + (w - 1) / 2, y0 - 0.9, text, color=colour, fontsize="small",
                ha="center", va="bottom")
        # Pixel centres sit on integers, so a tile spans x0 - 0.5 .. x0 + w - 0.5.
        frame = colour if colour != "black" else "0.6"
        ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), w, h, fill=False, edgecolor=frame,
                               linewidth=2.5 if colour != "black" else 0.6))
    cmap = _gray_with_white_background()
    ax.imshow(mosaic, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    fig.suptitle(title, fontsize="medium")
    return finish(fig, path, dpi)


def _gray_with_white_background():
    from matplotlib import colormaps

    return colormaps["gray_r"].with_extremes(bad="white")


def plot_training_curves(losses: dict[str, np.ndarray], eval_steps: np.ndarray,
                         accuracy: dict[tuple[str, str], np.ndarray],
                         divergence: dict[str, np.ndarray], path=None, *, title: str,
                         divergence_title: str = "divergence", dpi: float | None = None):
    """Three panels: loss per step, accuracy along the way, and |scratch - torch| per step.

    Each panel's legend sits beside it (the curves reach every corner), so no
    legend covers data. Returns the Figure.

    Parameters
    ----------
    losses : {"scratch": (K,), "torch": (K,)}
        The loss of step k = 1..K (on that step's batch).
    eval_steps : (E,) steps at which accuracy was measured
    accuracy : {(side, split): (E,)} for side in scratch/torch, split in train/test
    divergence : {label: (K,)} differences to draw on a log axis; exact zeros
        are drawn at a floor below the smallest non-zero value, and the legend says so.
    """
    fig = new_figure(17, 4.2)
    ax_loss, ax_acc, ax_div = fig.subplots(1, 3)
    steps = np.arange(1, len(losses["scratch"]) + 1)
    every = max(1, len(steps) // 40)
    ax_loss.plot(steps, losses["scratch"], "-", color="C0", lw=1, label="scratch")
    ax_loss.plot(steps, losses["torch"], "x", color="C1", ms=4, markevery=every, label="torch")
    ax_loss.set_xlabel("step")
    ax_loss.set_ylabel("cross-entropy loss (step's batch)")
    ax_loss.set_title("loss")
    ax_loss.legend(fontsize="small", **OUTSIDE_RIGHT)

    for colour, split in (("C0", "train"), ("C2", "test")):
        ax_acc.plot(eval_steps, accuracy[("scratch", split)], "-", color=colour,
                    label=f"{split}, scratch")
        ax_acc.plot(eval_steps, accuracy[("torch", split)], "x", color="C1" if split == "train"
                    else "C3", ms=6, label=f"{split}, torch")
    ax_acc.set_xlabel("step")
    ax_acc.set_ylabel("accuracy")
    ax_acc.set_ylim(0, 1.02)
    ax_acc.set_title("accuracy")
    ax_acc.legend(fontsize="small", **OUTSIDE_RIGHT)

    all_values = np.concatenate([np.asarray(v, np.float64) for v in divergence.values()])
    floor = zero_floor(all_values)
    for i, (label, values) in enumerate(divergence.items()):
        d = np.asarray(values, np.float64)
        ax_div.plot(steps, np.maximum(d, floor), ".", color=f"C{i}", ms=3, label=label)
    if (all_values == 0).any():
        ax_div.axhline(floor, color="0.6", lw=0.8, ls=":",
                       label=f"exactly 0 (drawn at {floor:.0e})")
    ax_div.set_yscale("log")
    ax_div.set_xlabel("step")
    ax_div.set_ylabel("|scratch - torch|")
    ax_div.set_title(divergence_title, fontsize="medium")
    ax_div.legend(fontsize="small", **OUTSIDE_RIGHT)
    fig.suptitle(title)
    return finish(fig, path, dpi)

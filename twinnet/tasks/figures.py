"""Turn task runs into figures: training curves for each task, a prediction grid for digits.

Each function returns its Figure and writes it when given a path (png, svg or pdf).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from twinnet.lecture.plotting import DPI, FORMATS

from . import plotting
from .runs import SIDES, SPLITS, TaskRun

GRID_SAMPLES = 48  # the first 48 test images: 6 rows of 8


def training_curves(run: TaskRun, path=None, *, dpi: float | None = None):
    """Loss per step of both sides, accuracy along the way, and the per-step divergence."""
    loss_s, loss_t = run.result.losses()
    status = ("in lockstep" if run.ok else f"lockstep FAILED at step {run.result.failed_step}")
    return plotting.plot_training_curves(
        {"scratch": loss_s, "torch": loss_t}, np.array(run.curve.steps),
        {(side, split): run.curve.array(side, split) for side in SIDES for split in SPLITS},
        {"|loss diff|": run.loss_diff, "max |param diff| after the update": run.param_diff},
        path, dpi=dpi, divergence_title=f"divergence\n(lockstep allows {run.result.atol:g} + "
                               f"{run.result.rtol:g} |torch| per element)",
        title=f"{run.spec.title}: scratch vs torch, {run.result.steps_run} SGD steps "
                    f"(lr {run.lr:g}), {status}")


def digit_predictions(run: TaskRun, path=None, n: int = GRID_SAMPLES, *,
                      dpi: float | None = None):
    """The first ``n`` test images with both sides' predicted labels."""
    split = run.split
    n = min(n, len(split.y_test))
    labels, ps, pt = split.y_test[:n], run.predictions["scratch"][:n], run.predictions["torch"][:n]
    wrong = int((ps != labels).sum())
    return plotting.plot_digit_grid(
        split.x_test[:n, 0], labels, ps, pt, path, dpi=dpi,
        title=f"Digits CNN, first {n} test images: predicted label above each "
              f"({wrong} wrong, framed red); test accuracy "
              f"{run.accuracy[('scratch', 'test')]:.4f}")


def make_task_figures(runs: Sequence[TaskRun], out_dir, *, fmt: str = "png",
                      dpi: float = DPI) -> dict[str, Path]:
    """Write ``<task>_training.<fmt>`` per run and ``digits_predictions.<fmt>``; paths by name.

    ``fmt`` is png, svg or pdf; ``dpi`` the raster resolution.
    """
    if fmt not in FORMATS:
        raise ValueError(f"make_task_figures: fmt must be one of {', '.join(FORMATS)}, "
                         f"got {fmt!r}")
    out = Path(out_dir)
    made = {}
    for run in runs:
        made[f"{run.name}_training"] = path = out / f"{run.name}_training.{fmt}"
        training_curves(run, path, dpi=dpi)
        if run.name == "digits":
            made["digits_predictions"] = path = out / f"digits_predictions.{fmt}"
            digit_predictions(run, path, dpi=dpi)
    return made

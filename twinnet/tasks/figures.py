"""Turn task runs into PNG files: training curves for each task, a prediction grid for digits."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import plotting
from .runs import SIDES, SPLITS, TaskRun

GRID_SAMPLES = 48  # the first 48 test images: 6 rows of 8


def training_curves(run: TaskRun, path) -> Path:
    """Loss per step of both sides, accuracy along the way, and the per-step divergence."""
    loss_s, loss_t = run.result.losses()
    status = ("in lockstep" if run.ok else f"lockstep FAILED at step {run.result.failed_step}")
    return plotting.plot_training_curves(
        {"scratch": loss_s, "torch": loss_t}, np.array(run.curve.steps),
        {(side, split): run.curve.array(side, split) for side in SIDES for split in SPLITS},
        {"|loss diff|": run.loss_diff, "max |param diff| after the update": run.param_diff},
        path, divergence_title=f"divergence\n(lockstep allows {run.result.atol:g} + "
                               f"{run.result.rtol:g} |torch| per element)",
        title=f"{run.spec.title}: scratch vs torch, {run.result.steps_run} SGD steps "
                    f"(lr {run.lr:g}), {status}")


def digit_predictions(run: TaskRun, path, n: int = GRID_SAMPLES) -> Path:
    """The first ``n`` test images with both sides' predicted labels."""
    split = run.split
    n = min(n, len(split.y_test))
    labels, ps, pt = split.y_test[:n], run.predictions["scratch"][:n], run.predictions["torch"][:n]
    wrong = int((ps != labels).sum())
    return plotting.plot_digit_grid(
        split.x_test[:n, 0], labels, ps, pt, path,
        title=f"Digits CNN, first {n} test images: predicted label above each "
              f"({wrong} wrong, framed red); test accuracy "
              f"{run.accuracy[('scratch', 'test')]:.4f}")


def make_task_figures(runs: Sequence[TaskRun], out_dir) -> dict[str, Path]:
    """Write ``<task>_training.png`` per run and ``digits_predictions.png``; paths by name."""
    out = Path(out_dir)
    made = {}
    for run in runs:
        made[f"{run.name}_training"] = training_curves(run, out / f"{run.name}_training.png")
        if run.name == "digits":
            made["digits_predictions"] = digit_predictions(run, out / "digits_predictions.png")
    return made

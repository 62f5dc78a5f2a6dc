"""Plain-text summary of task runs: one table row per task, then what lockstep said."""

from __future__ import annotations

from collections.abc import Sequence

from compare.present.table import table_lines

from .runs import TaskRun

HEADER = ("task", "steps", "lockstep", "final loss s / t", "train acc s / t", "test acc s / t",
          "max|dloss|", "max|dparam|", "time")


def _pair(a: float, b: float, fmt: str) -> str:
    return f"{a:{fmt}} / {b:{fmt}}"


def table_row(run: TaskRun) -> tuple[str, ...]:
    """The row of :data:`HEADER` for ``run`` (s = scratch, t = torch)."""
    res = run.result
    last = res.history[-1] if res.history else None
    loss = _pair(last.loss_scratch, last.loss_torch, ".4f") if last else "-"
    acc = run.accuracy
    return (run.name, f"{res.steps_run}/{res.steps}",
            "held" if res.ok else f"FAILED@{res.failed_step}", loss,
            _pair(acc[("scratch", "train")], acc[("torch", "train")], ".4f"),
            _pair(acc[("scratch", "test")], acc[("torch", "test")], ".4f"),
            f"{res.max_loss_diff:.2e}", f"{res.max_param_diff:.2e}", f"{run.seconds:.1f} s")


def format_runs(runs: Sequence[TaskRun]) -> str:
    """The table, then per task: the split, the settings, lockstep's message, and how many
    test predictions the two sides disagree on."""
    lines = table_lines([HEADER, *(table_row(r) for r in runs)])
    for run in runs:
        spec, split = run.spec, run.split
        batch = "full batch" if spec.batch_size is None else f"batches of {spec.batch_size}"
        lines += ["", f"{run.name}: {spec.title}; {split.x_train.dtype}; seed {run.seed}; "
                  f"{run.n_fit} train / {len(split.y_test)} test samples; "
                  f"SGD lr {run.lr:g}, {batch}",
                  f"  {run.result.message}".replace("\n", "\n  "),
                  f"  test predictions that differ between scratch and torch: "
                  f"{run.prediction_disagreements} of {len(split.y_test)}"]
    return "\n".join(lines)

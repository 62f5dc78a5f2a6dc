"""Cell [95]: 100 steps of gradient descent (lr 0.1) on the worked example's one sample.

The lecture trains ``Net`` from the worked example's weights (cell [85] ran
only a forward and backward pass, no update) for label 1 and invites the
reader to try label 0. Both runs go through :func:`compare.lockstep` against
the torch twin, so each step's loss, gradients and weights are compared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compare.lockstep_run import LockstepResult, lockstep

from .reference import SINGLE_SAMPLE_LR, SINGLE_SAMPLE_STEPS, example_arrays
from .worked_example import lecture_net

LABELS = (1, 0)


@dataclass
class SingleSampleRun:
    """One label's run.

    ``loss_*`` (steps,) is J before each update and ``score_*`` (steps,) the
    prediction y before each update, as the lecture appends them.
    """

    label: int
    result: LockstepResult

    @property
    def loss_scratch(self) -> np.ndarray:
        return self.result.losses()[0]

    @property
    def loss_torch(self) -> np.ndarray:
        return self.result.losses()[1]

    @property
    def score_scratch(self) -> np.ndarray:
        return self.result.outputs()[0].reshape(-1)

    @property
    def score_torch(self) -> np.ndarray:
        return self.result.outputs()[1].reshape(-1)

    @property
    def max_trajectory_diff(self) -> float:
        """Largest |scratch - torch| over every step's loss, score and weights."""
        return max(self.result.max_loss_diff, self.result.max_param_diff,
                   float(np.max(np.abs(self.score_scratch - self.score_torch))))


def run_single_sample(labels=LABELS, steps: int = SINGLE_SAMPLE_STEPS,
                      lr: float = SINGLE_SAMPLE_LR, W=None, V=None) -> list[SingleSampleRun]:
    """Train the lecture's net on x = [5, 3] for each label, scratch and torch in lockstep."""
    x = example_arrays()[0]
    return [SingleSampleRun(label, lockstep(lecture_net(W, V), x, label, None, steps, lr))
            for label in labels]


def format_single_sample(runs: list[SingleSampleRun], every: int = 10) -> str:
    """The table ``twinnet lecture single-sample`` prints: every ``every``-th step and the last."""
    lines = []
    for run in runs:
        n = run.result.steps_run
        lines.append(f"label {run.label}: {n} steps, lr {SINGLE_SAMPLE_LR:g}, from the worked "
                     "example's weights")
        lines.append(f"  {'step':>4} {'loss scratch':>22} {'loss torch':>22} {'score scratch':>22}"
                     f" {'score torch':>22} {'|W diff| after':>16}")
        for k in sorted({*range(0, n, every), n - 1}):
            rec = run.result.history[k]
            lines.append(f"  {k:>4} {run.loss_scratch[k]:>22.17g} {run.loss_torch[k]:>22.17g} "
                         f"{run.score_scratch[k]:>22.17g} {run.score_torch[k]:>22.17g} "
                         f"{rec.max_param_diff:>16.3e}")
        lines.append(f"  {run.result.message}")
        lines.append(f"  max |scratch - torch| over all {n} steps (loss, score, weights): "
                     f"{run.max_trajectory_diff:.3e}")
        lines.append("")
    worst = max(run.max_trajectory_diff for run in runs)
    verdict = "<=" if worst <= 1e-10 else ">"
    lines.append(f"trajectories agree to {worst:.3e} {verdict} 1e-10 (float64)")
    return "\n".join(lines)

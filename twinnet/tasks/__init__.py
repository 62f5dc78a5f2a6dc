"""Real tasks trained in lockstep, scratch beside torch: a CNN on scikit-learn's 8x8 digits
and a 3-class MLP on Iris.

    run = run_task("digits")          # TaskRun: lockstep result, accuracies, predictions
    print(format_runs([run]))

    from twinnet.tasks.figures import make_task_figures
    make_task_figures([run], "out/figures")

matplotlib is loaded only by :mod:`.figures` (through :mod:`.plotting`), which
this package does not import.
"""

from .batches import epoch_batches, lockstep_batches
from .data import Split, load_digits_split, load_iris_split, stratified_split
from .models import digits_cnn, iris_mlp
from .runs import TASKS, TaskRun, TaskSpec, run_task
from .summary import format_runs

__all__ = [
    "TASKS", "Split", "TaskRun", "TaskSpec", "digits_cnn", "epoch_batches", "format_runs",
    "iris_mlp", "load_digits_split", "load_iris_split", "lockstep_batches", "run_task",
    "stratified_split",
]

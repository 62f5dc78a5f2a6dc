"""Run a task: train scratch and its torch twin in lockstep, then score both sides.

``run_task("digits")`` or ``run_task("iris")`` returns a :class:`TaskRun`
holding the lockstep result (per-step losses and differences), the accuracy
of each side on the training and test sets (at the end and along the way),
both sides' test predictions and the wall time.

One ``seed`` drives everything through ``np.random.default_rng(seed).spawn(3)``:
the train/test split, the initial weights and the minibatch order.

Torch runs on one intra-op thread while a task trains (restored afterwards):
these tensors are tiny (a 64 x 1 x 8 x 8 batch), so splitting an op over
threads costs more than it saves, and on a busy machine it costs a great deal.
Measured on this project's 2-core box under load, 50 digits steps took about
1 s with one thread and 5 to 18 s with two.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch

import scratch
import torch_ref
from compare.lockstep_run import LockstepResult

from .batches import epoch_batches, lockstep_batches
from .data import Split, load_digits_split, load_iris_split
from .models import digits_cnn, iris_mlp

SIDES = ("scratch", "torch")
SPLITS = ("train", "test")


@dataclass(frozen=True)
class TaskSpec:
    """What a task trains on, and with which defaults.

    Attributes
    ----------
    name : str
    title : str
    load : callable(rng, dtype) -> Split
    build : callable(rng, dtype) -> scratch model
    steps : int
        Default number of SGD steps.
    lr : float
    batch_size : int | None
        None: full-batch gradient descent.
    eval_every : int
        Steps between accuracy measurements along the way.
    """

    name: str
    title: str
    load: Callable[[np.random.Generator, type], Split]
    build: Callable[[np.random.Generator, type], scratch.Sequential]
    steps: int
    lr: float
    batch_size: int | None
    eval_every: int


TASKS = {
    # 1438 training images in batches of 64: 23 steps per epoch, so 460 steps are 20 epochs.
    "digits": TaskSpec("digits", "Digits CNN (8x8 images, 10 classes)", load_digits_split,
                       digits_cnn, steps=460, lr=0.3, batch_size=64, eval_every=23),
    "iris": TaskSpec("iris", "Iris MLP (4 features, 3 classes)", load_iris_split, iris_mlp,
                     steps=300, lr=0.5, batch_size=None, eval_every=10),
}


@dataclass
class AccuracyCurve:
    """Accuracy measured every few steps: ``values[(side, split)]`` has shape (len(steps),)."""

    steps: list[int] = field(default_factory=list)
    values: dict[tuple[str, str], list[float]] = field(
        default_factory=lambda: {(s, p): [] for s in SIDES for p in SPLITS})

    def add(self, step: int, accuracy: dict[tuple[str, str], float]) -> None:
        self.steps.append(step)
        for key, value in accuracy.items():
            self.values[key].append(value)

    def array(self, side: str, split: str) -> np.ndarray:
        return np.array(self.values[(side, split)])


@dataclass
class TaskRun:
    """One task trained in lockstep.

    Attributes
    ----------
    spec : TaskSpec
    seed : int
    split : Split
    result : LockstepResult
        Every step's record: losses of both sides and their differences.
    accuracy : dict[(side, split), float]
        At the end of training; side in ("scratch", "torch"), split in ("train", "test").
    predictions : dict[side, np.ndarray]
        Final predicted test labels, (n_test,) each.
    curve : AccuracyCurve
        Accuracy at step 0, every ``spec.eval_every`` steps and at the last step run.
    seconds : float
        Wall time of training (including the accuracy measurements).
    lr : float
        The learning rate used.
    n_fit : int
        Training samples the steps drew from (all of them unless ``train_limit``).
    """

    spec: TaskSpec
    seed: int
    split: Split
    result: LockstepResult
    accuracy: dict[tuple[str, str], float]
    predictions: dict[str, np.ndarray]
    curve: AccuracyCurve
    seconds: float
    lr: float
    n_fit: int

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def ok(self) -> bool:
        return self.result.ok

    @property
    def loss_diff(self) -> np.ndarray:
        """|loss_scratch - loss_torch| per step run, (steps_run,)."""
        return np.array([r.loss_diff for r in self.result.history])

    @property
    def param_diff(self) -> np.ndarray:
        """Largest |scratch - torch| over all parameters after each step's update, (steps_run,)."""
        return np.array([r.max_param_diff for r in self.result.history])

    @property
    def prediction_disagreements(self) -> int:
        """Test samples on which the two sides predict different labels."""
        return int((self.predictions["scratch"] != self.predictions["torch"]).sum())


def predict_scratch(model, x: np.ndarray) -> np.ndarray:
    """Labels (n,) from a scratch model's logits (n, classes)."""
    return model.forward(x).argmax(axis=1)


def predict_torch(twin: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    """Labels (n,) from the torch twin's logits (n, classes)."""
    with torch.no_grad():
        return twin(torch.from_numpy(x)).numpy().argmax(axis=1)


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with torch limited to ``n`` intra-op threads (None: leave it alone)."""
    if n is None:
        yield
        return
    if n < 1:
        raise ValueError(f"torch_threads: need n >= 1 or None, got {n}")
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run_task(name: str, steps: int | None = None, seed: int = 0, *, dtype=np.float64,
             build: Callable | None = None, train_limit: int | None = None,
             lr: float | None = None, threads: int | None = 1,
             on_step: Callable[[int], None] | None = None) -> TaskRun:
    """Train task ``name`` ("digits" or "iris") in lockstep and score both sides.

    Parameters
    ----------
    name : str
    steps : int, optional
        SGD steps (default: the task's ``spec.steps``).
    seed : int
    dtype : float64 (default) or float32
    build : callable(rng, dtype) -> scratch model, optional
        Replaces the task's model (e.g. one with a planted bug).
    train_limit : int, optional
        Train on only the first ``train_limit`` training samples (quick runs);
        accuracy is still measured on the whole training and test sets.
    lr : float, optional
        Default: the task's ``spec.lr``.
    threads : int or None
        Torch intra-op threads while training (default 1, see the module
        docstring); None keeps torch's current setting.
    on_step : callable(int), optional
        Called with the step number after each SGD step (e.g. a progress bar's update).
    """
    if name not in TASKS:
        raise ValueError(f"run_task: unknown task {name!r}; choose from {sorted(TASKS)}")
    with torch_threads(threads):
        return _run(TASKS[name], steps, seed, dtype, build, train_limit, lr, on_step)


def _run(spec: TaskSpec, steps, seed, dtype, build, train_limit, lr, on_step) -> TaskRun:
    steps = spec.steps if steps is None else steps
    split_rng, init_rng, batch_rng = np.random.default_rng(seed).spawn(3)
    split = spec.load(split_rng, dtype)
    model = (build or spec.build)(init_rng, dtype)
    twin = torch_ref.to_torch(model)
    lr = spec.lr if lr is None else lr
    x_fit, y_fit = split.x_train[:train_limit], split.y_train[:train_limit]
    batches = epoch_batches(len(y_fit), spec.batch_size, steps, batch_rng)

    def accuracy() -> dict[tuple[str, str], float]:
        return {(side, part): float((predict(x) == y).mean())
                for side, predict in (("scratch", lambda x: predict_scratch(model, x)),
                                      ("torch", lambda x: predict_torch(twin, x)))
                for part, x, y in (("train", split.x_train, split.y_train),
                                   ("test", split.x_test, split.y_test))}

    curve = AccuracyCurve()
    curve.add(0, accuracy())

    def after_step(step: int) -> None:
        if on_step is not None:
            on_step(step)
        if step % spec.eval_every == 0:
            curve.add(step, accuracy())

    start = time.perf_counter()
    result = lockstep_batches(model, x_fit, y_fit, batches, "cross_entropy", lr, twin=twin,
                              after_step=after_step)
    final = accuracy()
    if curve.steps[-1] != result.steps_run:
        curve.add(result.steps_run, final)
    seconds = time.perf_counter() - start
    predictions = {"scratch": predict_scratch(model, split.x_test),
                   "torch": predict_torch(twin, split.x_test)}
    return TaskRun(spec, seed, split, result, final, predictions, curve, seconds, lr, len(y_fit))

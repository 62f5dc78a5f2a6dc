"""Train a scratch model and its torch twin side by side; stop at the first drift.

``lockstep(model, x, y, loss, steps, lr)`` copies ``model`` into torch
(``torch_ref.to_torch``), then repeats ``steps`` times, on both sides:

1. forward and loss (compared: the loss),
2. backward (compared: every parameter's gradient),
3. one SGD update (compared: every parameter after it).

The scratch side steps with ``scratch.SGD`` (for the lecture's ``scratch.Net``
without momentum, with its own ``grad_step(lr)``); the torch side with
``torch.optim.SGD`` at the same ``lr`` and ``momentum``. For ``scratch.Net``
the loss is the one built into ``Net.backward(label)`` (BCE summed over the
batch), twinned by ``torch_ref.LectureNet.loss``; ``y`` holds the 0/1 labels.

Failure mode (chosen): ``lockstep`` never raises on a mismatch. It stops at the
first step where anything is beyond tolerance and returns a
:class:`LockstepResult` with ``ok=False`` whose ``message`` names the step, what
diverged (loss, gradient or parameter), the parameter (scratch and torch
names), the worst element and the tolerance. :func:`assert_lockstep` is the
raising form (:class:`LockstepDivergence`, an AssertionError). Bad arguments
(unknown loss, lone rtol) do raise at once.

Tolerances: ``compare.tolerances`` (one table for all of twinnet), applied
per element as ``|scratch - torch| <= atol + rtol * |torch|`` by
``compare.diff.compare_many``: the loss and parameters use the dtype's
"forward" row, gradients its "gradient" row (float64: rtol = atol = 1e-7;
float32: rtol = 1.3e-6, atol = 1e-5). rtol and atol travel together and, when
given, replace every row. They are applied at every step, so a long float32
run in which roundoff compounds may need looser values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

import scratch
import torch_ref

from .diff import MISMATCH, OK, ArrayDiff, compare_many
from .objective import resolve_loss
from .tolerances import FORWARD, GRADIENT, Tolerance, resolve_pair, tolerance_for


@dataclass(frozen=True)
class Mismatch:
    """One compared quantity at one step: a ``compare.diff.ArrayDiff`` with its name.

    ``kind`` is "loss", "gradient" or "parameter"; ``name`` the scratch
    parameter name (None for the loss) and ``torch_name`` its torch name. The
    index of the worst element is in scratch's layout.
    """

    kind: str
    name: str | None
    torch_name: str | None
    diff: ArrayDiff

    @property
    def ok(self) -> bool:
        return self.diff.ok

    @property
    def index(self) -> tuple[int, ...] | None:
        return self.diff.worst_index

    @property
    def max_abs_diff(self) -> float:
        """Largest |scratch - torch| over the elements (finite on both sides)."""
        return self.diff.max_abs

    @property
    def excess(self) -> float:
        """Largest |diff| / allowed (> 1 fails); inf for NaN/inf disagreements."""
        return self.diff.ratio if self.diff.status in (OK, MISMATCH) else float("inf")

    def describe(self) -> str:
        if self.name is None:
            what = "loss"
        elif self.kind == "gradient":
            what = f"gradient of {self.name!r} (torch {self.torch_name!r})"
        else:
            what = f"parameter {self.name!r} (torch {self.torch_name!r}) after the update"
        return f"{what}: {self.diff.describe('scratch', 'torch')}"


@dataclass
class StepRecord:
    """What one step compared.

    ``param_diff`` and ``grad_diff`` map each scratch parameter name to the
    largest |scratch - torch| over its elements (gradients before the update,
    parameters after it). ``output_*`` are the forward outputs (batch, out) when
    ``record=True``, else None.
    """

    step: int
    loss_scratch: float
    loss_torch: float
    grad_diff: dict[str, float]
    param_diff: dict[str, float]
    output_scratch: np.ndarray | None = None
    output_torch: np.ndarray | None = None

    @property
    def loss_diff(self) -> float:
        return abs(self.loss_scratch - self.loss_torch)

    @property
    def worst_param(self) -> str | None:
        return max(self.param_diff, key=self.param_diff.get) if self.param_diff else None

    @property
    def max_param_diff(self) -> float:
        return max(self.param_diff.values(), default=0.0)


@dataclass
class LockstepResult:
    """Outcome of :func:`lockstep`.

    Attributes
    ----------
    ok : bool
        True when every step agreed within tolerance.
    steps : int
        Steps requested.
    steps_run : int
        Steps executed (up to and including a failing one).
    history : list[StepRecord]
        Every step with ``record=True``; otherwise only the last one run.
    failed_step : int | None
        The first step beyond tolerance (0: the starting weights already differ).
    failures : list[Mismatch]
        Everything beyond tolerance at ``failed_step``, worst first.
    max_loss_diff, max_param_diff : float
        Largest |scratch - torch| of the loss, and of any parameter after any update.
    worst_param : str | None
        The parameter that reached ``max_param_diff``; ``worst_param_step`` when.
    max_grad_diff : float
        Largest |scratch - torch| of any gradient at any step.
    rtol, atol : float
    """

    ok: bool
    steps: int
    steps_run: int
    rtol: float
    atol: float
    history: list[StepRecord] = field(default_factory=list)
    failed_step: int | None = None
    failures: list[Mismatch] = field(default_factory=list)
    max_loss_diff: float = 0.0
    max_param_diff: float = 0.0
    worst_param: str | None = None
    worst_param_step: int | None = None
    max_grad_diff: float = 0.0

    @property
    def failure(self) -> Mismatch | None:
        """The worst mismatch at ``failed_step`` (``failures[0]``), or None when ok."""
        return self.failures[0] if self.failures else None

    @property
    def message(self) -> str:
        """A summary: one line when ok, else the failing step, its worst mismatch, and a hint."""
        tol = f"rtol={self.rtol:g}, atol={self.atol:g}"
        if self.ok:
            worst = (f" ({self.worst_param} at step {self.worst_param_step})"
                     if self.worst_param is not None else "")
            return (f"lockstep ok: {self.steps_run} steps agree ({tol}); "
                    f"max |loss diff| {self.max_loss_diff:.3e}, max |param diff| "
                    f"{self.max_param_diff:.3e}{worst}")
        when = ("before training (the starting weights differ)" if self.failed_step == 0
                else f"at step {self.failed_step} of {self.steps}")
        lines = [f"lockstep diverged {when}, {tol}:", "  " + self.failures[0].describe()]
        if len(self.failures) > 1:
            others = ", ".join(f"{m.kind} {m.name or 'loss'}" for m in self.failures[1:])
            lines.append(f"  also beyond tolerance at this step: {others}")
        first = self.failures[0]
        if first.kind == "parameter" and self.history and self.history[-1].grad_diff:
            g = max(self.history[-1].grad_diff.values())
            lines.append(f"  the gradients agreed at this step (max |diff| {g:.3e}), so the "
                         "update itself differs (learning rate, momentum, optimizer?)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.message

    def losses(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-step loss (scratch, torch), shape (steps_run,) each; needs ``record=True``."""
        self._need_history("losses")
        return (np.array([r.loss_scratch for r in self.history]),
                np.array([r.loss_torch for r in self.history]))

    def outputs(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-step forward outputs (scratch, torch), shape (steps_run, batch, out) each."""
        self._need_history("outputs")
        return (np.stack([r.output_scratch for r in self.history]),
                np.stack([r.output_torch for r in self.history]))

    def _need_history(self, what: str) -> None:
        if len(self.history) != self.steps_run or (self.history and
                                                   self.history[0].output_scratch is None):
            raise ValueError(f"LockstepResult.{what}(): run lockstep with record=True")


class LockstepDivergence(AssertionError):
    """Raised by :func:`assert_lockstep`; ``.result`` holds the full LockstepResult."""

    def __init__(self, result: LockstepResult) -> None:
        super().__init__(result.message)
        self.result = result


def lockstep(model, x: np.ndarray, y, loss, steps: int, lr: float, momentum: float = 0.0, *,
             rtol: float | None = None, atol: float | None = None, record: bool = True,
             twin: torch.nn.Module | None = None,
             torch_optimizer: Callable | None = None,
             scratch_optimizer: Callable | None = None) -> LockstepResult:
    """Train ``model`` and its torch twin for ``steps`` SGD steps, comparing every step.

    Parameters
    ----------
    model : scratch model with ``params``/``grads`` (e.g. ``Sequential``) or ``scratch.Net``
        Trained in place.
    x : np.ndarray, (batch, in_features), the model's dtype
    y : np.ndarray
        Targets as ``loss`` expects them ((batch, out) floats, or (batch,) int
        labels for cross-entropy); for ``scratch.Net`` 0/1 labels, scalar or (batch,).
    loss : scratch.Loss or name ("bce", "bce_with_logits", "mse", "cross_entropy")
        None for ``scratch.Net`` (its loss is built in).
    steps : int
    lr, momentum : float
        Same on both sides.
    rtol, atol : float, optional
        Both or neither; default from the dtype table in the module docstring.
    record : bool
        Keep every step's record (losses, outputs); False keeps only the last.
    twin : torch.nn.Module, optional
        A twin built by ``torch_ref.to_torch`` (it carries the parameter map);
        default: built here from ``model``.
    torch_optimizer : callable(parameters) -> torch.optim.Optimizer, optional
        Default ``torch.optim.SGD(parameters, lr=lr, momentum=momentum)``.
    scratch_optimizer : callable(model) -> object with ``step()``, optional
        The scratch side's optimizer, e.g. a hand-written one to check against
        torch's; default ``scratch.SGD(model, lr, momentum)`` (``Net.grad_step``
        for the lecture's Net without momentum).

    Returns
    -------
    LockstepResult
        ``ok=False`` and a message naming step and parameter at the first drift.
    """
    if steps < 1 or lr <= 0 or momentum < 0:
        raise ValueError(f"lockstep: need steps >= 1, lr > 0, momentum >= 0; got steps={steps}, "
                         f"lr={lr}, momentum={momentum}")
    tol_forward, tol_grad = _tolerances(_model_dtype(model), rtol, atol)
    pair = _Pair(model, twin if twin is not None else torch_ref.to_torch(model), x, y, loss)
    opt_s = (_scratch_updater(model, lr, momentum) if scratch_optimizer is None
             else scratch_optimizer(model).step)
    opt_t = (torch_optimizer or (lambda p: torch.optim.SGD(p, lr=lr, momentum=momentum)))(
        pair.twin.parameters())
    result = LockstepResult(ok=True, steps=steps, steps_run=0, rtol=tol_forward.rtol,
                            atol=tol_forward.atol)

    if _fail(result, 0, _judge("parameter", pair.params(), tol_forward)):
        return result
    for k in range(1, steps + 1):
        loss_s, out_s = pair.scratch_forward_backward()
        opt_t.zero_grad()
        loss_t, out_t = pair.torch_forward_backward()
        checks = _judge("loss", [(None, None, np.float64(loss_s), np.float64(loss_t))],
                        tol_forward)
        grads = _judge("gradient", pair.grads(), tol_grad)
        opt_s()
        opt_t.step()
        params = _judge("parameter", pair.params(), tol_forward)
        rec = StepRecord(k, loss_s, loss_t, {m.name: m.max_abs_diff for m in grads},
                         {m.name: m.max_abs_diff for m in params},
                         out_s.copy() if record else None, out_t.copy() if record else None)
        _account(result, rec, record)
        if _fail(result, k, checks + grads + params):
            return result
    return result


def assert_lockstep(*args, **kwargs) -> LockstepResult:
    """:func:`lockstep`, raising :class:`LockstepDivergence` (with the message) on drift."""
    __tracebackhide__ = True
    result = lockstep(*args, **kwargs)
    if not result.ok:
        raise LockstepDivergence(result)
    return result


# -- the two sides ---------------------------------------------------------------
class _Pair:
    """A scratch model and its twin, run on the same (x, y)."""

    def __init__(self, model, twin, x, y, loss) -> None:
        self.model, self.twin, self.x, self.y = model, twin, x, y
        self.links = torch_ref.param_map(twin)
        self.torch_params = dict(twin.named_parameters())
        self.x_t = torch_ref.as_tensor_safe(x)
        self.is_net = isinstance(model, scratch.Net)
        self.loss, _ = resolve_loss("lockstep", "net" if self.is_net else "model", loss, y,
                                    upstream_allowed=False, net_loss_names=(None,))
        if self.is_net:
            self.label_t = torch_ref.as_tensor_safe(np.asarray(y))
        else:
            self.loss_t = torch_ref.loss_to_torch(self.loss)
            self.y_t = torch_ref.target_to_torch(self.loss, y)

    def scratch_forward_backward(self) -> tuple[float, np.ndarray]:
        if self.is_net:
            out = self.model.predict(self.x)
            return float(self.model.backward(self.y).sum()), out
        out = self.model.forward(self.x)
        value = self.loss.forward(out, self.y)
        self.model.backward(self.loss.backward())
        return value, out

    def torch_forward_backward(self) -> tuple[float, np.ndarray]:
        out = self.twin(self.x_t)
        value = (torch_ref.LectureNet.loss(out, self.label_t, "sum") if self.is_net
                 else self.loss_t(out, self.y_t))
        value.backward()
        return float(value.item()), out.detach().numpy()

    def params(self):
        for link in self.links:
            yield (link.scratch_name, link.torch_name, self.model.params[link.scratch_name],
                   torch_ref.torch_to_scratch_layout(link, self.torch_params[link.torch_name]))

    def grads(self):
        for link in self.links:
            g = self.torch_params[link.torch_name].grad
            t = (np.zeros_like(self.model.grads[link.scratch_name]) if g is None
                 else torch_ref.torch_to_scratch_layout(link, g))
            yield link.scratch_name, link.torch_name, self.model.grads[link.scratch_name], t


def _scratch_updater(model, lr: float, momentum: float) -> Callable[[], None]:
    if isinstance(model, scratch.Net) and momentum == 0:
        return lambda: model.grad_step(lr)  # the lecture's own update
    return scratch.SGD(model, lr, momentum).step


# -- judging ---------------------------------------------------------------------
def _judge(kind: str, items, tol: Tolerance) -> list[Mismatch]:
    """Compare (name, torch_name, scratch, torch) items with one vectorised pass."""
    items = list(items)
    diffs = compare_many([(s, t, tol) for _, _, s, t in items])
    return [Mismatch(kind, name, tname, d) for (name, tname, _, _), d in zip(items, diffs,
                                                                             strict=True)]


def _fail(result: LockstepResult, step: int, mismatches: list[Mismatch]) -> bool:
    bad = sorted((m for m in mismatches if not m.ok), key=lambda m: -m.excess)
    if bad:
        result.ok, result.failed_step, result.failures = False, step, bad
    return bool(bad)


def _account(result: LockstepResult, rec: StepRecord, record: bool) -> None:
    result.steps_run = rec.step
    result.max_loss_diff = max(result.max_loss_diff, rec.loss_diff)
    result.max_grad_diff = max([result.max_grad_diff, *rec.grad_diff.values()])
    if rec.worst_param is not None and (result.worst_param is None
                                        or rec.max_param_diff > result.max_param_diff):
        result.max_param_diff, result.worst_param = rec.max_param_diff, rec.worst_param
        result.worst_param_step = rec.step
    if record:
        result.history.append(rec)
    else:
        result.history[:] = [rec]


def _model_dtype(model) -> np.dtype:
    dtypes = {a.dtype for a in model.params.values()}
    if len(dtypes) != 1:
        raise ValueError(f"lockstep: {model!r} must have parameters of one dtype, "
                         f"got {sorted(map(str, dtypes))}")
    return dtypes.pop()


def _tolerances(dtype: np.dtype, rtol, atol) -> tuple[Tolerance, Tolerance]:
    """(forward, gradient) tolerances: the caller's pair for both, else the table's rows."""
    pair = resolve_pair(rtol, atol)
    if pair is not None:
        return pair, pair
    return tolerance_for(dtype, FORWARD), tolerance_for(dtype, GRADIENT)

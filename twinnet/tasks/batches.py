"""Lockstep over a sequence of minibatches, built on ``compare.lockstep``.

``compare.lockstep`` trains on one (x, y) for all of its steps. Minibatch SGD
needs a new batch each step, so :func:`lockstep_batches` calls it once per
batch with ``steps=1``, handing it the same torch twin every time (so neither
side is ever rebuilt from the other: any drift carries over to the next
step), and merges the one-step results into a single
``compare.LockstepResult`` numbered by global step. Its ``message``
then names the global step and the parameter of the first drift.

Limitation: each ``lockstep`` call starts fresh optimizers, so an optimizer
with state (momentum) cannot be carried across batches this way; plain SGD
(momentum 0) is stateless, and the result is the same as one long run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
import torch

import torch_ref
from compare.lockstep_run import LockstepResult, StepRecord, lockstep

Rows = np.ndarray | slice  # which samples form one batch: an index array, or slice(None)


def epoch_batches(n_samples: int, batch_size: int | None, steps: int,
                  rng: np.random.Generator) -> list[Rows]:
    """The batches of ``steps`` SGD steps over ``n_samples`` training samples.

    Each epoch draws a fresh permutation from ``rng`` and cuts it into
    ``ceil(n_samples / batch_size)`` batches whose sizes differ by at most one
    (no sample is dropped); epochs repeat until there are ``steps`` batches.
    ``batch_size=None`` (or >= n_samples) means full-batch: every step uses all
    samples, in their stored order.

    Returns
    -------
    list of ``steps`` row selectors: int arrays of shape (batch,), or ``slice(None)``.
    """
    if steps < 1 or n_samples < 1:
        raise ValueError(f"epoch_batches: need steps >= 1 and n_samples >= 1, got steps={steps}, "
                         f"n_samples={n_samples}")
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"epoch_batches: batch_size must be >= 1 or None, got {batch_size}")
    if batch_size is None or batch_size >= n_samples:
        return [slice(None)] * steps
    per_epoch = -(-n_samples // batch_size)  # ceil
    batches: list[Rows] = []
    while len(batches) < steps:
        batches.extend(np.array_split(rng.permutation(n_samples), per_epoch))
    return batches[:steps]


def lockstep_batches(model, x: np.ndarray, y: np.ndarray, batches: Sequence[Rows], loss,
                     lr: float, *, twin: torch.nn.Module | None = None,
                     rtol: float | None = None, atol: float | None = None,
                     after_step: Callable[[int], None] | None = None) -> LockstepResult:
    """Train ``model`` and its twin with plain SGD, one step per batch, comparing every step.

    Parameters
    ----------
    model : scratch model with ``params``/``grads`` (trained in place)
    x : (n, ...) inputs; y : (n,) or (n, out) targets as ``loss`` expects them
    batches : sequence of row selectors into x and y (see :func:`epoch_batches`)
    loss : scratch.Loss or loss name, as for ``compare.lockstep``
    lr : float
    twin : torch.nn.Module, optional
        ``torch_ref.to_torch(model)`` taken before training; built here if absent.
        Pass it to evaluate the torch side afterwards.
    rtol, atol : float, optional
        As for ``compare.lockstep``.
    after_step : callable(step), optional
        Called after every step that agreed (e.g. to record accuracy); it must
        not change either model's parameters.

    Returns
    -------
    LockstepResult
        Over all steps: ``steps=len(batches)``, ``history`` with one record per
        step run (global step numbers), ``failed_step``/``failures`` at the
        first drift, and the running maxima of the differences.
    """
    if len(batches) < 1:
        raise ValueError("lockstep_batches: need at least one batch")
    twin = twin if twin is not None else torch_ref.to_torch(model)
    total: LockstepResult | None = None
    for step, rows in enumerate(batches, start=1):
        part = lockstep(model, x[rows], y[rows], loss, steps=1, lr=lr, twin=twin,
                        rtol=rtol, atol=atol)
        if total is None:
            total = LockstepResult(ok=True, steps=len(batches), steps_run=0, rtol=part.rtol,
                                   atol=part.atol)
        if part.history:  # empty only when the weights differed before this step
            _add_step(total, replace(part.history[-1], step=step))
        if not part.ok:
            # part.failed_step is 1 (this step) or 0 (the weights going in already differ)
            total.ok, total.failures = False, part.failures
            total.failed_step = step - 1 + part.failed_step
            break
        if after_step is not None:
            after_step(step)
    return total


def _add_step(total: LockstepResult, rec: StepRecord) -> None:
    """Append one step's record and update the running maxima."""
    total.history.append(rec)
    total.steps_run = rec.step
    total.max_loss_diff = max(total.max_loss_diff, rec.loss_diff)
    total.max_grad_diff = max([total.max_grad_diff, *rec.grad_diff.values()])
    if rec.worst_param is not None and (total.worst_param is None
                                        or rec.max_param_diff > total.max_param_diff):
        total.max_param_diff, total.worst_param = rec.max_param_diff, rec.worst_param
        total.worst_param_step = rec.step

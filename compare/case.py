"""What a random case is: the :class:`Case` record, its constants, and the loss/target draws.

Shared by the dense generator (:mod:`compare.cases`) and the convolutional and
recurrent one (:mod:`compare.cases_conv`), so that neither imports the other's
internals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import scratch
import torch_ref

from .model_check import check_model
from .report import Report

DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
KINKED = (scratch.ReLU, scratch.Step)
BCE_INPUT_LIMIT = {np.dtype(np.float32): 4.0, np.dtype(np.float64): 12.0}
KINK_SAFETY = 8.0      # a pre-activation within 8 bounds of 0 is too close to call
NEAR_KINK = 1000.0     # a deliberate near-kink point sits 1000 bounds from 0
MAX_DRAWS = 50


@dataclass(eq=False)
class Case:
    """One random model with its data; ``check()`` runs :func:`compare.check_model`.

    Attributes
    ----------
    seed : int
    dtype : np.dtype
    model : scratch.Sequential, scratch.Net or a single scratch layer
    x : np.ndarray, (batch, in)
    y : targets (or labels for Net), or None with no loss
    loss : scratch loss, or None (Net: its own; otherwise a random upstream)
    kinks : list[str]
        What was placed at or near a kink, e.g. "exact 0 into layer 1 (ReLU()) unit 2".
    """

    seed: int
    dtype: np.dtype
    model: object
    x: np.ndarray
    y: object
    loss: object
    kinks: list = field(default_factory=list)

    @property
    def replay(self) -> str:
        """Python that rebuilds and checks this case.

        E.g. ``"compare.random_case(7, dtype='float64').check()"``.
        """
        return f"compare.random_case({self.seed}, dtype='{self.dtype.name}').check()"

    def check(self, **kwargs) -> Report:
        """check_model on this case; backward runs twice unless told otherwise.

        Parameters
        ----------
        **kwargs
            Passed to :func:`compare.check_model` (``seed``, ``backward_twice`` and
            ``replay`` default to this case's).

        Returns
        -------
        Report
        """
        kwargs.setdefault("seed", self.seed)
        kwargs.setdefault("backward_twice", True)
        kwargs.setdefault("replay", self.replay)
        return check_model(self.model, self.x, self.y, self.loss, **kwargs)

    def __str__(self) -> str:
        if isinstance(self.model, scratch.Net):
            model, loss = f"Net({self.model.l1.in_dim}, {self.model.l1.out_dim})", \
                "Net's summed BCE"
        else:
            model = repr(self.model)
            loss = "random upstream" if self.loss is None else repr(self.loss)
        return (f"case {self.seed}: {model} + {loss}, batch {self.x.shape[0]}, "
                f"{self.dtype.name}" + (f"; {'; '.join(self.kinks)}" if self.kinks else ""))


def pick_loss(rng, allow_bce: bool):
    """Draw a loss name, or None for a random upstream; BCE only where a sigmoid feeds it."""
    names = ["bce", "bce_with_logits", "mse", "cross_entropy", None]
    p = [0.3, 0.2, 0.25, 0.2, 0.05] if allow_bce else [0.0, 0.3, 0.35, 0.3, 0.05]
    return names[int(rng.choice(5, p=p))]


def loss_named(name, rng):
    """The scratch loss ``name`` with a drawn reduction (mean 60%, sum 40%); None stays None."""
    if name is None:
        return None
    return torch_ref.loss_by_name(name, reduction="mean" if rng.random() < 0.6 else "sum")


def draw_targets(rng, model, loss, out: tuple, dt):
    """Targets for ``loss`` on an output shaped ``out``: labels, 0/1 or soft targets, normals."""
    if isinstance(model, scratch.Net):
        labels = rng.integers(0, 2, size=out[0])
        return int(labels[0]) if rng.random() < 0.3 else labels
    if loss is None:
        return None
    if isinstance(loss, scratch.CrossEntropyLoss):
        return rng.integers(0, out[1], size=out[0])
    if isinstance(loss, scratch.BCELoss | scratch.BCEWithLogitsLoss):
        hard = rng.random() < 0.7
        return (rng.integers(0, 2, size=out) if hard else rng.random(out)).astype(dt)
    return rng.normal(size=out).astype(dt)

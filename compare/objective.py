"""What a model check differentiates: the one place that decides "net, loss or upstream?".

``scratch.Net`` has its loss built in (``Net.backward(label)`` takes the summed
BCE); any other model is judged through a loss (with targets ``y``) or, with
no loss, through an upstream gradient dL/d(output) handed to both sides.
:func:`resolve_loss` turns a caller's ``loss``/``y``/``upstream`` into one of
those three, with the same rules and messages for check_model, gradcheck and
lockstep; :func:`resolve_objective` adds what check_model needs on top (dtypes,
tolerances, the seed it shows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import scratch
import torch_ref
from scratch.errors import DTypeError

from .tolerances import (
    FORWARD,
    GRADIENT,
    TOLERANCES,
    ScaledTolerance,
    as_numpy_dtype,
    policy_for,
    tolerance_for,
)

LOSS_CHOICES = "'bce', 'bce_with_logits', 'mse', 'cross_entropy' or a loss object"


def resolve_loss(who: str, kind: str, loss, y, upstream=None, *, upstream_allowed: bool = True,
                 net_loss_names=(None, "bce")):
    """``(loss, upstream)``: a scratch loss object, or the upstream to backpropagate.

    Parameters
    ----------
    who : str
        The caller's name for messages, e.g. ``"check_model"``.
    kind : str
        ``"net"`` for ``scratch.Net``, anything else for a model without a built-in loss.
    loss : scratch.Loss, loss name, or None
    y : targets (Net: its label(s)), or None
    upstream : None, "random", "ones" or np.ndarray
    upstream_allowed : bool
        False where only a loss can drive the run (lockstep trains on a loss).
    net_loss_names : tuple
        The ``loss`` values a Net accepts (its own loss is summed BCE).

    Returns
    -------
    (scratch.Loss or None, upstream or None)
        ``(None, None)`` for a Net; ``(None, upstream)`` without a loss
        (``"random"`` when none was given); ``(loss, None)`` with one.
    """
    if kind == "net":
        if y is None:
            raise ValueError(f"{who}(Net): y is the label(s) for Net.backward(label)")
        if loss not in net_loss_names or upstream is not None:
            allowed = " (or 'bce')" if "bce" in net_loss_names else ""
            raise ValueError(f"{who}(Net): Net has its loss built in, Net.backward(label) "
                             "fixes the loss (summed BCE); "
                             f"pass loss=None{allowed} and no upstream")
        return None, None
    if loss is None:
        if not upstream_allowed:
            raise ValueError(f"{who}: the model needs a loss ({LOSS_CHOICES})")
        if y is not None:
            raise ValueError(f"{who}: y was given without a loss; pass loss= ({LOSS_CHOICES})")
        return None, "random" if upstream is None else upstream
    if upstream is not None:
        raise ValueError(f"{who}: give either a loss (with y) or an upstream, not both")
    if isinstance(loss, str):
        loss = torch_ref.loss_by_name(loss)
    if not isinstance(loss, scratch.Loss):
        raise TypeError(f"{who}: loss must be a scratch loss or its name, got {loss!r}")
    return loss, None


@dataclass
class Objective:
    """One check_model run's objective, resolved before anything runs.

    Attributes
    ----------
    loss : scratch.Loss or None
    upstream : None, "random", "ones" or np.ndarray (no loss, not a Net)
    model_dtype, ref_dtype, narrow : np.dtype
        The model's dtype, the twin's, and the narrower of the two (tolerances).
    fwd_tol, grad_tol : Tolerance or ScaledTolerance
        The policy for outputs/loss and for gradients.
    plain_fwd, plain_grad : Tolerance
        The table's plain pair, for probes and notes that judge single values.
    seed : int
        Seed of the random parts.
    shown_seed : int or None
        The seed the report prints: given, or 0 when a random upstream was drawn.
    upstream_given : bool
        The top layer's dL/doutput was handed to both sides (no loss, not a Net).
    """

    loss: object
    upstream: object
    model_dtype: np.dtype
    ref_dtype: np.dtype
    narrow: np.dtype
    fwd_tol: object
    grad_tol: object
    plain_fwd: object
    plain_grad: object
    seed: int
    shown_seed: int | None
    upstream_given: bool


def resolve_objective(kind: str, model_dtype, y, loss, *, dtype, rtol, atol, grad_rtol,
                      grad_atol, seed, upstream) -> Objective:
    """check_model's objective: loss or upstream, dtypes, tolerances and seed (see Objective)."""
    ref_dtype = model_dtype if dtype is None else as_numpy_dtype(dtype)
    if ref_dtype not in TOLERANCES:
        raise DTypeError(f"check_model: dtype must be float32 or float64, got {ref_dtype}")
    narrow = min(model_dtype, ref_dtype, key=lambda d: d.itemsize)
    fwd_tol = policy_for(narrow, FORWARD, rtol, atol)
    grad_tol = policy_for(narrow, GRADIENT, grad_rtol, grad_atol)
    plain_fwd = tolerance_for(narrow, FORWARD) if isinstance(fwd_tol, ScaledTolerance) \
        else fwd_tol
    plain_grad = tolerance_for(narrow, GRADIENT) if isinstance(grad_tol, ScaledTolerance) \
        else grad_tol
    # The report shows a seed only when one was given or randomness was used.
    random_upstream = loss is None and kind != "net" and (
        upstream is None or isinstance(upstream, str) and upstream == "random")
    shown_seed = seed if seed is not None else (0 if random_upstream else None)
    loss, upstream = resolve_loss("check_model", kind, loss, y, upstream)
    if loss is not None and not isinstance(y, np.ndarray):
        raise TypeError(f"check_model: y must be a numpy array for {loss!r}, "
                        f"got {type(y).__name__}")
    return Objective(loss, upstream, model_dtype, ref_dtype, narrow, fwd_tol, grad_tol,
                     plain_fwd, plain_grad, 0 if seed is None else int(seed), shown_seed,
                     loss is None and kind != "net")

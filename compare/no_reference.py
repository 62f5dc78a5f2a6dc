"""The oracle when the caller gives no reference: the user's own forward, else finite differences.

Order: (1) torch autograd of the user's own forward code
(:mod:`compare.own_forward`), exact to float rounding; (2) when that cannot
run, or its run on torch computes other values than the forward computes on
NumPy, central finite differences in float64 (:mod:`compare.numgrad`), with
the reason (1) was not used in the note. Either way the report's notes say
which oracle judged it, and that the forward itself was not checked against
an independent reference.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .diff import compare_arrays
from .numgrad import FD_STEP, central_differences
from .own_forward import (
    OwnForwardUnavailable,
    own_forward_gradients,
    own_forward_layer_gradients,
)
from .own_forward_state import LayerState, find_holders
from .report import FORWARD
from .tolerances import tolerance_for

CANNOT_SEE = ("no reference given: this checks the backward against the forward's own code, so "
              "it cannot see a forward that computes the wrong function; give reference=... "
              "(the same maths in torch) to check the forward too")
EXPECTED_NAME = "own-forward autograd"


def own_forward_note(name: str) -> str:
    """``"reference: autograd of <name>'s own forward"`` (``name`` as the oracle gives it)."""
    return f"reference: {name}"


def finite_differences_note(reason: str, eps: float = FD_STEP) -> str:
    """The note for the fallback, naming the call that stopped the own-forward oracle."""
    return (f"reference: finite differences (own forward could not run on torch: {reason}); "
            f"central, float64, eps={eps:g}")


@dataclass
class NoReferenceOracle:
    """What the chosen oracle says, in the form the checkers consume.

    Attributes
    ----------
    exact : bool
        True for autograd of the own forward, False for finite differences.
    grads : dict
        The gradients, keyed by argument position (pairs) or parameter name
        (layers), each shaped like its array: in the array's dtype (own
        forward) or float64 (finite differences).
    upstream : np.ndarray
        dL/d(out) the gradients were taken for (drawn through the caller's
        ``upstream`` callable, shaped like the output).
    out : np.ndarray or None
        The forward's own output on NumPy, from the state the oracle started in
        (class layers only: a later call that differs shows a stateful layer).
    input_grad : np.ndarray or None
        dL/dx of a class layer (None for function pairs, whose input is in ``grads``).
    notes : list of str
        Which oracle judged, and what a no-reference check cannot see.
    """

    exact: bool
    grads: dict
    upstream: np.ndarray
    out: np.ndarray | None = None
    input_grad: np.ndarray | None = None
    notes: list = field(default_factory=list)


def _disagreement(own_out: np.ndarray, plain, dtype) -> str | None:
    """Why the torch run's output cannot stand for the NumPy run's, or None when it can."""
    plain = np.asarray(plain)
    if plain.shape != own_out.shape:
        return (f"on torch the forward's output had shape {own_out.shape}, on NumPy "
                f"{plain.shape}")
    tol = tolerance_for(dtype, FORWARD)
    # NaN where the NumPy run has NaN too is the same function (bad input, judged later)
    if np.allclose(plain, own_out, rtol=tol.rtol, atol=tol.atol, equal_nan=True):
        return None
    diff = compare_arrays(plain, own_out, rtol=tol.rtol, atol=tol.atol, check_dtype=False)
    return (f"on torch the forward computed other values than on NumPy ({diff.describe()}), "
            "so its derivative would be another function's")


def pair_oracle(forward, args, positions, upstream: Callable, output_of: Callable,
                eps: float = FD_STEP) -> NoReferenceOracle | None:
    """The no-reference oracle of ``forward(*args)``: its own forward, else finite differences.

    Parameters
    ----------
    forward : callable, the user's ``forward(*args)``
    args : tuple, its arguments
    positions : list of int, the float arguments to differentiate
    upstream : callable ``(shape, dtype) -> np.ndarray``
        Draws dL/d(out) once the output's shape is known.
    output_of : callable
        Picks the differentiated output from what ``forward`` returns
        (``out`` from ``(out, cache)``, ``loss`` from ``(loss, dx)``).
    eps : float, the finite-difference step

    Returns
    -------
    NoReferenceOracle, or None when the forward raises on NumPy (the caller's
    own run then reports that error; there is nothing to differentiate).

    Notes
    -----
    The forward is first run once on NumPy, on deep copies of ``args`` (so a
    ``bn_param`` it updates is not the caller's), to know what the torch run
    must reproduce.
    """
    try:
        plain = np.asarray(output_of(forward(*copy.deepcopy(tuple(args)))))
    except Exception:  # noqa: BLE001 (the judged run reports the forward's own error)
        return None
    drawn = []

    def draw(shape, dtype):
        drawn.append(upstream(shape, plain.dtype))
        return drawn[-1]

    try:
        own = own_forward_gradients(forward, args, positions, draw)
        reason = _disagreement(own.out, plain, plain.dtype)
    except OwnForwardUnavailable as exc:
        reason = exc.reason
    if reason is None:
        return NoReferenceOracle(True, own.grads, drawn[-1],
                                 notes=[own_forward_note(own.name), CANNOT_SEE])
    g = upstream(plain.shape, plain.dtype)
    grads = central_differences(lambda *a: output_of(forward(*copy.deepcopy(a))), args,
                                positions, g, eps)
    return NoReferenceOracle(False, dict(zip(positions, grads, strict=True)), g,
                             notes=[finite_differences_note(reason, eps), CANNOT_SEE])


def layer_oracle(layer, x: np.ndarray, params: dict, upstream: Callable,
                 before_forward: Callable = lambda: None,
                 eps: float = FD_STEP) -> NoReferenceOracle | None:
    """The no-reference oracle of a class layer: its own forward, else finite differences.

    Parameters
    ----------
    layer : object with ``forward(x)``
    x : np.ndarray, (batch, ...)
    params : dict of str to np.ndarray, the layer's parameter arrays themselves
    upstream : callable ``(shape, dtype) -> np.ndarray``
        Draws dL/d(out) for the output's shape and dtype.
    before_forward : callable
        Called before every forward (zeroing or a ``reset=`` of the layer's convention).
    eps : float, the finite-difference step

    Returns
    -------
    NoReferenceOracle, or None when the layer's forward raises on NumPy.

    Notes
    -----
    Every forward call made here leaves the layer as it found it (its
    ``__dict__`` and the containers below it are restored).
    """
    state = LayerState(layer)
    try:
        before_forward()
        plain = np.array(layer.forward(x), copy=True)
    except Exception:  # noqa: BLE001 (the judged run reports the forward's own error)
        return None
    finally:
        state.restore()
    drawn = []

    def draw(shape, dtype):
        drawn.append(upstream(shape, x.dtype))
        return drawn[-1]

    try:
        before_forward()
        own = own_forward_layer_gradients(layer, x, params, draw)
        reason = _disagreement(own.out, plain, x.dtype)
    except OwnForwardUnavailable as exc:
        reason = exc.reason
    finally:
        state.restore()
    if reason is None:
        return NoReferenceOracle(True, own.grads, drawn[-1], plain, own.input_grad,
                                 [own_forward_note(own.name), CANNOT_SEE])
    oracle = _layer_finite_differences(layer, x, params, upstream(plain.shape, x.dtype),
                                       before_forward, reason, eps)
    oracle.out = plain
    return oracle


def _layer_finite_differences(layer, x, params: dict, g: np.ndarray, before_forward,
                              reason: str, eps: float) -> NoReferenceOracle:
    state = LayerState(layer)
    holders = {n: find_holders(state.attribute_containers(), a) for n, a in params.items()}
    lost = [n for n, h in holders.items() if not h]
    if lost:
        raise OwnForwardUnavailable(
            f"{reason}; finite differences cannot run either: parameter {lost[0]!r} is not "
            f"held by {type(layer).__name__} itself, so it cannot be perturbed")

    def forward(x_in, *values):
        try:
            before_forward()
            for name, value in zip(params, values, strict=True):
                for container, key in holders[name]:
                    container[key] = value
            return np.array(layer.forward(x_in), dtype=np.float64, copy=True)
        finally:
            state.restore()

    floats = np.issubdtype(x.dtype, np.floating)
    positions = ([0] if floats else []) + list(range(1, 1 + len(params)))
    grads = central_differences(forward, (x, *params.values()), positions, g, eps)
    by_pos = dict(zip(positions, grads, strict=True))
    return NoReferenceOracle(False, {n: by_pos[i + 1] for i, n in enumerate(params)}, g,
                             input_grad=by_pos.get(0),
                             notes=[finite_differences_note(reason, eps), CANNOT_SEE])

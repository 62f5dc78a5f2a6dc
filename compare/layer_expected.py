"""What ``check_layer`` judges a layer against: a torch reference, or the no-reference oracle.

Both are computed before the layer's own judged calls, so the layer's code
cannot change them (x and the parameters are shared with the layer, not copied).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from torch_ref import as_tensor_safe

from .no_reference import EXPECTED_NAME, layer_oracle
from .own_forward import OwnForwardUnavailable
from .tolerances import FINITE_DIFFERENCE, GRADIENT, Tolerance, tolerance_for


@dataclass
class Expected:
    """The oracle's side of one check_layer run.

    Attributes
    ----------
    out : torch.Tensor, np.ndarray or None
        What the layer's output is compared with: the reference's output, or
        (no reference) the layer's own output of the oracle's first call; None
        when that call raised.
    g : np.ndarray or None
        dL/d(out), shaped like the output (None when the forward raised).
    params : dict of str to (torch.Tensor, np.ndarray or None)
        dL/d(param) for each parameter (None: the reference did not use it).
    dx : torch.Tensor, np.ndarray or None
        dL/dx.
    name : str
        The report's ``expected_name``.
    exact : bool
        Autograd (a torch reference, or the own forward): judged at the dtype's
        gradient tolerance and dtype; False for float64 finite differences.
    notes : list of str
        Which oracle judged, when there was no reference.
    """

    out: object
    g: np.ndarray | None
    params: dict
    dx: object
    name: str
    exact: bool = True
    notes: list = field(default_factory=list)

    @property
    def check_dtype(self) -> bool:
        """Whether the layer's gradients must have the oracle's dtype (not for float64 FD)."""
        return self.exact

    def grad_tolerance(self, dtype, grad_rtol=None, grad_atol=None) -> Tolerance:
        """The gradient tolerance: the dtype's row, or for finite differences the wider of
        that and float64 differences' own (their truncation error), unless given."""
        if self.exact or grad_rtol is not None or grad_atol is not None:
            return tolerance_for(dtype, GRADIENT, grad_rtol, grad_atol)
        fd, own = tolerance_for(np.float64, FINITE_DIFFERENCE), tolerance_for(dtype, GRADIENT)
        return Tolerance(rtol=max(fd.rtol, own.rtol), atol=max(fd.atol, own.atol))


def torch_expected(reference, x: np.ndarray, p_t: dict, draw: Callable,
                   desc: str) -> Expected:
    """Run the torch ``reference`` on x and the parameters; backward with ``draw(shape)``.

    Parameters
    ----------
    reference : callable ``(x, *params) -> torch.Tensor``
    x : np.ndarray, the layer's input
    p_t : dict of str to torch.Tensor
        The parameters as leaves requiring grad, in the layer's order
        (:func:`compare.inputs.reference_params`).
    draw : callable ``(shape) -> np.ndarray``, the upstream for the output's shape
    desc : str, the layer as the report names it
    """
    x_t = as_tensor_safe(x).requires_grad_(True)
    out_t = call_reference(reference, x_t, p_t, desc)
    g = draw(tuple(out_t.shape))
    out_t.backward(as_tensor_safe(g))
    return Expected(out_t, g, {n: t.grad for n, t in p_t.items()}, x_t.grad, "torch")


def own_expected(layer, x: np.ndarray, params: dict, draw: Callable, before_forward: Callable,
                 desc: str) -> Expected:
    """No reference: autograd of the layer's own forward, else finite differences.

    Parameters
    ----------
    layer : the checked layer
    x : np.ndarray, its input
    params : dict of str to np.ndarray, the parameter arrays the layer holds
    draw : callable ``(shape) -> np.ndarray``, the upstream for the output's shape
    before_forward : callable, the layer's convention before every forward
    desc : str, the layer as the report names it
    """
    try:
        oracle = layer_oracle(layer, x, params, lambda shape, dtype: draw(tuple(shape)),
                              before_forward)
    except OwnForwardUnavailable as exc:
        raise TypeError(f"check_layer({desc}): no reference given, and no oracle can run: "
                        f"{exc.reason}. Give reference=... (the layer's maths in torch)") from exc
    if oracle is None:  # the forward raised: the judged run reports that error
        return Expected(None, None, dict.fromkeys(params), None, EXPECTED_NAME)
    return Expected(oracle.out, oracle.upstream, oracle.grads, oracle.input_grad,
                    EXPECTED_NAME if oracle.exact else "finite differences", oracle.exact,
                    oracle.notes)


def call_reference(reference, x_t, p_t: dict, desc: str):
    """Call ``reference(x, ...)`` with parameters by keyword if it names them, else by position."""
    try:
        sig = inspect.signature(reference)
        named = set(sig.parameters)
        var_kw = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
    except (TypeError, ValueError):  # builtins without a signature
        named, var_kw = set(), False
    by_keyword = bool(p_t) and (var_kw or all(n in named for n in p_t))
    try:
        out = reference(x_t, **p_t) if by_keyword else reference(x_t, *p_t.values())
    except Exception as err:
        how = "by keyword" if by_keyword else "by position"
        raise TypeError(f"check_layer({desc}): the reference raised {type(err).__name__}: {err} "
                        f"(called with x and parameters {list(p_t)} {how})") from err
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"check_layer({desc}): the reference must return a torch.Tensor, "
                        f"got {type(out).__name__}")
    return out

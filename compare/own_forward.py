"""An oracle needing no reference: torch autograd of the user's OWN forward code.

torch ships a NumPy-compatible array API with autograd, ``torch._numpy``.
Running the user's forward with NumPy rebound to it (in the user modules the
forward's code reaches, see :mod:`compare.own_forward_swap`) computes the
same function on torch tensors, so torch's autograd gives the exact
derivative of what that forward computes — to float rounding, with no
finite-difference step, and no torch code written by the user.

    result = own_forward_gradients(affine_forward, (x, w, b), (0, 1, 2), dout)
    result.grads[1]          # d(sum(out * dout))/dw, shaped like w

What it cannot see: a forward computing the wrong function. It checks a
backward against its forward; only a reference written independently checks
the forward too. When the forward cannot run this way (a NumPy call torch
does not provide, a value converted to a plain array or Python number, an
in-place update autograd refuses), :class:`OwnForwardUnavailable` names the
call that stopped it, and the caller falls back to finite differences.

``torch._numpy`` is a private torch module (it serves ``torch.compile``); it
is feature-detected on every call, never assumed.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np

from .own_forward_run import (
    OwnForwardUnavailable,
    convert_value,
    differentiate,
    load_torch_numpy,
    output_tensor,
    run_forward,
    to_torch,
)
from .own_forward_state import LayerState, convert_other_arrays, find_holders
from .own_forward_swap import SWAP_LOCK, is_user_file

__all__ = ["OwnForwardResult", "OwnForwardUnavailable", "own_forward_gradients",
           "own_forward_layer_gradients", "load_torch_numpy"]


@dataclass(frozen=True)
class OwnForwardResult:
    """What the oracle computed.

    Attributes
    ----------
    out : np.ndarray
        The forward's output (element 0 when it returns a tuple), shaped as the forward
        returns it, in the dtype it ran in.
    grads : dict
        d(sum(out * upstream))/d(argument), shaped like the argument: keyed by
        position for :func:`own_forward_gradients`, by parameter name for
        :func:`own_forward_layer_gradients`.
    name : str
        ``"autograd of <qualname>'s own forward"``, for the report's note.
    dtype : np.dtype
        The dtype the differentiated arrays had during the run.
    input_grad : np.ndarray or None
        dL/dx for :func:`own_forward_layer_gradients` (None for an integer ``x``
        and for :func:`own_forward_gradients`, whose inputs are in ``grads``).
    """

    out: np.ndarray
    grads: dict
    name: str
    dtype: np.dtype
    input_grad: np.ndarray | None = field(default=None)

def _arg_labels(forward, positions) -> dict:
    try:
        names = [p.name for p in inspect.signature(forward).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):  # a builtin or an object without a signature
        names = []
    return {i: names[i] if i < len(names) else f"argument {i}" for i in positions}


def _check_differentiable(label: str, array) -> None:
    if not isinstance(array, np.ndarray) or not np.issubdtype(array.dtype, np.floating):
        kind = array.dtype if isinstance(array, np.ndarray) else type(array).__name__
        raise ValueError(f"{label}: expected a floating-point np.ndarray to differentiate, "
                         f"got {kind}")


def _require_user_code(fn, what: str) -> None:
    """Installed libraries are never patched: say so, rather than fail on their first NumPy call."""
    code = getattr(inspect.unwrap(getattr(fn, "__func__", fn)), "__code__", None)
    if code is not None and not is_user_file(code.co_filename):
        raise OwnForwardUnavailable(
            f"{what} is installed library code ({code.co_filename}); twinnet swaps NumPy only "
            "in your own modules, never inside installed packages")


def _ran_dtype(leaves: dict) -> np.dtype:
    first = next(iter(leaves.values()), None)
    return np.dtype("float64") if first is None else np.dtype(str(first.dtype).split(".")[-1])


def own_forward_gradients(forward, args, positions, upstream=None, *,
                          dtype=None) -> OwnForwardResult:
    """Differentiate ``forward(*args)`` with torch autograd, running the user's own NumPy code.

    Parameters
    ----------
    forward : callable
        ``forward(*args)`` returning an array, ``(out, cache)`` or ``(loss, dx)``
        (element 0 is differentiated), written against NumPy.
    args : sequence
        Its positional arguments. Arrays not in ``positions`` and arrays inside
        dict/list arguments (``bn_param``) reach the forward as torch arrays
        without gradient, in copies: the caller's objects are never changed.
    positions : sequence of int
        Which ``args`` to differentiate; each a floating-point np.ndarray.
    upstream : np.ndarray shaped like the output, callable, optional
        dL/d(out); None means ones (1 for a scalar loss); a callable
        ``upstream(shape, dtype) -> np.ndarray`` is called with the output's
        shape and dtype once the forward has run.
    dtype : np.dtype, optional
        Run the differentiated (and other floating) arrays in this dtype, e.g.
        ``np.float64`` for a float32 layer; default each array's own dtype.

    Returns
    -------
    OwnForwardResult
        ``grads[i]`` shaped like ``args[i]``.

    Raises
    ------
    OwnForwardUnavailable
        The forward could not run on ``torch._numpy``, or its output is not
        connected to an argument through it; the reason names the call.
    ValueError
        A position out of range or not a float array, or ``upstream`` shaped
        unlike the output.
    """
    args, positions = tuple(args), tuple(positions)
    labels = _arg_labels(forward, positions)
    for i in positions:
        if not 0 <= i < len(args):
            raise ValueError(f"positions: {i} is out of range for {len(args)} arguments")
        _check_differentiable(labels[i], args[i])
    tnp = load_torch_numpy()
    _require_user_code(forward, getattr(forward, "__qualname__", "the forward"))
    with SWAP_LOCK:
        leaves, call_args = {}, []
        for i, value in enumerate(args):
            if i in positions:
                leaves[i], array = to_torch(tnp, value, dtype, grad=True)
                call_args.append(array)
            else:
                call_args.append(convert_value(tnp, value, dtype))
        result, exits = run_forward(tnp, [forward], lambda: forward(*call_args))
        out = output_tensor(tnp, result, exits)
    out_np, grads = differentiate(out, leaves, labels, upstream, exits)
    name = getattr(forward, "__qualname__", type(forward).__qualname__)
    return OwnForwardResult(out_np, grads, f"autograd of {name}'s own forward",
                            _ran_dtype(leaves))


_INPUT = ("input",)  # the key of x among the leaves; no parameter name is a tuple


def _layer_roots(layer) -> list:
    """Where the walk for NumPy names starts: the layer's forward, class and attributes."""
    roots = [layer.forward, type(layer)]
    for value in vars(layer).values():
        roots.append(value)
        if isinstance(value, dict | list):
            roots.extend(value.values() if isinstance(value, dict) else value)
    return roots


def own_forward_layer_gradients(layer, x, param_arrays, upstream=None, *,
                                dtype=None) -> OwnForwardResult:
    """Differentiate ``layer.forward(x)`` with torch autograd, running the layer's own NumPy code.

    Parameters
    ----------
    layer : object with ``forward(x)`` and a ``__dict__``
        Any class layer. Each parameter is found by identity wherever the layer
        holds it (an attribute, or one level into a dict/list attribute) and
        replaced there for the call; the layer's ``__dict__`` and the dicts and
        lists below it are restored afterwards, also when the forward raises.
    x : np.ndarray, (batch, ...)
        The input; differentiated when floating-point.
    param_arrays : dict of str to np.ndarray
        The layer's parameter arrays themselves (not copies), by name.
    upstream : np.ndarray shaped like the output, callable, optional
        As for :func:`own_forward_gradients`.
    dtype : np.dtype, optional
        Run ``x``, the parameters and the layer's other float arrays in this dtype.

    Returns
    -------
    OwnForwardResult
        ``grads[name]`` shaped like the parameter, ``input_grad`` shaped like ``x``.

    Raises
    ------
    OwnForwardUnavailable
        As :func:`own_forward_gradients`, or a parameter the layer does not hold.
    ValueError
        A parameter that is not a float array, or ``upstream`` shaped unlike the output.
    """
    for name, array in param_arrays.items():
        _check_differentiable(f"parameter {name!r}", array)
    if not isinstance(x, np.ndarray):
        raise ValueError(f"x: expected an np.ndarray, got {type(x).__name__}")
    tnp = load_torch_numpy()
    _require_user_code(layer.forward, f"{type(layer).__qualname__}.forward")
    if not hasattr(layer, "__dict__"):
        raise OwnForwardUnavailable(f"{type(layer).__name__} keeps no __dict__ to swap "
                                    "its parameters in")
    with SWAP_LOCK:
        state = LayerState(layer)
        try:
            leaves, labels, roots = _swap_params(tnp, layer, state, param_arrays, dtype)
            x_leaf, x_arr = to_torch(tnp, x, dtype, grad=np.issubdtype(x.dtype, np.floating))
            if x_leaf is not None:
                leaves[_INPUT], labels[_INPUT] = x_leaf, "x"
            result, exits = run_forward(tnp, roots, lambda: layer.forward(x_arr))
            out = output_tensor(tnp, result, exits)
        finally:
            state.restore()
    out_np, grads = differentiate(out, leaves, labels, upstream, exits)
    input_grad = grads.pop(_INPUT, None)
    return OwnForwardResult(out_np, grads,
                            f"autograd of {type(layer).__qualname__}'s own forward",
                            _ran_dtype(leaves), input_grad)


def _swap_params(tnp, layer, state: LayerState, param_arrays: dict, dtype):
    """Put a graph-carrying copy of each parameter where the layer holds it."""
    roots = _layer_roots(layer)  # before the swap: the attributes still hold NumPy arrays
    containers = state.attribute_containers()
    leaves, labels = {}, {}
    for name, array in param_arrays.items():
        holders = find_holders(containers, array)
        if not holders:
            raise OwnForwardUnavailable(
                f"parameter {name!r} is not held by {type(layer).__name__} itself (looked in "
                "its attributes and one level into its dict/list attributes, by identity)")
        leaves[name], swapped = to_torch(tnp, array, dtype, grad=True)
        labels[name] = name
        for container, key in holders:
            container[key] = swapped
    convert_other_arrays(containers, {id(a) for a in param_arrays.values()},
                         lambda a: to_torch(tnp, a, dtype, grad=False)[1])
    return leaves, labels, roots

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
import os
import traceback
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.overrides import TorchFunctionMode

from .own_forward_state import LayerState, convert_other_arrays, find_holders
from .own_forward_swap import SWAP_LOCK, UnsupportedNumpyName, is_user_file, swapped_numpy

__all__ = ["OwnForwardResult", "OwnForwardUnavailable", "own_forward_gradients",
           "own_forward_layer_gradients", "load_torch_numpy"]


class OwnForwardUnavailable(RuntimeError):
    """The user's forward could not run on torch's NumPy API; ``reason`` says which call stopped it.

    Attributes
    ----------
    reason : str
        E.g. ``"numpy.vectorize is not in torch's NumPy-compatible API (layers.py:12
        in forward)"`` or ``"output does not depend on w through the array API"``.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


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


def load_torch_numpy():
    """``torch._numpy``, or :class:`OwnForwardUnavailable` saying this torch lacks it."""
    try:
        import torch._numpy as tnp
    except Exception as exc:  # absent, or broken on this build: either way unusable
        raise OwnForwardUnavailable(
            f"torch {torch.__version__} has no usable torch._numpy ({exc})") from exc
    needed = ("ndarray", "asarray", "zeros", "pad", "sum")
    lacking = [name for name in needed if not hasattr(tnp, name)]
    if lacking:
        raise OwnForwardUnavailable(
            f"torch {torch.__version__}'s torch._numpy lacks {', '.join(lacking)}")
    return tnp


# Tensor methods that hand a value out of torch's graph, as the user would write them.
_GRAPH_EXITS = {"tolist": ".tolist()", "item": ".item()", "numpy": ".numpy()",
                "__float__": "float()", "__int__": "int()", "__array__": "np.asarray()"}


class _GraphExits(TorchFunctionMode):
    """Records where the forward turned a graph-carrying array into plain numbers."""

    def __init__(self):
        super().__init__()
        self.exits: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        call = _GRAPH_EXITS.get(getattr(func, "__name__", ""))
        if call and len(self.exits) < 3 and args and getattr(args[0], "requires_grad", False):
            where = _user_location(traceback.extract_stack())
            self.exits.append(f"{call} at {where}" if where else call)
        return func(*args, **(kwargs or {}))


def _user_location(frames) -> str:
    """``file.py:LINE in func`` of the innermost user frame among ``frames``."""
    for frame in reversed(frames):
        if is_user_file(frame.filename) and frame.filename != __file__:
            return f"{os.path.basename(frame.filename)}:{frame.lineno} in {frame.name}"
    return ""


def _to_torch(tnp, array: np.ndarray, dtype, grad: bool):
    """(leaf tensor or None, torch array for the forward); a copy, never the caller's memory."""
    tensor = torch.from_numpy(np.array(array, copy=True))
    if dtype is not None and np.issubdtype(array.dtype, np.floating):
        tensor = tensor.to(torch.from_numpy(np.zeros(0, dtype)).dtype)
    if not grad:
        return None, tnp.ndarray(tensor)
    leaf = tensor.requires_grad_(True)
    # a non-leaf copy, so a forward updating its input in place (x += b) still runs
    return leaf, tnp.ndarray(leaf.clone())


def _convert_value(tnp, value, dtype, depth: int = 0):
    """A non-differentiated argument, as the forward should see it under torch."""
    if isinstance(value, np.ndarray):
        return _to_torch(tnp, value, dtype, grad=False)[1]
    if isinstance(value, np.generic):
        return value.item()
    if depth < 3 and isinstance(value, dict):  # a copy: the oracle must not update bn_param
        return {k: _convert_value(tnp, v, dtype, depth + 1) for k, v in value.items()}
    if depth < 3 and isinstance(value, list | tuple):
        return type(value)(_convert_value(tnp, v, dtype, depth + 1) for v in value)
    return value


def _run_forward(tnp, roots, call):
    """``call()`` with NumPy swapped in the code reachable from ``roots``; (result, exits)."""
    with warnings.catch_warnings():
        # torch warns on each float() of a graph array; _GraphExits reports those itself
        warnings.simplefilter("ignore", UserWarning)
        try:
            with swapped_numpy(roots, tnp), _GraphExits() as exits:
                return call(), exits.exits
        except UnsupportedNumpyName as exc:
            raise OwnForwardUnavailable(f"{exc}{_where(exc)}") from exc
        except Exception as exc:
            raise OwnForwardUnavailable(f"{type(exc).__name__}: {exc}{_where(exc)}") from exc


def _where(exc: BaseException) -> str:
    """`` (file.py:LINE in func: the line's code)`` of the user line the exception came through."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = _user_location(frames)
    if not where:
        return ""
    line = next((f.line for f in reversed(frames)
                 if is_user_file(f.filename) and f.filename != __file__), "")
    return f" ({where}: {line})" if line else f" ({where})"


def _output(tnp, result, exits: list[str]):
    if isinstance(result, tuple) and result:
        result = result[0]  # (out, cache) or (loss, dx)
    if isinstance(result, tnp.ndarray):
        return result.tensor
    raise OwnForwardUnavailable(
        f"the forward returned {type(result).__name__}, not an array built through the "
        f"array API{_exits_note(exits)}")


def _exits_note(exits: list[str]) -> str:
    return f" (it left torch's graph: {'; '.join(exits)})" if exits else ""


def _differentiate(out: torch.Tensor, leaves: dict, labels: dict, upstream, exits):
    """(out as NumPy, {key: gradient as NumPy}) for d(sum(out * upstream))/d(leaf)."""
    out_np = out.detach().numpy().copy()
    up = np.ones_like(out_np) if upstream is None else np.asarray(upstream)
    if up.shape != out_np.shape:
        raise ValueError(f"upstream: expected shape {out_np.shape} (the forward's output), "
                         f"got {up.shape}")
    if not out.requires_grad:
        raise OwnForwardUnavailable(
            f"output does not depend on {', '.join(labels.values())} through the array API"
            f"{_exits_note(exits)}")
    try:
        grads = torch.autograd.grad(out, list(leaves.values()),
                                    grad_outputs=torch.as_tensor(up, dtype=out.dtype),
                                    allow_unused=True)
    except RuntimeError as exc:
        raise OwnForwardUnavailable(f"torch autograd failed: {exc}") from exc
    unused = [labels[k] for k, g in zip(leaves, grads, strict=True) if g is None]
    if unused:
        raise OwnForwardUnavailable(
            f"output does not depend on {', '.join(unused)} through the array API"
            f"{_exits_note(exits)}")
    return out_np, {k: g.numpy() for k, g in zip(leaves, grads, strict=True)}


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
    upstream : np.ndarray shaped like the output, optional
        dL/d(out); None means ones (1 for a scalar loss).
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
    with SWAP_LOCK:
        leaves, call_args = {}, []
        for i, value in enumerate(args):
            if i in positions:
                leaves[i], array = _to_torch(tnp, value, dtype, grad=True)
                call_args.append(array)
            else:
                call_args.append(_convert_value(tnp, value, dtype))
        result, exits = _run_forward(tnp, [forward], lambda: forward(*call_args))
        out = _output(tnp, result, exits)
    out_np, grads = _differentiate(out, leaves, labels, upstream, exits)
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
    upstream : np.ndarray shaped like the output, optional
        dL/d(out); None means ones.
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
    if not hasattr(layer, "__dict__"):
        raise OwnForwardUnavailable(f"{type(layer).__name__} keeps no __dict__ to swap "
                                    "its parameters in")
    with SWAP_LOCK:
        state = LayerState(layer)
        try:
            leaves, labels, roots = _swap_params(tnp, layer, state, param_arrays, dtype)
            x_leaf, x_arr = _to_torch(tnp, x, dtype, grad=np.issubdtype(x.dtype, np.floating))
            if x_leaf is not None:
                leaves[_INPUT], labels[_INPUT] = x_leaf, "x"
            result, exits = _run_forward(tnp, roots, lambda: layer.forward(x_arr))
            out = _output(tnp, result, exits)
        finally:
            state.restore()
    out_np, grads = _differentiate(out, leaves, labels, upstream, exits)
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
        leaves[name], swapped = _to_torch(tnp, array, dtype, grad=True)
        labels[name] = name
        for container, key in holders:
            container[key] = swapped
    convert_other_arrays(containers, {id(a) for a in param_arrays.values()},
                         lambda a: _to_torch(tnp, a, dtype, grad=False)[1])
    return leaves, labels, roots

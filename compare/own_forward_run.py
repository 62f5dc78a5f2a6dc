"""The machinery of the own-forward oracle: run under torch, record graph exits, differentiate.

See :mod:`compare.own_forward` for the public functions. Every helper here
raises :class:`OwnForwardUnavailable` with a reason naming the user's call
when the oracle cannot answer.
"""

from __future__ import annotations

import os
import traceback
import warnings

import numpy as np
import torch
from torch.overrides import TorchFunctionMode

from .own_forward_swap import UnsupportedNumpyName, is_user_file, swapped_numpy


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


def to_torch(tnp, array: np.ndarray, dtype, grad: bool):
    """(leaf tensor or None, torch array for the forward); a copy, never the caller's memory."""
    tensor = torch.from_numpy(np.array(array, copy=True))
    if dtype is not None and np.issubdtype(array.dtype, np.floating):
        tensor = tensor.to(torch.from_numpy(np.zeros(0, dtype)).dtype)
    if not grad:
        return None, tnp.ndarray(tensor)
    leaf = tensor.requires_grad_(True)
    # a non-leaf copy, so a forward updating its input in place (x += b) still runs
    return leaf, tnp.ndarray(leaf.clone())


def convert_value(tnp, value, dtype, depth: int = 0):
    """A non-differentiated argument, as the forward should see it under torch."""
    if isinstance(value, np.ndarray):
        return to_torch(tnp, value, dtype, grad=False)[1]
    if isinstance(value, np.generic):
        return value.item()
    if depth < 3 and isinstance(value, dict):  # a copy: the oracle must not update bn_param
        return {k: convert_value(tnp, v, dtype, depth + 1) for k, v in value.items()}
    if depth < 3 and isinstance(value, list | tuple):
        return type(value)(convert_value(tnp, v, dtype, depth + 1) for v in value)
    return value


def run_forward(tnp, roots, call):
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


def output_tensor(tnp, result, exits: list[str]) -> torch.Tensor:
    """The torch tensor under the forward's output (element 0 of a tuple), or unavailable."""
    if isinstance(result, tuple) and result:
        result = result[0]  # (out, cache) or (loss, dx)
    if isinstance(result, tnp.ndarray):
        return result.tensor
    raise OwnForwardUnavailable(
        f"the forward returned {type(result).__name__}, not an array built through the "
        f"array API{_exits_note(exits)}")


def _exits_note(exits: list[str]) -> str:
    return f" (it left torch's graph: {'; '.join(exits)})" if exits else ""


def differentiate(out: torch.Tensor, leaves: dict, labels: dict, upstream, exits):
    """(out as NumPy, {key: gradient as NumPy}) for d(sum(out * upstream))/d(leaf)."""
    out_np = out.detach().numpy().copy()
    if callable(upstream):  # drawn once the output's shape is known
        upstream = upstream(out_np.shape, out_np.dtype)
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

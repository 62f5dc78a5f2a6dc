"""A scratch model's weights as a torch ``state_dict``, and back.

``export_state_dict(model)`` gives exactly what ``to_torch(model).state_dict()``
gives: torch parameter names (``"0.weight"``), torch layouts (``Linear``'s
weight transposed to (out, in)), the model's dtype. It can go straight to
``torch.save`` and be read back with ``torch.load(path, weights_only=True)``,
or be loaded into the twin with ``load_state_dict``.

``import_state_dict(model, state_dict)`` is the inverse: it accepts a twin's
``state_dict()`` (trained in torch, say) or an exported one, checks every key,
shape, dtype and value against the model first, and only then copies the
weights into the model's own arrays. On any error the model is unchanged.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping

import numpy as np
import torch

from scratch._checks import check_array_type
from scratch.errors import DTypeError, NonFiniteError, ShapeError
from scratch.io import StateKeyError

from .convert import param_map, to_torch
from .tensors import tensor_to_numpy


def export_state_dict(model) -> OrderedDict[str, torch.Tensor]:
    """The model's parameters under torch names, in torch layout (new tensors, no sharing).

    Parameters
    ----------
    model : scratch layer, Sequential or Net (anything ``to_torch`` converts)

    Returns
    -------
    OrderedDict[str, torch.Tensor]
        Equal, key for key and bit for bit, to ``to_torch(model).state_dict()``.
    """
    return OrderedDict((name, t.detach().clone()) for name, t in to_torch(model)
                       .state_dict().items())


def import_state_dict(model, state_dict: Mapping) -> None:
    """Copy a torch-named, torch-layout ``state_dict`` into ``model``'s parameters, in place.

    Parameters
    ----------
    model : scratch layer, Sequential or Net
    state_dict : mapping of str to torch.Tensor (or np.ndarray)
        Exactly the keys of ``to_torch(model).state_dict()``; each with the
        twin's shape and the model's dtype (nothing is cast), all finite.

    Raises
    ------
    StateKeyError
        Missing or unexpected keys (both listed).
    ShapeError, DTypeError, NonFiniteError
        Naming the torch key, its scratch name, the expected and the actual value.
    DTypeError
        Also when a value is None, not a tensor or array, a sparse, nested or meta
        tensor, or a bfloat16/float16/integer one (a TypeError, naming the key).
    """
    who = f"import_state_dict({type(model).__name__})"
    if not isinstance(state_dict, Mapping):
        raise DTypeError(f"{who}: state_dict must be a mapping of names to tensors, got "
                         f"{type(state_dict).__name__}")
    twin = to_torch(model)
    expected = twin.state_dict()
    links = {link.torch_name: link for link in param_map(twin)}
    unlinked = [k for k in expected if k not in links]
    if unlinked:  # a buffer scratch has no home for; no built-in twin has one
        raise NotImplementedError(f"{who}: torch entries {unlinked} have no scratch parameter")
    missing = [k for k in expected if k not in state_dict]
    extra = [k for k in state_dict if k not in expected]
    if missing or extra:
        parts = ([f"missing key(s) {missing}"] if missing else []) + \
                ([f"unexpected key(s) {extra}"] if extra else [])
        raise StateKeyError(f"{who}: {' and '.join(parts)}; the model's torch twin has "
                            f"{list(expected)}, the state_dict has {list(state_dict)}")
    staged = {}
    for key, want in expected.items():
        link = links[key]
        where = f"{who}: {key!r} (scratch {link.scratch_name!r}" + \
            (", stored transposed)" if link.transposed else ")")
        want_dtype = want.numpy().dtype
        got = _as_numpy(state_dict[key], where)
        if got.shape != tuple(want.shape):
            raise ShapeError(f"{where} must have shape {tuple(want.shape)}, got {got.shape}")
        if got.dtype != want_dtype:
            raise DTypeError(f"{where} must have dtype {want_dtype}, got {got.dtype} "
                             "(twinnet never casts silently)")
        bad = ~np.isfinite(got)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            raise NonFiniteError(f"{where} holds {int(bad.sum())} non-finite value(s); "
                                 f"first at index {idx}: {got[idx]!r}")
        staged[link.scratch_name] = link.to_scratch_layout(got)
    params = model.params
    for name, value in staged.items():
        np.copyto(params[name], value, casting="no")


def _as_numpy(value, where: str) -> np.ndarray:
    """The entry as a NumPy array (a float one if it was a tensor), or a DTypeError naming it."""
    if isinstance(value, torch.Tensor):  # float32 for a float64 model: refused by the caller
        return tensor_to_numpy(value, where)
    if isinstance(value, np.ndarray):
        check_array_type(where, "the value", value)  # np.matrix, np.ma: not plain arrays
        return value
    raise DTypeError(f"{where} must be a torch.Tensor or numpy array, got "
                     f"{type(value).__name__}")

"""``to_torch`` / ``from_torch``: twins with identical weights, and the record of the mapping.

Weights are always copied (never shared): the twin and the original can be
trained side by side without touching each other. Every copy checks the
shape first. The dtype is kept unless the caller asks for another one.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from scratch._checks import check_finite
from scratch.errors import DTypeError, ShapeError

from .links import ParamLink
from .registry import twin_for_scratch, twin_for_torch
from .tensors import tensor_to_numpy

PARAM_MAP_ATTR = "twinnet_param_map"

_TORCH_OF_NUMPY = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}
_NUMPY_OF_TORCH = {t: n for n, t in _TORCH_OF_NUMPY.items()}


def to_torch(model, dtype=None) -> nn.Module:
    """The torch twin of a scratch layer or model, with identical weights.

    Parameters
    ----------
    model : scratch layer, Sequential, Net, or any registered layer
    dtype : torch or NumPy float32/float64, optional
        Default: the dtype of the model's parameters (float64 if it has none).
        A different dtype casts the copied weights, on request only.

    Returns
    -------
    nn.Module
        Its ``twinnet_param_map`` attribute (see :func:`param_map`) lists a
        :class:`ParamLink` per scratch parameter, in ``model.params`` order.
    """
    twin_for_scratch(model)  # an unsupported model is named before anything else is read
    tdtype = _TORCH_OF_NUMPY[_resolve_dtype("to_torch", model, dtype)]
    links: list[ParamLink] = []
    module = _layer_to_torch(model, tdtype, "", "", links)
    links = _checked_map(model, module, links)
    setattr(module, PARAM_MAP_ATTR, tuple(links))
    return module


def from_torch(module: nn.Module):
    """The scratch twin of a torch module (inverse of :func:`to_torch`), identical weights.

    The dtype is that of the module's parameters (float64 if it has none).
    Raises TypeError naming any module without a registered twin, DTypeError
    for a parameter that is not a dense float32/float64 tensor with values
    (meta, sparse), NonFiniteError naming a parameter that holds NaN or inf.
    """
    dtypes = {p.dtype for p in module.parameters()}
    if len(dtypes) > 1:
        raise DTypeError(f"from_torch: {type(module).__name__} mixes parameter dtypes "
                         f"{sorted(map(str, dtypes))}; convert it to one dtype first")
    tdtype = dtypes.pop() if dtypes else torch.float64
    if tdtype not in _NUMPY_OF_TORCH:
        raise DTypeError(f"from_torch: {type(module).__name__} has parameters of dtype {tdtype}; "
                         "expected torch.float32 or torch.float64")
    links: list[ParamLink] = []
    model = _module_to_scratch(module, _NUMPY_OF_TORCH[tdtype], "", "", links)
    _checked_map(model, module, links)
    return model


def param_map(module: nn.Module) -> list[ParamLink]:
    """The scratch <-> torch parameter links recorded by :func:`to_torch`, scratch order."""
    links = getattr(module, PARAM_MAP_ATTR, None)
    if links is None:
        raise ValueError(f"param_map: {type(module).__name__} was not built by "
                         "torch_ref.to_torch, so it carries no parameter map")
    return list(links)


# -- recursion -----------------------------------------------------------------
def _layer_to_torch(layer, dtype, sprefix, tprefix, links):
    twin = twin_for_scratch(layer)

    def convert(child, child_sprefix, child_tprefix=None):
        child_tprefix = child_sprefix if child_tprefix is None else child_tprefix
        return _layer_to_torch(child, dtype, sprefix + child_sprefix,
                               tprefix + child_tprefix, links)

    module = twin.to_torch(layer, dtype, convert)
    for link in twin.links(layer):
        _copy_into_torch(layer, module, link, sprefix)
        links.append(link.prefixed(sprefix, tprefix))
    return module


def _module_to_scratch(module, dtype, sprefix, tprefix, links):
    twin = twin_for_torch(module)

    def convert(child, child_sprefix, child_tprefix=None):
        child_tprefix = child_sprefix if child_tprefix is None else child_tprefix
        return _module_to_scratch(child, dtype, sprefix + child_sprefix,
                                  tprefix + child_tprefix, links)

    layer = twin.from_torch(module, dtype, convert)
    for link in twin.links(layer):
        _copy_into_scratch(module, layer, link, tprefix)
        links.append(link.prefixed(sprefix, tprefix))
    return layer


# -- copies ----------------------------------------------------------------------
def _copy_into_torch(layer, module, link: ParamLink, sprefix: str) -> None:
    where = f"to_torch: {layer.name}: scratch {sprefix + link.scratch_name!r}"
    if link.scratch_name not in layer.params:
        raise KeyError(f"{where} is not a parameter of this layer (has {list(layer.params)})")
    target = _torch_param(module, link.torch_name, where)
    value = link.to_torch_layout(layer.params[link.scratch_name])
    if value.shape != tuple(target.shape):
        raise ShapeError(f"{where} -> torch {link.torch_name!r}: expected shape "
                         f"{tuple(target.shape)} (torch layout"
                         f"{', transposed' if link.transposed else ''}), "
                         f"got {value.shape} from scratch shape "
                         f"{layer.params[link.scratch_name].shape}")
    with torch.no_grad():
        # torch.tensor copies, so the twin never shares memory with scratch.
        target.copy_(torch.tensor(np.ascontiguousarray(value)))


def _copy_into_scratch(module, layer, link: ParamLink, tprefix: str) -> None:
    where = f"from_torch: {type(module).__name__}: torch {tprefix + link.torch_name!r}"
    source = _torch_param(module, link.torch_name, where)
    if link.scratch_name not in layer.params:
        raise KeyError(f"{where}: scratch layer {layer.name} has no parameter "
                       f"{link.scratch_name!r} (has {list(layer.params)})")
    expected = layer.params[link.scratch_name]
    value = link.to_scratch_layout(tensor_to_numpy(source, where, (source.dtype,)))
    check_finite(where, "parameter", value)  # a NaN twin would make every later check void
    if value.shape != expected.shape:
        raise ShapeError(f"{where} -> scratch {link.scratch_name!r} of {layer.name}: expected "
                         f"shape {expected.shape} (scratch layout), got {value.shape} "
                         f"from torch shape {tuple(source.shape)}")
    if value.dtype != expected.dtype:
        raise DTypeError(f"{where}: dtype {value.dtype}, scratch layer {layer.name} "
                         f"holds {expected.dtype}")
    layer.params[link.scratch_name] = np.array(value, order="C", copy=True)


def _torch_param(module: nn.Module, name: str, where: str) -> nn.Parameter:
    try:
        return module.get_parameter(name)
    except AttributeError as err:
        raise KeyError(f"{where}: torch module {type(module).__name__} has no parameter "
                       f"{name!r} (has {[n for n, _ in module.named_parameters()]})") from err


# -- checks ----------------------------------------------------------------------
def _resolve_dtype(owner: str, model, dtype) -> np.dtype:
    if dtype is not None:
        dt = _NUMPY_OF_TORCH.get(dtype) if isinstance(dtype, torch.dtype) else np.dtype(dtype)
        if dt not in _TORCH_OF_NUMPY:
            got = dtype if isinstance(dtype, torch.dtype) else dt
            raise DTypeError(f"{owner}: dtype must be float32 or float64, got {got}")
        return dt
    found = {a.dtype for a in model.params.values()}
    if len(found) > 1:
        raise DTypeError(f"{owner}: {model!r} mixes parameter dtypes {sorted(map(str, found))}; "
                         "pass dtype= explicitly")
    dt = found.pop() if found else np.dtype(np.float64)
    if dt not in _TORCH_OF_NUMPY:
        raise DTypeError(f"{owner}: {model!r} has parameters of dtype {dt}; "
                         "expected float32 or float64")
    return dt


def _checked_map(model, module, links: list[ParamLink]) -> list[ParamLink]:
    """Links in ``model.params`` order; every parameter on both sides linked exactly once."""
    by_scratch = {link.scratch_name: link for link in links}
    scratch_names = list(model.params)
    torch_names = [n for n, _ in module.named_parameters()]
    problems = []
    if sorted(by_scratch) != sorted(scratch_names) or len(by_scratch) != len(links):
        problems.append(f"scratch parameters {scratch_names} but links cover "
                        f"{[link.scratch_name for link in links]}")
    if sorted(link.torch_name for link in links) != sorted(torch_names):
        problems.append(f"torch parameters {torch_names} but links cover "
                        f"{[link.torch_name for link in links]}")
    if problems:
        raise ValueError(f"twin of {model!r} is incomplete: " + "; ".join(problems))
    return [by_scratch[name] for name in scratch_names]

"""What ``check_model`` needs to know about a model: its layers on both sides, and its twin.

A :class:`Plan` lines up the scratch layers with the torch twin's modules
and each scratch parameter with its torch tensor. Building a twin costs far
more than running a small net, so plans are cached per model (weakly, so a
model can still be garbage-collected) and reused while the model keeps the
same layer objects and parameter shapes; before every use the twin is
given the model's current weights (:meth:`Plan.sync`).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import torch

import scratch
import torch_ref
from scratch.errors import ShapeError

from .access import describe_layer

_TORCH_DTYPES = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}


@dataclass(eq=False)
class ParamSlot:
    """One parameter: where it lives in scratch and which torch tensor twins it."""

    layer: int
    key: str  # key in ``layers[layer].params``
    link: torch_ref.ParamLink
    tensor: torch.nn.Parameter


@dataclass(eq=False)
class Plan:
    """The model seen as a chain of stages, on both sides.

    Attributes
    ----------
    kind : "net" (the lecture's Net, driven by ``backward(label)``),
        "sequential", or "layer" (any single layer)
    descs : list[str], e.g. ``["Linear(2, 3)", "Sigmoid()"]``
    twin : torch.nn.Module
    torch_layers : list[torch.nn.Module], aligned with ``layers``
    params : list[ParamSlot], in ``model.params`` order
    dtype : np.dtype the twin computes in
    signature : tuple identifying the layer objects and parameter shapes
    owned : bool, whether the plan built the twin itself (then it views scratch's arrays)
    """

    kind: str
    descs: list
    twin: torch.nn.Module
    torch_layers: list
    params: list
    dtype: np.dtype
    signature: tuple
    owned: bool

    def sync(self, layers: list) -> None:
        """Give the twin the scratch layers' current weights and clear its gradients.

        A twin this plan built itself (never stepped, never handed out) simply
        *views* scratch's arrays: no copy, and always current. A twin the
        caller passed in, or one in another dtype, gets a checked copy.
        The plan holds no reference to scratch objects (the cache is keyed
        weakly by the model), so the caller passes ``layers``.
        """
        with torch.no_grad():
            for slot in self.params:
                value = slot.link.to_torch_layout(layers[slot.layer].params[slot.key])
                if value.shape != slot.tensor.shape:  # copy_ would broadcast
                    raise ShapeError(f"check_model: {self.descs[slot.layer]} parameter "
                                     f"{slot.link.scratch_name!r} has shape {value.shape} in "
                                     f"torch layout, its twin {slot.link.torch_name!r} "
                                     f"{tuple(slot.tensor.shape)}")
                if self.owned and value.dtype == self.dtype:
                    slot.tensor.data = torch_ref.as_tensor_safe(value)
                else:
                    slot.tensor.copy_(torch_ref.as_tensor_safe(value))
                slot.tensor.grad = None


def layers_of(model) -> tuple[str, list, list[str]]:
    """(kind, layers, scratch parameter prefix of each layer)."""
    if isinstance(model, scratch.Net):
        return "net", [model.l1, model.l2], ["l1.", "l2."]
    if isinstance(model, scratch.Sequential):
        layers = list(model.layers)
        seen: dict[int, int] = {}
        for i, layer in enumerate(layers):
            if id(layer) in seen:
                raise ValueError(f"check_model: the same layer object ({layer!r}) sits at "
                                 f"positions {seen[id(layer)]} and {i}; a layer caches its "
                                 "input for backward, so each position needs its own instance")
            seen[id(layer)] = i
        return "sequential", layers, [f"{i}." for i in range(len(layers))]
    return "layer", [model], [""]


def _signature(layers: list) -> tuple:
    return tuple((id(layer), tuple((k, v.shape) for k, v in layer.params.items()))
                 for layer in layers)


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def plan_for(model, kind: str, layers: list, prefixes: list, dtype: np.dtype,
             twin: torch.nn.Module | None = None) -> Plan:
    """A synced plan for ``model`` whose twin computes in ``dtype`` (cached per model).

    ``kind``, ``layers`` and ``prefixes`` come from :func:`layers_of`.
    """
    signature = _signature(layers)
    cached = _CACHE.get(model) if twin is None else None
    if cached is not None and cached.signature == signature and cached.dtype == dtype:
        cached.sync(layers)
        return cached
    plan = _build(model, kind, layers, prefixes, dtype, twin, signature)
    if twin is None:
        try:
            _CACHE[model] = plan
        except TypeError:  # not weak-referenceable: simply not cached
            pass
    plan.sync(layers)
    return plan


def build_plan(model, kind: str, layers: list, prefixes: list, dtype: np.dtype) -> Plan:
    """A new, uncached plan whose own twin computes in ``dtype`` (not yet synced).

    For a second twin of a model in another dtype (compare.envelope's float64 run)
    without displacing the model's cached plan.
    """
    return _build(model, kind, layers, prefixes, dtype, None, _signature(layers))


def layers_signature(layers: list) -> tuple:
    """What identifies a plan's fit: the layer objects and their parameter shapes."""
    return _signature(layers)


def _build(model, kind, layers, prefixes, dtype, twin, signature) -> Plan:
    owned = twin is None
    if owned:
        twin = torch_ref.to_torch(model, dtype=dtype)
    if kind == "net":
        torch_layers = [twin.l1, twin.l2]
        descs = [f"l1 {describe_layer(model.l1)}", f"l2 {describe_layer(model.l2)}"]
    elif kind == "sequential":
        torch_layers = list(twin)
        descs = [describe_layer(layer) for layer in layers]
    else:
        torch_layers, descs = [twin], [describe_layer(model)]
    if len(torch_layers) != len(layers):
        raise ValueError(f"check_model: the twin has {len(torch_layers)} stages, the model "
                         f"{len(layers)}")
    slots = []
    for link in torch_ref.param_map(twin):
        # The longest matching prefix names the layer ("" matches a single layer).
        i = max((j for j, p in enumerate(prefixes) if link.scratch_name.startswith(p)),
                key=lambda j: len(prefixes[j]))
        slots.append(ParamSlot(i, link.scratch_name[len(prefixes[i]):], link,
                               twin.get_parameter(link.torch_name)))
    return Plan(kind, descs, twin, torch_layers, slots, dtype, signature, owned)


def torch_dtype(dtype: np.dtype) -> torch.dtype:
    """torch's dtype for a NumPy float dtype: float32 -> torch.float32, float64 -> torch.float64.

    Raises KeyError for any other dtype.
    """
    return _TORCH_DTYPES[np.dtype(dtype)]

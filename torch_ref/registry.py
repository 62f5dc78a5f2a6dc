"""Which torch module twins which scratch layer; extensible without editing the converter.

Adding a layer
--------------
::

    register_twin(scratch_cls, torch_cls, to_torch=build_torch, from_torch=build_scratch,
                  links=param_links)

``to_torch(layer, dtype, convert) -> nn.Module``
    Build the torch module with the right sizes and ``dtype`` (a torch dtype).
    Its initial weights do not matter: every parameter named in ``links`` is
    then overwritten with scratch's values, after a shape check. A container
    calls ``convert(child, scratch_prefix, torch_prefix=None)`` for each child;
    the child comes back fully converted, its links recorded under the prefixes
    (``torch_prefix`` defaults to ``scratch_prefix``), e.g. ``convert(layer, "0.")``.
``from_torch(module, dtype, convert) -> scratch layer``
    The inverse: build the scratch layer (``dtype`` a NumPy dtype) with the
    right sizes; linked parameters are overwritten afterwards. Containers call
    ``convert(child_module, scratch_prefix, torch_prefix=None)``. Omit it
    (None) for a one-way twin, e.g. a scratch subclass that maps onto a torch
    class already twinned with its base.
``links(layer) -> list[ParamLink]``
    The layer's *own* parameters (names relative to the layer, in the order of
    ``layer.params``), not its children's. Omit it for a layer without
    parameters. Leaves keep ``params`` in a plain dict, which the converter
    writes into. Example for an RNN layer::

        lambda layer: [
            ParamLink("W_ih", "weight_ih_l0", True, "scratch (in, hidden); torch (hidden, in)"),
            ParamLink("W_hh", "weight_hh_l0", True, "scratch (hidden, hidden) is x @ W_hh"),
            ParamLink("b_ih", "bias_ih_l0", False, "same (hidden,) vector"),
            ParamLink("b_hh", "bias_hh_l0", False, "same (hidden,) vector"),
        ]

Lookup follows the class's MRO, so a scratch subclass (e.g. ``Neuron``, a
``Sequential``) uses its base's twin unless it registers its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Twin:
    """One registered pair; see the module docstring for the three callables.

    Attributes
    ----------
    scratch_cls : type
        The scratch layer class (subclasses inherit the twin through the MRO).
    torch_cls : type
        The ``nn.Module`` class it maps onto.
    to_torch : callable
        ``to_torch(layer, dtype, convert) -> nn.Module``.
    from_torch : callable or None
        ``from_torch(module, dtype, convert) -> scratch layer``; None for a one-way twin.
    links : callable
        ``links(layer) -> list[ParamLink]``, the layer's own parameters (empty list if none).
    """

    scratch_cls: type
    torch_cls: type
    to_torch: Callable
    from_torch: Callable | None
    links: Callable


def _no_links(layer) -> list:
    return []


_BY_SCRATCH: dict[type, Twin] = {}
_BY_TORCH: dict[type, Twin] = {}


def register_twin(scratch_cls: type, torch_cls: type, *, to_torch: Callable,
                  from_torch: Callable | None = None, links: Callable | None = None,
                  replace: bool = False) -> Twin:
    """Register ``scratch_cls`` <-> ``torch_cls``; returns the new :class:`Twin`.

    Raises ValueError if either class already has a twin in the direction being
    registered, unless ``replace=True``.
    """
    twin = Twin(scratch_cls, torch_cls, to_torch, from_torch, links or _no_links)
    if not replace:
        if scratch_cls in _BY_SCRATCH:
            raise ValueError(f"register_twin: {scratch_cls.__name__} already has a twin "
                             f"({_BY_SCRATCH[scratch_cls].torch_cls.__name__}); "
                             "pass replace=True to override")
        if from_torch is not None and torch_cls in _BY_TORCH:
            raise ValueError(f"register_twin: {torch_cls.__name__} already converts back to "
                             f"{_BY_TORCH[torch_cls].scratch_cls.__name__}; "
                             "pass replace=True to override")
    _BY_SCRATCH[scratch_cls] = twin
    if from_torch is not None:
        _BY_TORCH[torch_cls] = twin
    return twin


def unregister_twin(scratch_cls: type) -> None:
    """Remove ``scratch_cls``'s twin (and its reverse entry if it owns it)."""
    twin = _BY_SCRATCH.pop(scratch_cls)
    if _BY_TORCH.get(twin.torch_cls) is twin:
        del _BY_TORCH[twin.torch_cls]


def _lookup(table: dict[type, Twin], obj) -> Twin | None:
    for cls in type(obj).__mro__:
        if cls in table:
            return table[cls]
    return None


def twin_for_scratch(layer) -> Twin:
    """The twin of a scratch layer; TypeError naming the layer if none is registered."""
    twin = _lookup(_BY_SCRATCH, layer)
    if twin is None:
        raise TypeError(f"to_torch: no torch twin registered for {type(layer).__name__} "
                        f"({getattr(layer, 'name', layer)!r}); known: {known_scratch_layers()}. "
                        "Add one with torch_ref.register_twin")
    return twin


def twin_for_torch(module) -> Twin:
    """The twin of a torch module; TypeError naming the module if none is registered."""
    twin = _lookup(_BY_TORCH, module)
    if twin is None:
        raise TypeError(f"from_torch: no scratch twin registered for torch module "
                        f"{type(module).__name__} ({module!r}); known: {known_torch_modules()}. "
                        "Add one with torch_ref.register_twin")
    return twin


def known_scratch_layers() -> list[str]:
    """Names of the scratch classes with a registered twin, sorted (for error messages)."""
    return sorted(cls.__name__ for cls in _BY_SCRATCH)


def known_torch_modules() -> list[str]:
    """Names of the torch classes that convert back to scratch, sorted (for error messages)."""
    return sorted(cls.__name__ for cls in _BY_TORCH)


# -- a user's own layer types ------------------------------------------------
# Their torch twin is a function in check_layer's form, ``reference(x, *params)``
# (parameters in the layer's own layout, by keyword when it names them all);
# ``compare.check_model`` looks it up for every layer of a user's own model.

_REFERENCES: dict[type, Callable] = {}


def register_reference(layer_cls: type, reference: Callable, *, replace: bool = False) -> None:
    """Register the torch twin of a user's own layer class, in one call.

    Parameters
    ----------
    layer_cls : type
        The user's layer class (subclasses inherit the twin through the MRO).
    reference : callable ``reference(x, *params) -> torch.Tensor``
        The layer's maths in torch, as given to ``compare.check_layer``, e.g.
        ``lambda x, W, b: x @ W + b``. A parameter named ``layer`` (keyword)
        receives the layer itself, for settings such as a stride:
        ``lambda x, W, b, *, layer: F.conv2d(x, W, b, stride=layer.stride)``.
    replace : bool
        Allow replacing an earlier registration of ``layer_cls``.

    Raises
    ------
    ValueError
        ``layer_cls`` already has a reference and ``replace`` is False.
    """
    if not isinstance(layer_cls, type):
        raise TypeError(f"register_reference: layer_cls must be a class, got "
                        f"{type(layer_cls).__name__}")
    if not callable(reference):
        raise TypeError("register_reference: reference must be callable "
                        "(x, *params) -> torch.Tensor")
    if layer_cls in _REFERENCES and not replace:
        raise ValueError(f"register_reference: {layer_cls.__name__} already has a reference; "
                         "pass replace=True to override")
    _REFERENCES[layer_cls] = reference


def unregister_reference(layer_cls: type) -> None:
    """Remove ``layer_cls``'s reference (KeyError if it has none)."""
    del _REFERENCES[layer_cls]


def reference_for(layer) -> Callable | None:
    """The reference registered for ``layer``'s class (or a base class), else None."""
    return _lookup(_REFERENCES, layer)

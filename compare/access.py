"""Find a layer's parameters and gradients, whatever it calls them.

Three layouts are understood (see :func:`param_access`):

* dicts of arrays under two attributes, e.g. scratch's ``params``/``grads``,
  numpy-ml's ``parameters``/``gradients``, or any names the user gives;
* one attribute per parameter with its gradient beside it, as the lecture's
  ``W`` / ``W_grad`` (also ``grad_W``, and the book style ``W`` / ``dW``,
  ``w`` / ``dw``, ``b`` / ``db``);
* no parameters at all (an activation).

Gradients are read *after* backward through the accessor, because a lecture
layer rebinds ``self.W_grad`` on every call.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping

import numpy as np

DICT_NAMES = (("params", "grads"), ("parameters", "gradients"))


class ParamAccess:
    """Read a layer's parameters and gradients by name.

    Attributes
    ----------
    names : list[str]
        Parameter names in a fixed order (dict order, or the order given).
    how : str
        Where they were found, for reports, e.g. ``"dicts .params/.grads"``.
    """

    def __init__(self, layer, names, read_param, read_grad, how: str) -> None:
        self.layer, self.names, self.how = layer, list(names), how
        self._read_param, self._read_grad = read_param, read_grad

    def params(self) -> dict[str, np.ndarray]:
        """The layer's parameters by name, read now (the arrays, not copies), each its own shape."""
        return {n: self._read_param(n) for n in self.names}

    def grads(self) -> dict[str, np.ndarray | None]:
        """The gradients by name, read now; each shaped like its parameter, None where absent."""
        return {n: self._read_grad(n) for n in self.names}


def _dict_access(layer, params_attr: str, grads_attr: str) -> ParamAccess:
    pdict = getattr(layer, params_attr)
    if not isinstance(pdict, Mapping):
        raise TypeError(f"{_describe(layer)}: .{params_attr} is a {type(pdict).__name__}, "
                        "expected a dict of parameter arrays")
    if not hasattr(layer, grads_attr):
        raise AttributeError(f"{_describe(layer)}: has .{params_attr} but no .{grads_attr}; "
                             "pass grads=<attribute name of the gradient dict>")
    return ParamAccess(
        layer, list(pdict),
        lambda n: getattr(layer, params_attr)[n],
        lambda n: getattr(layer, grads_attr).get(n),
        f"dicts .{params_attr}/.{grads_attr}")


def _attr_access(layer, names, grad_names) -> ParamAccess:
    grad_of = dict(zip(names, grad_names, strict=True))
    for n in names:
        if not isinstance(getattr(layer, n, None), np.ndarray):
            raise AttributeError(f"{_describe(layer)}: parameter attribute .{n} is missing or "
                                 "not a numpy array")
    return ParamAccess(layer, names, lambda n: getattr(layer, n),
                       lambda n: getattr(layer, grad_of[n], None),
                       "attributes " + ", ".join(f".{n}/.{grad_of[n]}" for n in names))


# Attributes that hold a layer's cached input/output, never a parameter: a layer caching
# ``x`` and storing ``dx`` must not make ``x`` a parameter through the ``d`` + name rule.
CACHE_NAMES = frozenset({"x", "X", "y", "Y", "z", "Z", "h", "out", "output", "inp", "input",
                         "inputs", "mask", "cache", "a", "A", "prev_h", "next_h"})
GRAD_FORMS = ("{}_grad", "grad_{}", "d{}")
# Names that say "a weight" even when no gradient sits beside them (for error messages).
PARAM_LIKE = re.compile(r"^(W\w*|w|w\d|b|b\d|bias\w*|biases|weights?\w*|gamma|beta|kernel"
                        r"|U|V|bh|by)$")


def _forward_arg_names(layer) -> set:
    try:
        return set(inspect.signature(layer.forward).parameters)
    except (AttributeError, TypeError, ValueError):
        return set()


def _grad_attr_for(layer, name: str) -> str | None:
    if name in CACHE_NAMES or name in _forward_arg_names(layer):
        return None
    for form in GRAD_FORMS:
        if hasattr(layer, form.format(name)):
            return form.format(name)
    return None


def _discovery_error(layer) -> AttributeError | None:
    """An error listing what was found, when the layer looks parameterised but nothing matched."""
    arrays = {n: v for n, v in vars(layer).items() if isinstance(v, np.ndarray)}
    dicts = [n for n, v in vars(layer).items() if isinstance(v, Mapping) and v
             and all(isinstance(a, np.ndarray) for a in v.values())]
    weights = [n for n, v in arrays.items() if PARAM_LIKE.match(n) and v.dtype.kind == "f"]
    if not weights and not dicts:
        return None
    found = ", ".join(f".{n} {tuple(v.shape)}" for n, v in arrays.items()) or "none"
    looked = ", ".join(f.format("W") for f in GRAD_FORMS)
    if weights:
        call = (f"params={weights!r}, grads={[f'<gradient of {n}>' for n in weights]!r}")
    else:
        call = f"params={dicts[0]!r}, grads='<the dict holding their gradients>'"
    return AttributeError(
        f"{_describe(layer)}: could not tell its parameters and their gradients apart "
        f"(looked for dicts {' and '.join('/'.join(p) for p in DICT_NAMES)}, and beside each "
        f"array X an attribute named like {looked}). Array attributes found: {found}"
        + (f"; dicts of arrays: {', '.join('.' + d for d in dicts)}" if dicts else "")
        + f". Name them, e.g. check_layer(layer, reference, x, {call}), or pass params=[] "
        "if none of these is trained")


def param_access(layer, params=None, grads=None) -> ParamAccess:
    """How to read ``layer``'s parameters and gradients.

    Parameters
    ----------
    layer : object with ``forward(x)`` and ``backward(grad_out)``
    params : str, list of str, or None
        * str: the attribute holding a dict of parameter arrays (e.g. "weights");
        * list: attribute names, one array each (e.g. ``["W", "b"]``);
        * None: auto-detect, trying dicts ``params``/``grads`` and
          ``parameters``/``gradients``, then every array attribute ``X`` with a
          gradient attribute ``X_grad``, ``grad_X`` or ``dX`` (as the lecture's
          ``W`` and ``W_grad``, a book's ``W`` and ``dW``; cached inputs such
          as ``x`` are never parameters). Nothing found means no parameters,
          unless the layer holds weight-like arrays (``W``, ``b``, ``gamma``...)
          or dicts of arrays: then AttributeError lists what it holds and shows
          the ``params=``/``grads=`` call to make.
    grads : str, list of str, or None
        The matching gradient dict attribute, or the gradient attribute names.
        None: "grads"/"gradients" beside a params dict, ``X_grad`` beside ``X``.
    """
    if isinstance(params, str):
        if grads is None:
            grads = next((g for p, g in DICT_NAMES if p == params), None) or next(
                (g for g in ("grads", "gradients", f"{params}_grad") if hasattr(layer, g)), None)
            if grads is None:
                raise AttributeError(f"{_describe(layer)}: no gradient dict found beside "
                                     f".{params}; pass grads=<its attribute name>")
        return _dict_access(layer, params, grads)
    if params is not None:
        names = list(params)
        if grads is None:
            grads = [_grad_attr_for(layer, n) or f"{n}_grad" for n in names]
        elif isinstance(grads, str):
            raise TypeError("params is a list of attribute names, so grads must be a list "
                            f"of the same length, got the string {grads!r}")
        if len(grads) != len(names):
            raise ValueError(f"params names {names} and grads names {list(grads)} differ "
                             "in length")
        return _attr_access(layer, names, list(grads))
    for p_attr, g_attr in DICT_NAMES:
        if isinstance(getattr(layer, p_attr, None), Mapping) and hasattr(layer, g_attr):
            return _dict_access(layer, p_attr, g_attr)
    found = [(n, g) for n, v in vars(layer).items()
             if isinstance(v, np.ndarray) and (g := _grad_attr_for(layer, n)) is not None]
    if found:
        return _attr_access(layer, [n for n, _ in found], [g for _, g in found])
    err = _discovery_error(layer)
    if err is not None:
        raise err
    return ParamAccess(layer, [], None, None, "no parameters")


def _describe(layer) -> str:
    """The layer's ``describe()`` label if it has one, else its class name."""
    describe = getattr(layer, "describe", None)
    return describe() if callable(describe) else type(layer).__name__


describe_layer = _describe

"""The layer contract every scratch layer follows.

* ``forward(x)`` validates ``x``, caches exactly what ``backward`` needs and
  returns the output.
* ``backward(grad_out)`` validates ``grad_out`` against the cached output,
  **overwrites** ``grads`` (same keys as ``params``) and returns dL/dx.
  Gradients are overwritten, not accumulated, as in the lecture's
  ``self.W_grad = ...``; ``zero_grad`` sets them to zero explicitly.
* ``params`` and ``grads`` are dicts of arrays with identical keys and shapes.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_array, check_finite, check_float_dtype, check_shape
from ._float_guard import QuietFloatErrors
from .errors import BackwardBeforeForwardError


def float_errors_checked_after():
    """Finite inputs can still overflow (1e308 * 2): NumPy would warn and hand back
    inf/NaN. Its warnings are silenced here because the caller then checks the
    result and raises a NonFiniteError that names the layer.

    Returns a context manager with ``np.errstate(over=, invalid=, divide="ignore")``'s
    effect; see ``scratch._float_guard`` for why it is not ``np.errstate`` itself.
    """
    return QuietFloatErrors()


class Layer:
    """Base class: subclasses implement ``_forward`` and ``_backward``.

    Attributes
    ----------
    params : dict[str, np.ndarray]
        Trainable arrays, by name.
    grads : dict[str, np.ndarray]
        dL/d(param) after ``backward``, same keys and shapes as ``params``.
    name : str
        Used in error messages; ``Sequential`` prefixes the position.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.name = self.describe()
        self._out: np.ndarray | None = None

    # -- public contract -------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Run the layer on ``x`` and cache what ``backward`` needs."""
        with float_errors_checked_after():
            return self._checked_forward(x)

    def _checked_forward(self, x: np.ndarray, input_known_finite: bool = False) -> np.ndarray:
        """``forward`` without its own overflow guard, for a container that holds one
        guard around all its layers (each ``np.errstate`` costs about as much as a
        tiny layer's arithmetic).

        ``input_known_finite``: the container passes True when ``x`` is the output a
        stock layer has just checked for NaN/inf, so that check is not repeated.
        """
        self._check_input(x)
        if not input_known_finite:
            check_finite(self.name, "input", x)
        self._out = None  # a forward that fails below leaves nothing for backward to use
        out = self._forward(x)
        try:
            check_finite(self.name, "output (overflow: values too large for the dtype)", out)
        except ValueError:  # NonFiniteError: a NaN/inf parameter is the likelier cause
            self._refuse_non_finite_params()
            raise
        self._out = out
        return out

    def _refuse_non_finite_params(self) -> None:
        """Raise NonFiniteError naming the first parameter that holds NaN/inf, if any."""
        for key, p in self.params.items():
            if isinstance(p, np.ndarray) and p.dtype.kind == "f":
                check_finite(self.name, f"parameter {key!r} (so the output is not finite)", p)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """Given dL/d(output), overwrite ``grads`` and return dL/d(input)."""
        with float_errors_checked_after():
            return self._checked_backward(grad_out)

    def _checked_backward(self, grad_out: np.ndarray, grad_known_finite: bool = False
                          ) -> np.ndarray:
        """``backward`` without its own overflow guard (see ``_checked_forward``);
        ``grad_known_finite``: ``grad_out`` is a stock layer's checked ``grad_in``."""
        if self._out is None:
            raise BackwardBeforeForwardError(f"{self.name}: backward() called before forward()")
        check_array(self.name, "grad_out", grad_out, dtype=self._out.dtype,
                    finite=not grad_known_finite)
        check_shape(self.name, "grad_out", grad_out, self._out.shape)
        grad_in = self._backward(grad_out)
        # grads are not inspected here: an overflowed parameter gradient stays inf/NaN as
        # in torch (and compare's NaN-filled buffers must reach it), and SGD refuses it.
        check_finite(self.name, "grad_in (overflow: values too large for the dtype)", grad_in)
        return grad_in

    __call__ = forward

    def zero_grad(self) -> None:
        """Set every gradient to zero in place."""
        for g in self.grads.values():
            g.fill(0)

    def describe(self) -> str:
        """Short human-readable description, e.g. ``Linear(2, 3)``."""
        return f"{type(self).__name__}()"

    def __repr__(self) -> str:
        return self.describe()

    # -- for subclasses --------------------------------------------------
    def _check_input(self, x: np.ndarray) -> None:
        """Type, dtype and shape of ``x``; ``forward`` checks its values for NaN/inf after."""
        check_array(self.name, "input", x, finite=False)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _backward(self, grad_out: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class ParamLayer(Layer):
    """A layer whose parameters share one fixed dtype (float64 by default)."""

    def __init__(self, dtype=np.float64) -> None:
        self.dtype = check_float_dtype(type(self).__name__, "dtype", dtype)
        super().__init__()
        self.params = ParamDict(self)

    def _check_input(self, x: np.ndarray) -> None:
        check_array(self.name, "input", x, dtype=self.dtype, finite=False)

    def _add_param(self, key: str, value: np.ndarray) -> None:
        self.params[key] = value
        # C order whatever the parameter's layout, so backward can write it with np.dot(out=)
        self.grads[key] = np.zeros(value.shape, value.dtype)

    def _set_param(self, key: str, value: np.ndarray) -> None:
        """Replace a parameter, refusing a different shape or dtype."""
        if key not in self.params:  # e.g. ``layer.b = ...`` on a layer built with bias=False
            raise KeyError(f"{self.name}: has no parameter {key!r} (has {list(self.params)})")
        self.params[key] = value


class ParamDict(dict):
    """A ``ParamLayer``'s ``params``: storing an entry checks it as ``layer.W = ...`` does.

    ``layer.params["W"] = w`` must keep the layer's dtype and the entry's shape, so a
    float32 array can never slip into a float64 layer (whose forward would then mix
    dtypes). Reading is plain ``dict`` access, at no extra cost on the hot path.
    """

    __slots__ = ("_layer",)

    def __init__(self, layer: ParamLayer) -> None:
        super().__init__()
        self._layer = layer

    def __setitem__(self, key, value) -> None:
        layer, what = self._layer, f"parameter {key!r}"
        check_array(layer.name, what, value, dtype=layer.dtype, finite=False)
        if key in self:
            check_shape(layer.name, what, value, dict.__getitem__(self, key).shape)
        dict.__setitem__(self, key, value)

    def update(self, *args, **kwargs) -> None:
        """``dict.update``, each entry checked as by ``__setitem__`` (all before any is stored)."""
        items = dict(*args, **kwargs)
        staged = ParamDict(self._layer)
        dict.update(staged, self)
        for key, value in items.items():
            staged[key] = value
        dict.update(self, staged)

    def __ior__(self, other):
        self.update(other)
        return self

    def setdefault(self, key, default=None):
        """``dict.setdefault``, a new entry checked as by ``__setitem__``."""
        if key not in self:
            self[key] = default
        return dict.__getitem__(self, key)

    def __reduce__(self):
        # copy/deepcopy/pickle rebuild the dict without re-checking it against a layer
        # that is itself still being rebuilt
        return _rebuild_param_dict, (self._layer, dict(self))


def _rebuild_param_dict(layer, entries: dict) -> ParamDict:
    params = ParamDict(layer)
    dict.update(params, entries)
    return params


def param_property(key: str, doc: str) -> property:
    """A ``layer.W``-style attribute for ``params[key]`` (None if the layer has none).

    Reading returns the array itself; assigning goes through ``_set_param``, which
    refuses a different shape or dtype (nothing is cast). ``doc`` gives the shape.
    """

    def get(self):
        return self.params.get(key)

    def set_(self, value):
        self._set_param(key, value)

    return property(get, set_, doc=f"{doc} Assigning replaces it after checking shape and dtype.")


def init_rng(rng) -> np.random.Generator:
    """Turn ``rng`` (Generator, int seed or None for fresh entropy) into a Generator."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def has_stock_forward(layer) -> bool:
    """True when ``layer.forward`` is ``Layer.forward`` itself, not overridden anywhere.

    Then its guard-free ``_checked_forward`` may be called instead, and its output has
    been checked for NaN/inf when that returns.
    """
    return getattr(layer.forward, "__func__", None) is Layer.forward


def has_stock_backward(layer) -> bool:
    """Like ``has_stock_forward``, for ``backward``."""
    return getattr(layer.backward, "__func__", None) is Layer.backward


def guard_free_forward(layer):
    """What a container holding one overflow guard for all its layers should call.

    The layer's guard-free ``_checked_forward`` when its ``forward`` is the stock
    one; otherwise that ``forward`` itself (a user's own layer, a subclass that
    overrides it, or a wrapper set on the instance, such as compare's recording taps).
    """
    return layer._checked_forward if has_stock_forward(layer) else layer.forward


def guard_free_backward(layer):
    """Like ``guard_free_forward``, for ``backward``."""
    return layer._checked_backward if has_stock_backward(layer) else layer.backward

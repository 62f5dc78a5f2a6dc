"""A chain of layers with torch-style dotted parameter names (``"0.W"``, ``"2.b"``)."""

from __future__ import annotations

import numpy as np

from .layer import Layer, float_errors_checked_after

# The loops below inline ``layer.has_stock_forward`` / ``has_stock_backward``: on the
# lecture's 2-3-1 net a function call per layer is a measurable part of the step.
_STOCK_FORWARD, _STOCK_BACKWARD = Layer.forward, Layer.backward


class Sequential(Layer):
    """Apply ``layers`` in order; backward runs them in reverse.

    ``params`` and ``grads`` are rebuilt on every access from the layers'
    own dicts, so replacing a layer's weight array is always reflected.

    Parameters
    ----------
    *layers : Layer
        The layers, in forward order (a single list or tuple is also accepted).

    Shapes
    ------
    forward x : whatever the first layer takes -> whatever the last returns
    params["<i>.<name>"] : layer i's ``params[name]``, its own shape
    """

    def __init__(self, *layers: Layer) -> None:
        if len(layers) == 1 and isinstance(layers[0], list | tuple):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            if not (hasattr(layer, "forward") and hasattr(layer, "backward")):
                raise TypeError(f"Sequential: item {i} ({layer!r}) is not a layer")
        self.layers = list(layers)
        super().__init__()
        for i, layer in enumerate(self.layers):
            layer.name = f"layer {i} ({layer.describe()})"

    def describe(self) -> str:
        """``"Sequential(Linear(4, 3), ReLU(), ...)"``: each layer's own label, in order."""
        return "Sequential(" + ", ".join(layer.describe() for layer in self.layers) + ")"

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def __iter__(self):
        return iter(self.layers)

    @property
    def params(self) -> dict[str, np.ndarray]:
        """Every layer's parameters keyed ``"<index>.<name>"`` (``"0.W"``, ``"2.b"``).

        Returns
        -------
        dict
            The layers' own arrays (not copies), each with its layer's shape and dtype;
            layers without parameters contribute nothing. Assigning an entry
            (``params["0.W"] = w``) assigns the layer's own, checked as there.
        """
        return RoutedParams({f"{i}.{k}": v for i, layer in enumerate(self.layers)
                             for k, v in layer.params.items()}, self._param_home)

    def _param_home(self, key: str):
        """``"2.W"`` -> (layer 2's params dict, ``"W"``): where ``params[key] = ...`` stores."""
        index, _, name = key.partition(".")
        return self.layers[int(index)].params, name

    @params.setter
    def params(self, value) -> None:  # base __init__ assigns {}; layers own the arrays
        pass

    @property
    def grads(self) -> dict[str, np.ndarray]:
        """Every layer's gradients from the last ``backward``; same keys/shapes as ``params``."""
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers)
                for k, v in layer.grads.items()}

    @grads.setter
    def grads(self, value) -> None:
        pass

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Run every layer; each validates its own input, so errors name the layer.

        Parameters
        ----------
        x : np.ndarray
            What the first layer takes, e.g. (batch, in_features) for a ``Linear``.

        Returns
        -------
        np.ndarray
            What the last layer returns, e.g. (batch, out_features).
        """
        with float_errors_checked_after():  # one guard for every layer
            checked = False  # x is a stock layer's output, already checked for NaN/inf
            for layer in self.layers:
                if getattr(layer.forward, "__func__", None) is _STOCK_FORWARD:
                    x = layer._checked_forward(x, checked)
                    checked = True
                else:  # a user's layer, or a wrapper set on the instance: its own forward
                    x = layer.forward(x)
                    checked = False
        self._out = x
        return x

    __call__ = forward

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """Backpropagate through every layer in reverse, overwriting each layer's ``grads``.

        Parameters
        ----------
        grad_out : np.ndarray
            dL/d(output), same shape and dtype as the last ``forward``'s output.

        Returns
        -------
        np.ndarray
            dL/d(input), same shape and dtype as the last ``forward``'s input.
        """
        with float_errors_checked_after():
            checked = False  # as in forward: grad_out is a stock layer's checked grad_in
            for layer in reversed(self.layers):
                if getattr(layer.backward, "__func__", None) is _STOCK_BACKWARD:
                    grad_out = layer._checked_backward(grad_out, checked)
                    checked = True
                else:
                    grad_out = layer.backward(grad_out)
                    checked = False
        return grad_out

    def zero_grad(self) -> None:
        """Set every layer's gradients to zero, in place."""
        for layer in self.layers:
            layer.zero_grad()


class RoutedParams(dict):
    """A container's ``params`` (``"0.W"``, ``"l1.W"``): storing an entry stores it in its layer.

    ``Sequential.params`` and ``Net.params`` are built fresh on each access, so
    without this ``model.params["0.W"] = w`` would change a throw-away dict and
    nothing else, silently. Here it becomes ``model[0].params["W"] = w``, which
    the layer checks (dtype and shape); an unknown key is a KeyError.

    Parameters
    ----------
    entries : dict of str to np.ndarray
        The layers' arrays under the container's names.
    route : callable ``key -> (layer's params dict, its own name)``
    """

    __slots__ = ("_route",)

    def __init__(self, entries: dict, route) -> None:
        super().__init__(entries)
        self._route = route

    def __setitem__(self, key, value) -> None:
        if key not in self:
            raise KeyError(f"no parameter {key!r} to assign; the model's parameters are "
                           f"{list(self)}")
        target, name = self._route(key)
        target[name] = value
        dict.__setitem__(self, key, value)

    def update(self, *args, **kwargs) -> None:
        """``dict.update``, each entry stored in its layer as by ``__setitem__``."""
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __reduce__(self):  # a copy is a plain snapshot: there is no layer to route to
        return dict, (dict(self),)

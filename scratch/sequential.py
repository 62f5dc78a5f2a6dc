"""A chain of layers with torch-style dotted parameter names (``"0.W"``, ``"2.b"``)."""

from __future__ import annotations

import numpy as np

from .layer import Layer


class Sequential(Layer):
    """Apply ``layers`` in order; backward runs them in reverse.

    ``params`` and ``grads`` are rebuilt on every access from the layers'
    own dicts, so replacing a layer's weight array is always reflected.

    Shapes
    ------
    forward x : whatever the first layer takes -> whatever the last returns
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
        return "Sequential(" + ", ".join(layer.describe() for layer in self.layers) + ")"

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def __iter__(self):
        return iter(self.layers)

    @property
    def params(self) -> dict[str, np.ndarray]:
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers)
                for k, v in layer.params.items()}

    @params.setter
    def params(self, value) -> None:  # base __init__ assigns {}; layers own the arrays
        pass

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers)
                for k, v in layer.grads.items()}

    @grads.setter
    def grads(self, value) -> None:
        pass

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Run every layer; each validates its own input, so errors name the layer."""
        for layer in self.layers:
            x = layer.forward(x)
        self._out = x
        return x

    __call__ = forward

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """Backpropagate through every layer in reverse; returns dL/d(input)."""
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    def zero_grad(self) -> None:
        for layer in self.layers:
            layer.zero_grad()

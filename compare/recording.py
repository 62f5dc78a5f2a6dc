"""Taps on scratch layers: record every forward output and backward gradient as it happens.

For the duration of a check each layer's ``forward``/``backward`` is
replaced, on the instance only, by a wrapper that calls the original and
keeps snapshots of its result and of the gradient it was handed (small
copies: a layer that later changes either in place must not shift the blame);
leaving the ``with`` block restores the layer exactly as it was.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np


class Recording:
    """What the scratch side produced, per layer.

    Attributes
    ----------
    outs : list  -- forward output of layer i (a snapshot taken as it was returned)
    grad_outs : list  -- dL/d(output) handed to layer i's backward (a snapshot taken on
        entry, so it is also what layer i + 1 returned before anyone could change it)
    grad_ins : list  -- dL/d(input) returned by layer i's backward
    loss_value : np.ndarray | None  -- the loss (Net: the per-sample J it returns)
    top_grad : np.ndarray | None  -- the upstream given when there is no loss
    phase, layer : where the code under test was last ("forward", "loss", "backward")
    first : dict | None  -- copies of the first backward run's gradients
        (parameter name, or ``"<input i>"`` for layer i's dL/dinput)
    inputs_changed : dict  -- layer i -> (input before, input after) when layer i's
        forward wrote into its input array
    """

    def __init__(self, layers: list, prefixes: list[str]) -> None:
        n = len(layers)
        self.layers, self.prefixes = layers, prefixes
        self.outs: list = [None] * n
        self.grad_outs: list = [None] * n
        self.grad_ins: list = [None] * n
        self.loss_value = None
        self.top_grad = None
        self.phase, self.layer = "forward", 0
        self.first: dict | None = None
        # layer -> (its input as handed in, the same array after its forward): only for a
        # forward that changed its input in place (see compare.probes.input_change_entry)
        self.inputs_changed: dict = {}

    def at(self, phase: str, layer: int | None = None) -> None:
        """Note where the code under test is, so an exception can be blamed on it.

        Parameters
        ----------
        phase : {"forward", "loss", "backward"}
        layer : int, optional
            Layer index; default ``len(layers)`` (the loss's position).
        """
        self.phase = phase
        self.layer = len(self.layers) if layer is None else layer

    def poison(self) -> None:
        """Fill every gradient buffer with NaN before the first backward.

        A backward that overwrites its gradients (the contract) leaves no trace
        of this; one that adds into them (``+=``), or never writes them, is left
        holding NaN, which no comparison lets pass.
        """
        for layer in self.layers:
            for g in layer.grads.values():
                if isinstance(g, np.ndarray) and g.dtype.kind == "f":
                    g.fill(np.nan)

    def keep_first(self) -> None:
        """Copy the first backward run's gradients, then forget them (the second run refills)."""
        n = len(self.layers)
        first = {f"{p}{k}": np.array(g, copy=True)
                 for p, layer in zip(self.prefixes, self.layers, strict=True)
                 for k, g in layer.grads.items()}
        for i, g in enumerate(self.grad_ins):
            first[f"<input {i}>"] = _copy(g)
        first[f"<input {n}>"] = _copy(self.grad_outs[n - 1])
        self.first = first
        self.grad_ins = [None] * n
        self.grad_outs = [None] * n

    @contextmanager
    def tapped(self):
        """Install the taps; always remove them, even if the code under test raises."""
        saved = []
        try:
            for i, layer in enumerate(self.layers):
                own = vars(layer)
                saved.append((layer, own.get("forward"), own.get("backward")))
                layer.forward = self._tap_forward(i, layer.forward)
                layer.backward = self._tap_backward(i, layer.backward)
            yield self
        finally:
            for layer, fwd, bwd in saved:
                for name, original in (("forward", fwd), ("backward", bwd)):
                    if original is None:
                        vars(layer).pop(name, None)
                    else:
                        setattr(layer, name, original)

    def _tap_forward(self, i: int, forward):
        outs = self.outs

        def tap(x):
            self.phase, self.layer = "forward", i
            # what x holds now: layer i - 1's output snapshot, or a copy of the caller's x
            before = outs[i - 1] if i > 0 and outs[i - 1] is not None else _copy(x)
            out = forward(x)
            if isinstance(x, np.ndarray) and isinstance(before, np.ndarray) \
                    and not np.array_equal(x, before):
                self.inputs_changed[i] = (before, _copy(x))
            # A snapshot: a backward that scales its cached output in place would
            # otherwise make a correct forward look wrong after the fact.
            outs[i] = _copy(out)
            return out
        return tap

    def _tap_backward(self, i: int, backward):
        def tap(grad_out):
            self.phase, self.layer = "backward", i
            # A snapshot: a layer that scales its grad_out in place would otherwise
            # rewrite what the layer above returned, and get that layer blamed.
            self.grad_outs[i] = _copy(grad_out)
            grad_in = backward(grad_out)
            self.grad_ins[i] = grad_in
            return grad_in
        return tap


def _copy(a):
    return np.array(a, copy=True) if isinstance(a, np.ndarray) else a

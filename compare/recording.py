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
        # layer -> [(what, before, after)] when layer i's backward wrote into an array it
        # does not own: its forward output or input (caches) or the grad_out it was handed
        self.backward_writes: dict = {}
        self._in_objs: list = [None] * n   # the arrays forward was given and returned:
        self._out_objs: list = [None] * n  # caches the layers (and their neighbours) keep
        self._x_before = None
        self._watch_writes = True  # first backward run only: a second run would re-see them
        self._seen_writes: dict = {}  # id(array) -> (array, its value after a blamed write)

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
        self._watch_writes = False

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
            self._in_objs[i], self._out_objs[i] = x, out
            if i == 0:
                self._x_before = before
            if isinstance(x, np.ndarray) and isinstance(before, np.ndarray) \
                    and not np.array_equal(x, before):
                self.inputs_changed[i] = (before, _copy(x))
                # already blamed on this forward: backward is judged from this state on
                self._seen_writes[id(x)] = (x, self.inputs_changed[i][1])
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
            if self._watch_writes:
                self._check_writes(i, grad_out)
            return grad_in
        return tap

    def _check_writes(self, i: int, grad_out) -> None:
        """Did layer i's backward just write into its output, its input or its grad_out?

        Each is compared with the snapshot taken when it was made (no copy is
        made here), so the layer that wrote is the one named, not the layer whose
        cache it hit. Only the first write of each kind per layer is kept.
        """
        inp = self.outs[i - 1] if i > 0 else self._x_before
        watched = (("its cached forward output", self._out_objs[i], self.outs[i]),
                   ("its cached forward input", self._in_objs[i], inp),
                   ("the dL/doutput it was handed", grad_out, self.grad_outs[i]))
        for what, live, snapshot in watched:
            if not (isinstance(live, np.ndarray) and isinstance(snapshot, np.ndarray)) \
                    or live.shape != snapshot.shape or live is snapshot:
                continue
            # an array a layer above already wrote into is judged from that state on
            seen = self._seen_writes.get(id(live))
            if seen is not None and seen[0] is live:
                snapshot = seen[1]
            if not np.array_equal(live, snapshot, equal_nan=True):
                after = _copy(live)
                self._seen_writes[id(live)] = (live, after)
                self.backward_writes.setdefault(i, []).append((what, snapshot, after))


def _copy(a):
    return np.array(a, copy=True) if isinstance(a, np.ndarray) else a

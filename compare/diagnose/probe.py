"""Opt-in extra backward passes that tell accumulated gradients from ones never written.

A single backward cannot tell "overwrites its gradient" from "adds to a
gradient that happened to start at zero", nor "computes it" from "left it as
the last call did". :func:`probe_backward` runs the layer four times:

1. gradient buffers filled with NaN, on ``(x, g)``: any NaN left means the
   buffer is added to or never written;
2. buffers filled with 0, on ``(x, g)``: the value from a clean start;
3. on ``(x, g)`` again: an overwriting layer reproduces 2, an accumulating
   one doubles it;
4. on fresh random ``(x', g')``: a layer that writes its gradient changes it,
   a stale one leaves it bit-for-bit as it was.
"""

from __future__ import annotations

import numpy as np

from ..access import describe_layer, param_access
from .hint import Hint, allclose


def _snapshot(access) -> dict[str, np.ndarray]:
    return {n: np.array(g, copy=True) for n, g in access.grads().items()
            if isinstance(g, np.ndarray)}


def _fill(access, value: float) -> None:
    for g in access.grads().values():
        if isinstance(g, np.ndarray) and g.dtype.kind == "f" and g.flags.writeable:
            g.fill(value)


def _pass(layer, x: np.ndarray, g_seed: int) -> None:
    out = layer.forward(x)
    g = np.random.default_rng(g_seed).standard_normal(np.shape(out)).astype(out.dtype)
    layer.backward(g)


def probe_backward(layer, x: np.ndarray, *, params=None, grads=None, seed: int = 0,
                   rtol: float = 1e-7, atol: float = 1e-7) -> list[Hint]:
    """Run ``layer`` forward/backward four times and report stateful gradients.

    Parameters
    ----------
    layer : object with ``forward(x)``, ``backward(grad_out)`` and parameters
        (found as :func:`compare.access.param_access` finds them). Its
        gradients are overwritten; pass a copy to keep them.
    x : np.ndarray, (batch, ...) float
        An input the layer accepts.
    params, grads : optional, see ``param_access``
    seed : int
        Seeds the upstream gradients and the fresh input of pass 4.
    rtol, atol : float
        Tolerance for "reproduced" and "doubled".

    Returns
    -------
    list of Hint
        Per affected parameter (``where`` is ``"<layer> grad <name>"``):
        ``accumulated`` (doubles on a repeated call), ``never_written`` (a
        NaN or zero placed in the buffer before backward survives, or a call
        on new data leaves it unchanged); ``[]`` for a layer that overwrites
        its gradients from the current call.
    """
    access = param_access(layer, params, grads)
    name = describe_layer(layer)
    _fill(access, np.nan)
    _pass(layer, x, seed)
    poisoned = {k for k, g in _snapshot(access).items() if np.isnan(g).any()}
    _fill(access, 0.0)
    _pass(layer, x, seed)
    first = _snapshot(access)
    _pass(layer, x, seed)
    second = _snapshot(access)
    fresh_x = np.random.default_rng(seed + 1).standard_normal(x.shape).astype(x.dtype)
    _pass(layer, fresh_x, seed + 2)
    third = _snapshot(access)

    hints = []
    for key, g1 in first.items():
        where = f"{name} grad {key}"
        g2, g3 = second[key], third[key]
        if g1.any() and allclose(g2, 2 * g1, rtol, atol) and not allclose(g2, g1, rtol, atol):
            nan_note = " (NaN put in the buffer before backward also survived)" \
                if key in poisoned else ""
            msg = (f"a repeated identical forward/backward doubles the gradient (all "
                   f"{g1.size} elements){nan_note}: backward adds into it (+=) instead of "
                   "overwriting it, so every call without zero_grad() accumulates.")
            hints.append(Hint("accumulated", where, msg, {"ratio": 2.0,
                                                          "nan_survived": key in poisoned}))
        elif not g1.any() and not g3.any():
            if key in poisoned:
                msg = (f"NaN put in the buffer before backward survives, and so do zeros, on "
                       f"all {g1.size} elements: backward never writes this gradient (it "
                       "computes it into a local, or into an array the layer no longer holds).")
                hints.append(Hint("never_written", where, msg, {"nan_survived": True}))
            else:
                msg = (f"the first call wrote the gradient, but after it was zeroed, later "
                       f"calls on real data left all {g1.size} elements at zero: it is "
                       "written on the first call only (stale afterwards), e.g. computed "
                       "only while still unset.")
                hints.append(Hint("never_written", where, msg, {"stale": True}))
        elif g2.any() and np.array_equal(g3, g2):
            msg = (f"backward on a fresh random input and upstream gradient left the gradient "
                   f"bit-for-bit as the previous call set it (all {g3.size} elements): it is "
                   "not written after the first call (stale), e.g. computed only when still "
                   "unset, or written into a copy.")
            hints.append(Hint("never_written", where, msg, {"stale": True}))
        elif key in poisoned:
            msg = ("NaN put in the buffer before backward partly survives, though the "
                   "gradient neither doubles nor stays at zero: backward writes only part "
                   "of it, or mixes the old buffer into the new value.")
            hints.append(Hint("never_written", where, msg, {"nan_survived": True,
                                                            "partial": True}))
    return hints

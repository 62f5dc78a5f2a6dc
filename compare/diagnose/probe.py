"""Opt-in extra backward passes that expose gradients which are accumulated or never written.

One forward/backward cannot tell "overwrites its gradient" from "adds to a
gradient that happened to start at zero", nor "computes it" from "left it as
the last call did". :func:`probe_backward` runs the layer three times:

1. on ``(x, g)``: the baseline;
2. on ``(x, g)`` again: an overwriting layer reproduces 1, an accumulating
   one doubles it;
3. on fresh random ``(x', g')``: a layer that writes its gradient changes it,
   a stale one leaves it bit-for-bit as it was.
"""

from __future__ import annotations

import numpy as np

from ..access import describe_layer, param_access
from .hint import Hint
from .zeros import second_pass_hints


def _snapshot(access) -> dict[str, np.ndarray]:
    return {n: np.array(g, copy=True) for n, g in access.grads().items() if g is not None}


def _pass(layer, x: np.ndarray, g_seed: int) -> None:
    out = layer.forward(x)
    g = np.random.default_rng(g_seed).standard_normal(np.shape(out)).astype(out.dtype)
    layer.backward(g)


def probe_backward(layer, x: np.ndarray, *, params=None, grads=None, seed: int = 0,
                   rtol: float = 1e-7, atol: float = 1e-7) -> list[Hint]:
    """Run ``layer`` forward/backward three times and report stateful gradients.

    Parameters
    ----------
    layer : object with ``forward(x)``, ``backward(grad_out)`` and parameters
        (found as :func:`compare.access.param_access` finds them).
    x : np.ndarray, (batch, ...) float
    params, grads : optional, see ``param_access``
    seed : int
        Seeds the upstream gradients and the fresh input of pass 3.
    rtol, atol : float
        Tolerance for "reproduced" and "doubled".

    Returns
    -------
    list of Hint
        ``accumulated`` or ``never_written`` per affected parameter; ``[]``
        for a layer that overwrites its gradients from the current call.
    """
    access = param_access(layer, params, grads)
    name = describe_layer(layer)
    _pass(layer, x, seed)
    first = _snapshot(access)
    _pass(layer, x, seed)
    second = _snapshot(access)
    hints = [Hint(h.kind, f"{name} {h.where}", h.message, h.evidence)
             for h in second_pass_hints(first, second, rtol=rtol, atol=atol)]
    flagged = {h.where for h in hints}
    fresh_x = np.random.default_rng(seed + 1).standard_normal(x.shape).astype(x.dtype)
    _pass(layer, fresh_x, seed + 2)
    third = _snapshot(access)
    for key, g3 in third.items():
        if f"{name} grad {key}" in flagged or not second[key].any():
            continue
        if np.array_equal(g3, second[key]):
            msg = (f"backward on a fresh random input and upstream gradient left the gradient "
                   f"bit-for-bit as the previous call set it (all {g3.size} elements): it is "
                   "never written after the first call (stale), e.g. computed only when "
                   "still None, or written into a copy.")
            hints.append(Hint("never_written", f"{name} grad {key}", msg,
                              {"elements": int(g3.size)}))
    return hints

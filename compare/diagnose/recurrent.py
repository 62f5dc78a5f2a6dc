"""Recurrent (Elman tanh) layers: name a BPTT bug only when re-running it reproduces scratch.

Three classic BPTT bugs all leave the last time step right and every earlier
step wrong, so *where* the numbers part says nothing about *why*. Instead the
layer's own parameters (any names, one or two bias vectors or none, weights
stored (in, hidden) or (hidden, in)) are identified by re-running its forward
pass, then backpropagation through time is re-run with each known bug
planted:

* ``W_hh`` not transposed when the gradient flows from h_t to h_{t-1};
* the gradient from step t+1 added *after* multiplying by tanh'(.) at step t;
* only the last step's upstream dL/dh_T used (earlier steps' own dropped);
* every upstream carried back at most k steps (truncated BPTT, k = 1 .. T-1).

A hint is given only when exactly that variant reproduces scratch's array
while the correct BPTT reproduces the reference's (the mismatch disappears
under the suspected fix). A layer whose parameters are identified but no
variant fits gets "no known signature fits".
"""

from __future__ import annotations

import itertools

import numpy as np

from .hint import Hint

MATCH = {np.dtype(np.float64): 1e-7, np.dtype(np.float32): 1e-4}

_CAUSES = {
    "not_transposed": ("transpose", "W_hh is not transposed where the gradient flows from h_t "
                       "back to h_(t-1): it must be dpre_t @ W_hh.T for h_t = tanh(... + "
                       "h_(t-1) @ W_hh) (or W_hh.T @ dpre_t in column form)"),
    "after_tanh": ("derivative", "the gradient carried back from step t+1 is added after "
                   "multiplying by tanh'(pre_t) = 1 - h_t**2 instead of before: it must be "
                   "dpre_t = (dL/dh_t + dh_from_t+1) * (1 - h_t**2)"),
    "no_derivative": ("derivative", "tanh's derivative 1 - h_t**2 is never applied in BPTT: "
                      "dpre_t must be (dL/dh_t + dh_from_t+1) * (1 - h_t**2)"),
    "h_current": ("operand", "dL/dW_hh is built from h_t where h_(t-1) belongs (the state the "
                  "recurrent weight multiplied): it must be sum_t h_(t-1).T @ dpre_t"),
    "last_only": ("operand", "only the last time step's upstream dL/dh_T enters BPTT: every "
                  "step's own dL/dh_t (the layer returns all hidden states) must be added "
                  "to the gradient carried back from step t+1"),
}


def recurrent_hint(layer, x, grad_out, layer_output, expected, actual, key: str | None,
                   name: str) -> Hint | None:
    """A confirmed BPTT hint, an ``unexplained`` one, or None (not an identifiable Elman RNN).

    Parameters
    ----------
    layer : object with a ``params`` dict
    x : np.ndarray, (batch, time, in)
    grad_out : np.ndarray, (batch, time, hidden)
    layer_output : np.ndarray, (batch, time, hidden)
    expected, actual : np.ndarray
        The reference's and scratch's array for this entry.
    key : str or None
        The parameter the entry is about (its key in ``layer.params``); None for dL/dinput.
    name : str
        The entry's name, for the hint.
    """
    params = getattr(layer, "params", None)
    if not isinstance(params, dict) or any(v is None for v in (x, grad_out, layer_output)) \
            or x.ndim != 3 or grad_out.ndim != 3 or grad_out.shape != layer_output.shape:
        return None
    form = _identify(params, x, layer_output)
    if form is None:
        return None
    tol = MATCH.get(np.result_type(actual.dtype, expected.dtype), 1e-7)
    steps = x.shape[1]

    def grads(mode, k=None):
        return _bptt(form, x, layer_output, grad_out.astype(np.float64), mode, k).get(key)

    if not _fits(grads("correct"), expected, tol):
        return None  # the form was not recognised after all: say nothing
    for mode in _CAUSES:
        if _fits(grads(mode), actual, tol):
            kind, why = _CAUSES[mode]
            return Hint(kind, name, f"re-running BPTT with this bug planted reproduces scratch's "
                        f"{name} on every element (and the correct BPTT reproduces the "
                        f"reference's): {why}.", {"bptt_variant": mode})
    for k in range(1, steps):
        if _fits(grads("truncated", k), actual, tol):
            return Hint("localized", name, f"re-running BPTT with every upstream gradient "
                        f"carried back at most {k} step(s) reproduces scratch's {name} (the "
                        f"sequence has {steps}): a truncated loop; the gradient must flow "
                        "back through every earlier step.", {"bptt_variant": "truncated",
                                                              "steps_kept": k})
        if _fits(grads("stops_early", k), actual, tol):
            return None  # the loop skips the first steps: the localized detector words it
    return Hint("unexplained", name, "an Elman tanh RNN (identified by re-running its forward "
                "pass); none of the known BPTT bugs (W_hh not transposed, recurrent gradient "
                "added after tanh', last step's upstream only, truncation) reproduces "
                f"scratch's {name}: no known signature fits.", {"bptt_variant": None})


def _fits(candidate, target, tol) -> bool:
    if candidate is None or target is None or candidate.shape != target.shape:
        return False
    t = target.astype(np.float64)
    scale = max(float(np.max(np.abs(candidate), initial=0.0)), 1e-300)
    return bool(np.all(np.isfinite(t))) and float(np.max(np.abs(t - candidate))) <= tol * scale


def _identify(params: dict, x, hs):
    """(key_x, x_transposed, key_h, h_transposed, bias keys) that re-run the forward, or None."""
    hidden, n_in = hs.shape[-1], x.shape[-1]
    mats = {k: v for k, v in params.items() if isinstance(v, np.ndarray) and v.ndim == 2}
    vecs = [k for k, v in params.items() if isinstance(v, np.ndarray) and v.shape == (hidden,)]
    if len(mats) != 2 or len(params) - len(mats) - len(vecs) != 0 or len(vecs) > 2:
        return None
    for kh, kx in itertools.permutations(mats, 2):
        if mats[kh].shape != (hidden, hidden) or mats[kx].shape not in ((n_in, hidden),
                                                                         (hidden, n_in)):
            continue
        for th, tx in itertools.product((False, True), repeat=2):
            if (mats[kx].T if tx else mats[kx]).shape != (n_in, hidden):
                continue
            form = (kx, tx, kh, th, tuple(vecs), params)
            if np.allclose(_forward(form, x), hs, rtol=1e-5, atol=1e-6):
                return form
    return None


def _weights(form):
    kx, tx, kh, th, vecs, params = form
    wx = params[kx].astype(np.float64)
    wh = params[kh].astype(np.float64)
    b = sum((params[k].astype(np.float64) for k in vecs), np.zeros(wh.shape[0]))
    return (wx.T if tx else wx), (wh.T if th else wh), b


def _forward(form, x):
    wx, wh, b = _weights(form)
    h = np.zeros((x.shape[0], wh.shape[0]))
    out = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t].astype(np.float64) @ wx + h @ wh + b)
        out.append(h)
    return np.stack(out, axis=1)


def _bptt(form, x, hs, go, mode: str, k: int | None) -> dict:
    """Gradients of every parameter (in its stored layout, by key) and of x (key None)."""
    kx, tx, kh, th, vecs, _ = form
    wx, wh, _ = _weights(form)
    hs = hs.astype(np.float64)
    deriv = 1.0 - hs * hs
    back = wh if mode == "not_transposed" else wh.T
    steps = x.shape[1]
    gpre = np.zeros_like(go)
    if mode == "truncated":
        for s in range(steps):
            g = go[:, s]
            for t in range(s, max(-1, s - k), -1):
                g = g * deriv[:, t]
                gpre[:, t] += g
                g = g @ back
    else:
        carried = np.zeros_like(go[:, 0])
        first = steps - k if mode == "stops_early" else 0
        for t in range(steps - 1, first - 1, -1):
            up = go[:, t] if mode != "last_only" or t == steps - 1 else 0.0
            d = 1.0 if mode == "no_derivative" else deriv[:, t]
            gpre[:, t] = up * d + carried if mode == "after_tanh" else (up + carried) * d
            carried = gpre[:, t] @ back
    h_prev = hs if mode == "h_current" else \
        np.concatenate([np.zeros_like(hs[:, :1]), hs[:, :-1]], axis=1)
    rows = gpre.reshape(-1, gpre.shape[-1])
    gwx = x.reshape(rows.shape[0], -1).astype(np.float64).T @ rows
    gwh = h_prev.reshape(rows.shape[0], -1).T @ rows
    out = {kx: gwx.T if tx else gwx, kh: gwh.T if th else gwh, None: gpre @ wx.T}
    for key in vecs:
        out[key] = rows.sum(axis=0)
    return out

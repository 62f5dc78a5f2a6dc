"""Finite-difference gradient errors for one layer, shared by the conv/pool/RNN tests."""

from __future__ import annotations

import numpy as np

from tests.numgrad import numerical_grad, rel_error


def gradient_errors(layer, x, upstream, extra=None) -> dict[str, float]:
    """rel_error of backward's dL/dx, dL/d(extra inputs) and dL/d(param) vs central differences.

    The loss is ``L = sum(upstream * layer.forward(x, **extra))``, so
    backward(upstream) must return exactly its gradients.

    Parameters
    ----------
    layer : scratch layer
    x : input array
    upstream : array shaped like the layer's output
    extra : dict name -> (array, getter of its analytic gradient), optional
        Further forward inputs, e.g. ``{"h0": (h0, lambda: rnn.grad_h0)}``.

    Returns
    -------
    dict keyed "x", each extra name and "param <key>".
    """
    extra = extra or {}

    def run():
        return layer.forward(x, **{k: a for k, (a, _) in extra.items()})

    def loss():
        return float(np.sum(upstream * run()))

    run()
    dx = layer.backward(upstream)
    assert dx.shape == x.shape and dx.dtype == x.dtype
    assert layer.grads.keys() == layer.params.keys()
    analytic = {"x": dx.copy(), **{k: get().copy() for k, (_, get) in extra.items()}}
    analytic.update({f"param {k}": g.copy() for k, g in layer.grads.items()})
    arrays = {"x": x, **{k: a for k, (a, _) in extra.items()},
              **{f"param {k}": p for k, p in layer.params.items()}}
    return {name: rel_error(analytic[name], numerical_grad(loss, array))
            for name, array in arrays.items()}


def distinct_values(rng, shape) -> np.ndarray:
    """Values at least 1e-2 apart, so a 1e-6 perturbation never changes a window's maximum."""
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 1e-2 + rng.uniform(0, 1e-3)

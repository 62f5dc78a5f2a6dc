"""Your own layer, checked against torch inside your own pytest suite.

Installing twinnet installs its pytest plugin, so this file needs no setup:
``pytest examples/test_my_layer.py``. If the check fails, pytest prints
twinnet's report and the seed that replays the case (``--twinnet-seed N``).
"""

import numpy as np
import torch


class TanhDense:
    """A hand-written layer ``y = tanh(x @ W + b)`` that keeps its arrays in dicts.

    Shapes: ``W`` (n_in, n_out), ``b`` (n_out,); ``x`` (batch, n_in) -> ``y`` (batch, n_out).
    """

    def __init__(self, n_in, n_out, rng):
        self.params = {"W": rng.normal(size=(n_in, n_out)), "b": rng.normal(size=n_out)}
        self.grads = {}

    def forward(self, x):
        self.x = x
        self.y = np.tanh(x @ self.params["W"] + self.params["b"])
        return self.y

    def backward(self, grad_out):
        grad_z = grad_out * (1 - self.y**2)
        self.grads = {"W": self.x.T @ grad_z, "b": grad_z.sum(axis=0)}
        return grad_z @ self.params["W"].T


def test_tanh_dense_matches_torch(twinnet, twinnet_rng):
    layer = TanhDense(3, 2, twinnet_rng)
    x = twinnet_rng.normal(size=(5, 3))
    twinnet.check_layer(layer, reference=lambda x, W, b: torch.tanh(x @ W + b), x=x)

"""NumPy under unusual names, a layers module used as a module, and a forward made by a factory."""

import numpy as N
import numpy.linalg as la

from . import cs231n_layers as layers


def unit_rows_forward(x):
    # each row scaled to unit length, then squashed
    out = N.tanh(x / la.norm(x, axis=1, keepdims=True))
    return out, x


def two_layer_forward(x, w1, b1, w2, b2):
    h, cache1 = layers.affine_forward(x, w1, b1)
    h, cache_relu = layers.relu_forward(h)
    out, cache2 = layers.affine_forward(h, w2, b2)
    return out, (cache1, cache_relu, cache2)


def make_forward(activation):
    """A forward closed over a helper function: NumPy is reached through the closure."""
    def forward(x, w):
        return activation(x @ w), (x, w)
    return forward


def softsign(z):
    return z / (1 + N.abs(z))

"""numpy-ml 0.1.2's layers pass check_layer as published: no adapter, no options.

numpy-ml accumulates gradients (``+=``) and keeps a list of every input its
forward saw, cleared by ``flush_gradients()``; check_layer must find that
convention on its own. Optional dependency: ``pip install numpy-ml==0.1.2 --no-deps``.
"""

import collections
import collections.abc

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from compare import check_layer


@pytest.fixture(scope="module")
def layers():
    # numpy-ml 0.1.2 still imports collections.Hashable (moved to collections.abc in 3.10)
    patch = pytest.MonkeyPatch()
    patch.setattr(collections, "Hashable", collections.abc.Hashable, raising=False)
    try:
        mod = pytest.importorskip(
            "numpy_ml.neural_nets.layers",
            reason="numpy-ml not installed (optional: pip install numpy-ml==0.1.2 --no-deps)")
        yield mod
    finally:
        patch.undo()


def _fixed_weights(layer, seed):
    """numpy-ml draws its initial weights from the global RNG: replace them, for a fixed test."""
    rng = np.random.default_rng(seed)
    for p in layer.parameters.values():
        p[...] = rng.normal(size=p.shape) * 0.5


ACTS = {"ReLU": torch.relu, "Tanh": torch.tanh, "Sigmoid": torch.sigmoid,
        "Identity": lambda z: z}


@pytest.mark.parametrize("act", sorted(ACTS))
def test_fully_connected_passes_as_published(layers, act):
    layer = layers.FullyConnected(4, act_fn=act if act != "Identity" else None)
    x = np.random.default_rng(1).normal(size=(6, 5))
    layer.forward(x)  # initialises the parameters
    _fixed_weights(layer, 0)
    report = check_layer(layer, lambda x, W, b: ACTS[act](x @ W + b), x)
    assert report.ok, report
    assert any("accumulate" in n and "flush_gradients" in n and "exactly once" in n
               for n in report.notes), report.notes


def test_fully_connected_with_a_wrong_bias_gradient_fails(layers):
    class Halved(layers.FullyConnected):
        def _bwd(self, dLdy, X):
            dX, dW, dB = super()._bwd(dLdy, X)
            return dX, dW, dB / 2

    layer = Halved(3, act_fn="Tanh")
    x = np.random.default_rng(2).normal(size=(5, 4))
    layer.forward(x)
    _fixed_weights(layer, 1)
    report = check_layer(layer, lambda x, W, b: torch.tanh(x @ W + b), x)
    assert [e.param for e in report.failures][:1] == ["b"]


def _conv_nhwc(x, W, b, stride, pad):
    # numpy-ml is NHWC with W (kh, kw, in, out) and b (1, 1, 1, out)
    y = F.conv2d(x.permute(0, 3, 1, 2), W.permute(3, 2, 0, 1), b.reshape(-1),
                 stride=stride, padding=pad)
    return y.permute(0, 2, 3, 1)


def test_conv2d_passes_as_published(layers):
    layer = layers.Conv2D(out_ch=3, kernel_shape=(2, 2), stride=1, pad=1, act_fn="Tanh")
    x = np.random.default_rng(3).normal(size=(2, 4, 4, 2))
    layer.forward(x)
    _fixed_weights(layer, 2)
    report = check_layer(layer, lambda x, W, b: torch.tanh(_conv_nhwc(x, W, b, 1, 1)), x)
    assert report.ok, report


def test_pool2d_passes_as_published(layers):
    layer = layers.Pool2D(kernel_shape=(2, 2), stride=2, mode="max")
    x = np.random.default_rng(4).normal(size=(2, 4, 4, 3))
    layer.forward(x)
    report = check_layer(layer, lambda x: F.max_pool2d(x.permute(0, 3, 1, 2), 2, 2)
                         .permute(0, 2, 3, 1), x)
    assert report.ok, report

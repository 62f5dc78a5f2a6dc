"""Property-based: Hypothesis draws shapes and inputs, exact zeros included.

``compare.strategies.inputs`` salts its arrays with the values where ReLU
and Step have their kink (0.0, -0.0, +-tiny, +-eps), so a backward that
picks the wrong side at x == 0 is found within a few dozen examples.
Run: ``pytest examples/test_my_relu_hypothesis.py``.
"""

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import compare
from compare.strategies import dtypes, inputs, layer_shapes


class MyReLU:
    """``y = max(x, 0)``; x (batch, n) -> y (batch, n). The gradient at 0 is 0, as torch's."""

    def forward(self, x):
        self.mask = x > 0
        return np.where(self.mask, x, 0).astype(x.dtype)

    def backward(self, grad_out):
        return np.where(self.mask, grad_out, 0).astype(grad_out.dtype)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_my_relu_matches_torch_even_at_zero(data):
    x = data.draw(inputs(data.draw(layer_shapes()).x_shape, data.draw(dtypes())))
    report = compare.check_layer(MyReLU(), reference=torch.relu, x=x)
    assert report.ok, str(report)

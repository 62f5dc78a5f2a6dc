"""The lecture's LinearSigmoidLayer with one planted bug, and the report that finds it.

Identical to lecture 18, cell [81] except for one line: ``backward`` multiplies
by ``self.W`` where it needs ``self.W.transpose()``. With a square weight
(3 in, 3 out) the shapes still fit, so nothing crashes and only the numbers
are wrong; ``compare.check_layer`` says which ones.

Run it with ``python examples/lecture_layer_broken.py``; it prints the report
and exits with status 1.
"""
# ruff: noqa: E402, E731, I001, NPY002, UP039  (the lecture's cell is pasted with one line changed)

# ---- lecture 18, cell [81], with the bug ----
import numpy as np

# a single linear layer with sigmoid activation
class LinearSigmoidLayer():
    def __init__(self, in_dim, out_dim):
        self.W = np.random.normal(size=(in_dim,out_dim))
        self.W_grad = np.zeros_like(self.W)

        self.afunc = lambda x: 1. / (1. + np.exp(-x))

    # forward function to get output
    def forward(self, x):
        Wx = np.matmul(x, self.W)
        self.y = self.afunc(Wx)
        self.x = x
        return self.y

    # backward function to compute gradients
    def backward(self, grad_out):
        self.W_grad = np.matmul(
            self.x.transpose(),
            self.y * (1-self.y) * grad_out,
        )
        grad_in = np.matmul(
            self.y * (1-self.y) * grad_out,
            self.W  # BUG: should be self.W.transpose()
        )

        return grad_in
# ---- end of cell [81] ----

import torch

import compare

rng = np.random.default_rng(0)
layer = LinearSigmoidLayer(3, 3)  # square, so the missing transpose still fits the shapes
layer.W = rng.normal(size=(3, 3))
x = rng.normal(size=(4, 3))

report = compare.check_layer(layer, reference=lambda x, W: torch.sigmoid(x @ W), x=x)
print(report)
raise SystemExit(0 if report.ok else 1)

"""Check the lecture's LinearSigmoidLayer against torch, its code pasted as a student has it.

Lecture 18, cell [81] is copied below unchanged. ``compare.check_layer`` runs
its ``forward`` and ``backward`` on a batch and compares the output, dL/dW and
dL/dx with torch autograd applied to ``torch.sigmoid(x @ W)``.

Run it with ``python examples/lecture_layer.py``; it prints the report and
exits with status 0 when every number matches.
"""
# ruff: noqa: E402, E731, I001, NPY002, UP039  (the lecture's cell is pasted unchanged)

# ---- lecture 18, cell [81], exactly as printed ----
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
            self.W.transpose()
        )

        return grad_in
# ---- end of cell [81] ----

import torch

import compare

rng = np.random.default_rng(0)
layer = LinearSigmoidLayer(2, 3)  # the lecture's first layer: 2 features in, 3 out
layer.W = rng.normal(size=(2, 3))  # seeded weights, so every run checks the same numbers
x = rng.normal(size=(4, 2))  # a batch of 4 samples

report = compare.check_layer(layer, reference=lambda x, W: torch.sigmoid(x @ W), x=x)
print(report)
raise SystemExit(0 if report.ok else 1)

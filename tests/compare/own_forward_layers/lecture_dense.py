"""Lecture-style layers (the lecture's cell [81] and a tanh sibling): W and W_grad attributes."""
# ruff: noqa: NPY002, UP039 (written as its authors write it)

import numpy as np

from tests.lecture_cells import CELL_81

# The lecture's cell [81] itself, run in this module, so its methods read this module's
# `np` (the name the own-forward oracle swaps) exactly as a student's layers.py would.
exec(CELL_81, globals())  # defines LinearSigmoidLayer


# the same with tanh and a bias, as a student extends it
class LinearTanhLayer():
    def __init__(self, in_dim, out_dim):
        self.W = np.random.normal(size=(in_dim, out_dim)) * 0.5
        self.b = np.zeros(out_dim)
        self.W_grad = np.zeros_like(self.W)
        self.b_grad = np.zeros_like(self.b)

    def forward(self, x):
        self.x = x
        self.y = np.tanh(x @ self.W + self.b)
        return self.y

    def backward(self, grad_out):
        dz = (1 - self.y ** 2) * grad_out
        self.W_grad = self.x.T @ dz
        self.b_grad = dz.sum(axis=0)
        return dz @ self.W.T

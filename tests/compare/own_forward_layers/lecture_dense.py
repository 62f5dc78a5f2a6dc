"""Lecture-style layers (the lecture's cell [81] and a tanh sibling): W and W_grad attributes."""
# ruff: noqa: NPY002, UP039 (written as its authors write it)

import numpy as np


# a single linear layer with sigmoid activation
class LinearSigmoidLayer():
    def __init__(self, in_dim, out_dim):
        self.W = np.random.normal(size=(in_dim, out_dim))
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

"""Forwards that leave torch's NumPy API, each in a way students really write."""
# ruff: noqa: NPY002 (written as its authors write it)

import numpy as np
from scipy.special import expit


def vectorized_step_forward(x):
    # np.vectorize around a Python function: torch._numpy has no vectorize
    out = np.vectorize(lambda v: v if v > 0 else 0.01 * v)(x)
    return out, x


def scipy_sigmoid_forward(x, w):
    # scipy's expit is real NumPy underneath: the torch array leaves the graph
    out = expit(x @ w)
    return out, (x, w)


def rows_forward(x, w):
    # rebuilds the batch from a Python list of rows
    out = np.asarray([row @ w for row in x.tolist()])
    return out, (x, w)


def dropout_forward(x):
    mask = np.random.rand(*x.shape) < 0.5
    return x * mask, mask


def local_import_forward(x):
    import numpy
    return numpy.tanh(x), x


def scaled_tanh_forward(x, w):
    # scales tanh's output in place; torch's tanh backward needs that output unchanged
    out = np.tanh(x @ w)
    out *= 1.7159
    return out, (x, w, out)


def float_loss(x, y):
    # a loss made a Python float with float(): the value is right, the graph is gone
    loss = float(np.sum((x - y) ** 2)) / x.shape[0]
    dx = 2 * (x - y) / x.shape[0]
    return loss, dx


class ExplodingDense:
    """A class layer whose forward raises half-way, after caching things."""

    def __init__(self, W):
        self.W = W
        self.W_grad = np.zeros_like(W)
        self.params = {"W": W}

    def forward(self, x):
        self.x = x
        self.z = np.dot(x, self.W)
        raise RuntimeError("forward exploded on purpose")

    def backward(self, grad_out):
        self.W_grad = self.x.T @ grad_out
        return grad_out @ self.W.T


def _leaky(v):
    return v if v > 0 else 0.1 * v


class VectorizedLeakyDense:
    """A correct layer whose forward uses np.vectorize (so only finite differences can judge it)."""

    def __init__(self, W):
        self.W = W
        self.W_grad = np.zeros_like(W)

    def forward(self, x):
        self.x = x
        self.z = x @ self.W
        return np.vectorize(_leaky)(self.z)

    def backward(self, grad_out):
        dz = grad_out * np.where(self.z > 0, 1.0, 0.1)
        self.W_grad = self.x.T @ dz
        return dz @ self.W.T


class VectorizedLeakyDenseNoSlope(VectorizedLeakyDense):
    # forgets the 0.1 slope for negative inputs in W_grad
    def backward(self, grad_out):
        dx = super().backward(grad_out)
        self.W_grad = self.x.T @ (grad_out * (self.z > 0))
        return dx


class RunningSumCell:
    """A stateful layer: its forward adds the previous call's output (a toy recurrence)."""

    def __init__(self, W):
        self.W = W
        self.W_grad = np.zeros_like(W)
        self.h = np.zeros((1, W.shape[1]))

    def forward(self, x):
        self.x = x
        self.h = np.tanh(x @ self.W) + self.h.mean(axis=0, keepdims=True)
        return self.h

    def backward(self, grad_out):
        dz = grad_out * (1 - np.tanh(self.x @ self.W) ** 2)
        self.W_grad = self.x.T @ dz
        return dz @ self.W.T


def counting_forward(x, w, calls=[]):  # noqa: B006 (the mutable default is the point)
    # every call scales by how often it ran: no two runs compute the same function
    calls.append(1)
    return x @ w * len(calls), (x, w, len(calls))


def counting_backward(dout, cache):
    x, w, n = cache
    return dout @ w.T * n, x.T @ dout * n

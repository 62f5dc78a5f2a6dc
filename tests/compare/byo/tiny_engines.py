"""Two small autograd engines written micrograd-style, for check_engine's tests.

``Tensor`` holds a numpy array and broadcasts like numpy; ``Value`` holds one
float (Karpathy's micrograd shape). Each op records a closure that pushes
``out.grad`` into its operands; ``backward`` walks the graph in reverse
topological order. Bug variants are subclasses overriding one op, as a
student's slip would change one line.
"""

import math

import numpy as np


def _topo(root):
    order, seen = [], set()

    def visit(node):
        if id(node) not in seen:
            seen.add(id(node))
            for parent in node._prev:
                visit(parent)
            order.append(node)
    visit(root)
    return order


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape`` (undo numpy broadcasting)."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


class Tensor:
    def __init__(self, data, _prev=()):
        self.data = np.asarray(data, dtype=np.float64)
        self.grad = np.zeros_like(self.data)
        self._prev, self._backward = _prev, lambda: None

    def _make(self, data, prev):
        return type(self)(data, prev)

    def __add__(self, other):
        out = self._make(self.data + other.data, (self, other))

        def _backward():
            self.grad += unbroadcast(out.grad, self.data.shape)
            other.grad += unbroadcast(out.grad, other.data.shape)
        out._backward = _backward
        return out

    def __mul__(self, other):
        out = self._make(self.data * other.data, (self, other))

        def _backward():
            self.grad += unbroadcast(other.data * out.grad, self.data.shape)
            other.grad += unbroadcast(self.data * out.grad, other.data.shape)
        out._backward = _backward
        return out

    def __matmul__(self, other):
        out = self._make(self.data @ other.data, (self, other))

        def _backward():
            self.grad += out.grad @ other.data.T
            other.grad += self.data.T @ out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = np.tanh(self.data)
        out = self._make(t, (self,))

        def _backward():
            self.grad += (1 - t ** 2) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = self._make(np.maximum(self.data, 0), (self,))

        def _backward():
            self.grad += (self.data > 0) * out.grad
        out._backward = _backward
        return out

    def backward(self, upstream):
        self.grad = np.asarray(upstream, dtype=np.float64).copy()
        for node in reversed(_topo(self)):
            node._backward()


class Value:
    def __init__(self, data, _prev=()):
        self.data, self.grad = float(data), 0.0
        self._prev, self._backward = _prev, lambda: None

    def _make(self, data, prev):
        return type(self)(data, prev)

    def _lift(self, other):
        return other if isinstance(other, Value) else type(self)(other)

    def __add__(self, other):
        other = self._lift(other)
        out = self._make(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    __radd__ = __add__

    def __mul__(self, other):
        other = self._lift(other)
        out = self._make(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    __rmul__ = __mul__

    def __pow__(self, k):
        out = self._make(self.data ** k, (self,))

        def _backward():
            self.grad += k * self.data ** (k - 1) * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = self._make(t, (self,))

        def _backward():
            self.grad += (1 - t * t) * out.grad
        out._backward = _backward
        return out

    def backward(self, upstream=1.0):
        self.grad = float(upstream)
        for node in reversed(_topo(self)):
            node._backward()

"""Book-style dense layer: W, b with dW, db; plain ``import numpy``; ReLU after the affine map."""

import numpy


class Dense:
    def __init__(self, n_in, n_out, seed=0):
        rng = numpy.random.default_rng(seed)
        self.W = rng.standard_normal((n_in, n_out)) / numpy.sqrt(n_in)
        self.b = numpy.zeros((1, n_out))
        self.dW = None
        self.db = None

    def forward(self, X):
        self.X = X
        self.Z = numpy.dot(X, self.W) + self.b
        return numpy.maximum(self.Z, 0.0)

    def backward(self, dA):
        dZ = dA * (self.Z > 0)
        self.dW = numpy.dot(self.X.T, dZ)
        self.db = numpy.sum(dZ, axis=0, keepdims=True)
        return numpy.dot(dZ, self.W.T)

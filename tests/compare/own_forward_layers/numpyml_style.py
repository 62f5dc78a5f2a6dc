"""A fully-connected layer in numpy-ml's manner: parameters/gradients dicts, accumulating.

Its activation is an object from another user module, its forward keeps every input
in a list (``self.X``), and backward ADDS into ``gradients`` as numpy-ml does.
"""

import numpy as np

from .numpyml_activations import Sigmoid


class FullyConnected:
    def __init__(self, n_in, n_out, seed=0):
        rng = np.random.default_rng(seed)
        self.act_fn = Sigmoid()
        self.parameters = {"W": rng.normal(size=(n_in, n_out)) * 0.5,
                           "b": rng.normal(size=(1, n_out))}
        self.gradients = {"W": np.zeros((n_in, n_out)), "b": np.zeros((1, n_out))}
        self.derived_variables = {"Z": []}
        self.X = []

    def forward(self, X, retain_derived=True):
        Y, Z = self._fwd(X)
        if retain_derived:
            self.X.append(X)
            self.derived_variables["Z"].append(Z)
        return Y

    def _fwd(self, X):
        W = self.parameters["W"]
        b = self.parameters["b"]
        Z = X @ W + b
        Y = self.act_fn(Z)
        return Y, Z

    def backward(self, dLdy):
        X, Z = self.X[-1], self.derived_variables["Z"][-1]
        dZ = dLdy * self.act_fn.grad(Z)
        self.gradients["W"] += X.T @ dZ
        self.gradients["b"] += dZ.sum(axis=0, keepdims=True)
        return dZ @ self.parameters["W"].T

    def flush_gradients(self):
        self.X = []
        self.derived_variables["Z"] = []
        for k, v in self.gradients.items():
            self.gradients[k] = np.zeros_like(v)

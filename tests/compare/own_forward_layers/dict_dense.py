"""Dict-style layer: params/grads dicts, NumPy brought in with ``from numpy import ...``."""

from numpy import dot, exp, log1p, zeros_like
from numpy.random import default_rng


def softplus(z):
    return log1p_exp(z)


def log1p_exp(z):
    # log(1 + e^z), kept in one helper as a student would
    return log1p(exp(z))


class SoftplusDense:
    def __init__(self, n_in, n_out, seed=0):
        rng = default_rng(seed)
        self.params = {"weight": rng.normal(size=(n_in, n_out)), "bias": rng.normal(size=n_out)}
        self.grads = {k: zeros_like(v) for k, v in self.params.items()}

    def forward(self, x):
        self.x = x
        self.z = dot(x, self.params["weight"]) + self.params["bias"]
        return softplus(self.z)

    def backward(self, grad_out):
        dz = grad_out / (1.0 + exp(-self.z))
        self.grads["weight"] = dot(self.x.T, dz)
        self.grads["bias"] = dz.sum(axis=0)
        return dot(dz, self.params["weight"].T)

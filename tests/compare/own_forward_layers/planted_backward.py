"""Realistic backward bugs planted in the other-style layers (forwards untouched)."""

import numpy as np

from . import book_dense, cs231n_layers, dict_dense, lecture_dense, numpyml_style


class SigmoidNoDerivative(lecture_dense.LinearSigmoidLayer):
    # forgets the sigmoid's derivative y * (1 - y) in W_grad
    def backward(self, grad_out):
        grad_in = super().backward(grad_out)
        self.W_grad = np.matmul(self.x.transpose(), grad_out)
        return grad_in


class DenseBiasNotSummed(book_dense.Dense):
    # averages db over the batch instead of summing it
    def backward(self, dA):
        dX = super().backward(dA)
        self.db = self.db / self.X.shape[0]
        return dX


class SoftplusWeightTransposed(dict_dense.SoftplusDense):
    # dW computed as dz.T @ x: right shape only for a square weight
    def backward(self, grad_out):
        dx = super().backward(grad_out)
        dz = grad_out / (1.0 + np.exp(-self.z))
        self.grads["weight"] = np.dot(dz.T, self.x)
        return dx


class FullyConnectedBiasTwice(numpyml_style.FullyConnected):
    # accumulates the bias gradient twice per backward
    def backward(self, dLdy):
        dX = super().backward(dLdy)
        dZ = dLdy * self.act_fn.grad(self.derived_variables["Z"][-1])
        self.gradients["b"] += dZ.sum(axis=0, keepdims=True)
        return dX


def conv_backward_flipped_dw(dout, cache):
    # dw with the kernel flipped in both spatial axes
    dx, dw, db = cs231n_layers.conv_backward_naive(dout, cache)
    return dx, dw[:, :, ::-1, ::-1].copy(), db


def batchnorm_backward_dgamma_from_x(dout, cache):
    # dgamma from the centred input instead of the normalised one
    x_hat, gamma, var, eps = cache
    dx, dgamma, dbeta = cs231n_layers.batchnorm_backward(dout, cache)
    return dx, np.sum(dout * x_hat * np.sqrt(var + eps), axis=0), dbeta


def softmax_loss_no_mean(x, y):
    # returns the mean loss but the gradient of the summed loss
    loss, dx = cs231n_layers.softmax_loss(x, y)
    return loss, dx * x.shape[0]

"""Broken image and sequence layers: RNN (backpropagation through time), Conv2d, MaxPool2d,
Softmax, one bug each.

Shapes follow scratch: RNN x (batch, time, in) -> (batch, time, hidden);
Conv2d/MaxPool2d NCHW; Softmax over the last axis.
"""

from __future__ import annotations

import numpy as np

import scratch
from scratch.conv import add_windows, windows

from .catalogue import INPUT_GRAD, mutant

# -- RNN -------------------------------------------------------------------------------


# W_hh's gradient survives this one (step 0's term is h0.T @ ..., and h0 = 0), so the
# flag is W_ih: step 0's input weights miss their share, and dL/dx[:, 0] is zero.
@mutant("rnn-bptt-one-step-short", "W_ih", "rnn",
        origin="an off-by-one in the backward time loop: range(T - 1, 0, -1)")
class RNNBackpropOneStepShort(scratch.RNN):
    """Backpropagation through time stops one step early: step 0 gets no gradient."""

    def _steps_backward(self, steps):
        return range(steps - 1, 0, -1)


@mutant("rnn-truncated-to-one-step", "W_hh", "rnn",
        origin="truncated BPTT (k = 1) where full BPTT was meant: h_t's gradient from t + 1 "
               "is dropped")
class RNNTruncatedToOneStep(scratch.RNN):
    """Each step's gradient ignores what flows back from later steps."""

    def _backprop_through_time(self, grad_out):
        hs = self._out
        grad_pre = grad_out * (1 - hs * hs)
        return grad_pre, grad_pre[:, 0] @ self.params["W_hh"].T


@mutant("rnn-b_hh-grad-never-written", "b_hh", "rnn",
        origin="one bias in the formula, two in torch's layout: the second is never updated")
class RNNRecurrentBiasGradNeverWritten(scratch.RNN):
    """Writes dL/db_ih but leaves grads["b_hh"] as it was."""

    def _backward(self, grad_out):
        kept = self.grads["b_hh"].copy()
        grad_in = super()._backward(grad_out)
        self.grads["b_hh"][...] = kept
        return grad_in


# -- Conv2d ----------------------------------------------------------------------------


@mutant("conv-dW-kernel-flipped", "W", "conv",
        origin="mixing up convolution and cross-correlation: dW rotated by 180 degrees")
class Conv2dWeightGradFlipped(scratch.Conv2d):
    """dL/dW comes out rotated by 180 degrees in (kH, kW)."""

    def _weight_grad(self, grad_rows):
        return super()._weight_grad(grad_rows)[:, :, ::-1, ::-1]


@mutant("conv-dx-kernel-flipped", INPUT_GRAD, "conv",
        origin="the textbook's 'full convolution with the flipped kernel' applied to a layer "
               "that is already a cross-correlation")
class Conv2dInputGradFlippedKernel(scratch.Conv2d):
    """dL/dx is computed with the kernel rotated by 180 degrees."""

    def _input_grad(self, grad_rows):
        W = self.params["W"]
        self.params["W"] = np.ascontiguousarray(W[:, :, ::-1, ::-1])
        try:
            return super()._input_grad(grad_rows)
        finally:
            self.params["W"] = W


@mutant("conv-db-mean-over-positions", "b", "conv",
        origin="averaging the bias gradient over output positions instead of summing")
class Conv2dBiasGradMeanOverPositions(scratch.Conv2d):
    """dL/db sums over the batch but averages over the Ho*Wo output positions."""

    def _backward(self, grad_out):
        grad_in = super()._backward(grad_out)
        self.grads["b"][...] = grad_out.sum(axis=0).mean(axis=(1, 2))
        return grad_in


def _write_windows(cols, size, stride):
    """col2im that writes each window's block instead of adding it (the bug)."""
    n, c, kh, kw, ho, wo = cols.shape
    image = np.zeros((n, c, *size), cols.dtype)
    for i in range(kh):
        for j in range(kw):
            image[:, :, i:i + stride[0] * ho:stride[0], j:j + stride[1] * wo:stride[1]] = \
                cols[:, :, i, j]
    return image


@mutant("conv-col2im-overwrites", INPUT_GRAD, "conv",
        reveals="overlapping windows (stride < kernel)",
        origin="col2im with '=' instead of '+=': fine for disjoint windows only")
class Conv2dCol2imOverwrites(scratch.Conv2d):
    """Scatters the columns' gradient back with assignment, losing overlapping windows' sums."""

    def _input_grad(self, grad_rows):
        n, _, h, w = self._x_shape
        (kh, kw), (ph, pw) = self.kernel_size, self.padding
        ho, wo = self.output_size(h, w)
        grad_cols = (self._weight_matrix().T @ grad_rows).reshape(
            n, self.in_channels, kh, kw, ho, wo)
        padded = _write_windows(grad_cols, (h + 2 * ph, w + 2 * pw), self.stride)
        return padded[:, :, ph:ph + h, pw:pw + w]


# -- MaxPool2d -------------------------------------------------------------------------


@mutant("maxpool-grad-to-every-tied-max", INPUT_GRAD, "pool",
        reveals="ties inside a window (exact zeros, a dead channel)",
        origin="mask = (window == max): every tied maximum gets the whole gradient")
class MaxPoolGradToEveryTiedMax(scratch.MaxPool2d):
    """Sends each window's gradient to every element equal to its maximum, not to the first."""

    def _forward(self, x):
        self._x = x
        return super()._forward(x)

    def _backward(self, grad_out):
        view = windows(self._x, self.kernel_size, self.stride)  # (N, C, Ho, Wo, kH, kW)
        hit = view == self._out[..., None, None]
        cols = (hit * grad_out[..., None, None]).transpose(0, 1, 4, 5, 2, 3)
        return add_windows(np.ascontiguousarray(cols), self._x.shape[2:], self.stride)


@mutant("maxpool-grad-spread-evenly", INPUT_GRAD, "pool",
        origin="average pooling's backward in a max-pooling layer")
class MaxPoolGradSpreadEvenly(scratch.MaxPool2d):
    """Spreads each window's gradient evenly over the window."""

    def _backward(self, grad_out):
        n, c, h, w = self._x_shape
        kh, kw = self.kernel_size
        share = grad_out / (kh * kw)
        cols = np.broadcast_to(share[:, :, None, None], (n, c, kh, kw, *grad_out.shape[2:]))
        return add_windows(np.ascontiguousarray(cols), (h, w), self.stride)


# -- Softmax ---------------------------------------------------------------------------


@mutant("softmax-diagonal-jacobian", INPUT_GRAD, "softmax",
        origin="treating softmax as element-wise: dy_i/dx_i = y_i (1 - y_i) and nothing else")
class SoftmaxDiagonalJacobian(scratch.Softmax):
    """dL/dx = g * y (1 - y): only the diagonal of softmax's Jacobian."""

    def _backward(self, grad_out):
        y = self._out
        return grad_out * y * (1 - y)

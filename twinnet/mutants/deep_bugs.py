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


# -- added when the conv/pool tests' own broken layers joined the catalogue (issue 14) ----


class TransposedConvInputGrad(scratch.Conv2d):
    """A correct Conv2d whose dL/dx is written as a transposed convolution.

    The stride-dilated upstream gradient, zero-padded by k - 1, is
    cross-correlated with the kernel flipped in both spatial axes and with
    in/out channels swapped. Not a mutant: the base of the ones below, which
    each get that backward kernel wrong in one way. Shapes: x (N, C, H, W),
    W (O, C, kH, kW).
    """

    def _backward_kernel(self):
        """(C, O, kH, kW) kernel the upstream gradient is correlated with."""
        return self.params["W"][:, :, ::-1, ::-1].transpose(1, 0, 2, 3)

    def _input_grad(self, grad_rows):
        n, _, h, w = self._x_shape
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        ho, wo = self.output_size(h, w)
        full = np.zeros((n, self.out_channels, h + 2 * ph + kh - 1, w + 2 * pw + kw - 1),
                        grad_rows.dtype)
        full[:, :, kh - 1:kh - 1 + sh * ho:sh, kw - 1:kw - 1 + sw * wo:sw] = (
            grad_rows.reshape(n, self.out_channels, ho, wo))
        grad_padded = np.einsum("nohwij,coij->nchw", windows(full, (kh, kw), (1, 1)),
                                self._backward_kernel())
        return grad_padded[:, :, ph:ph + h, pw:pw + w]


@mutant("conv-dx-channels-reshaped", INPUT_GRAD, "conv",
        origin="(O, C, kH, kW) reshaped to (C, O, kH, kW) where a transpose belongs, in a "
               "transposed-convolution backward")
class Conv2dInputGradChannelsReshaped(TransposedConvInputGrad):
    """dL/dx's kernel swaps in/out channels with reshape instead of transpose."""

    def _backward_kernel(self):
        flipped = self.params["W"][:, :, ::-1, ::-1]
        return flipped.reshape(self.in_channels, self.out_channels, *self.kernel_size)


@mutant("conv-dW-reshaped-not-transposed", "W", "conv",
        origin="dL/dW built as (C*kH*kW, O) and reshaped to (O, C, kH, kW) without a transpose")
class Conv2dWeightGradReshapedNotTransposed(scratch.Conv2d):
    """dL/dW built as (C*kH*kW, O) and reshaped to (O, C, kH, kW) without transposing."""

    def _weight_grad(self, grad_rows):
        per_sample = self._cols @ grad_rows.transpose(0, 2, 1)  # (N, C*kH*kW, O)
        return per_sample.sum(axis=0).reshape(self.params["W"].shape)


@mutant("maxpool-grad-to-window-corner", INPUT_GRAD, "pool",
        origin="the argmax index forgotten: every window's gradient goes to its first element")
class MaxPoolGradToWindowCorner(scratch.MaxPool2d):
    """Routes every window's gradient to its top-left element instead of its maximum."""

    def _window_argmax(self, cols, best):
        return np.zeros(best.shape, np.intp)


@mutant("maxpool-ties-to-last-max", INPUT_GRAD, "pool",
        reveals="ties inside a window (exact zeros, a dead channel)",
        origin="a loop that keeps overwriting the argmax: the last tied maximum wins, torch "
               "takes the first")
class MaxPoolTiesToLastMax(scratch.MaxPool2d):
    """Picks the last maximum on ties (torch picks the first)."""

    def _window_argmax(self, cols, best):
        argmax = np.zeros(best.shape, np.intp)
        for offset in range(cols.shape[0]):
            argmax[cols[offset] == best] = offset
        return argmax

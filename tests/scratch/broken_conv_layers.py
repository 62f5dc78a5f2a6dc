"""Plausible backprop bugs in the conv/pool/RNN layers, each a subclass differing in one place.

Shared by the finite-difference tests (tests/scratch), the torch tie test
(tests/torch_ref) and the check_model localisation tests (tests/compare).
"""

import numpy as np

import scratch
from scratch.conv import windows


class TransposedConvInputGrad(scratch.Conv2d):
    """dL/dx as a transposed convolution: the stride-dilated upstream gradient,
    zero-padded by k-1, cross-correlated with the kernel flipped in both spatial
    axes and with in/out channels swapped. Correct as written; the subclasses
    below each get the kernel wrong in one way."""

    def _backward_kernel(self):
        """(C, O, kH, kW) kernel the upstream gradient is correlated with."""
        return self.params["W"][:, :, ::-1, ::-1].transpose(1, 0, 2, 3)

    def _input_grad(self, grad_rows):
        n, _, h, w = self._x_shape
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        ho, wo = self.output_size(h, w)
        full = np.zeros((n, self.out_channels, h + 2 * ph + kh - 1, w + 2 * pw + kw - 1))
        full[:, :, kh - 1:kh - 1 + sh * ho:sh, kw - 1:kw - 1 + sw * wo:sw] = (
            grad_rows.reshape(n, self.out_channels, ho, wo))
        grad_padded = np.einsum("nohwij,coij->nchw", windows(full, (kh, kw), (1, 1)),
                                self._backward_kernel())
        return grad_padded[:, :, ph:ph + h, pw:pw + w]


class ConvKernelNotFlipped(TransposedConvInputGrad):
    def _backward_kernel(self):
        return self.params["W"].transpose(1, 0, 2, 3)


class ConvChannelsReshapedNotTransposed(TransposedConvInputGrad):
    def _backward_kernel(self):
        flipped = self.params["W"][:, :, ::-1, ::-1]
        return flipped.reshape(self.in_channels, self.out_channels, *self.kernel_size)


class ConvWeightGradTransposed(scratch.Conv2d):
    """dL/dW built as (C*kH*kW, O) and reshaped to (O, C, kH, kW) without transposing."""

    def _weight_grad(self, grad_rows):
        per_sample = self._cols @ grad_rows.transpose(0, 2, 1)  # (N, C*kH*kW, O)
        return per_sample.sum(axis=0).reshape(self.params["W"].shape)


class PoolGradToWindowCorner(scratch.MaxPool2d):
    """Routes every window's gradient to its top-left element instead of its maximum."""

    def _window_argmax(self, cols, best):
        return np.zeros(best.shape, np.intp)


class PoolTiesToLastMaximum(scratch.MaxPool2d):
    """Picks the last maximum on ties (torch picks the first)."""

    def _window_argmax(self, cols, best):
        argmax = np.zeros(best.shape, np.intp)
        for offset in range(cols.shape[0]):
            argmax[cols[offset] == best] = offset
        return argmax


class RNNOneStepShort(scratch.RNN):
    """BPTT loop that stops before the first time step (an off-by-one in the range)."""

    def _steps_backward(self, steps):
        return range(steps - 1, 0, -1)

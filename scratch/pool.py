"""2-D max pooling in NCHW layout, with torch's choice of which maximum gets the gradient."""

from __future__ import annotations

import numpy as np

from .conv import add_windows, as_pair, check_image_input, windows
from .layer import Layer


class MaxPool2d(Layer):
    """Maximum over each ``kernel_size`` window, windows ``stride`` apart (no padding).

    The gradient of a window goes to exactly one input element: its first
    maximum in row-major window order, which is the element torch picks on
    ties. Where windows overlap (stride < kernel) an element that is the
    maximum of several windows collects all their gradients.

    Parameters
    ----------
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size`` (non-overlapping windows), as in torch.

    Shapes
    ------
    forward x : (N, C, H, W) -> (N, C, Ho, Wo) with ``Ho = (H - kH) // sH + 1``
        (likewise Wo); any float dtype, kept.
    """

    def __init__(self, kernel_size, stride=None) -> None:
        owner = type(self).__name__
        self.kernel_size = as_pair(owner, "kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else as_pair(owner, "stride", stride, 1)
        super().__init__()
        self._argmax: np.ndarray | None = None
        self._x_shape: tuple | None = None

    def describe(self) -> str:
        """A constructor-like label, e.g. ``"MaxPool2d(kernel_size=(2, 2))"``."""
        extra = "" if self.stride == self.kernel_size else f", stride={self.stride}"
        return f"MaxPool2d(kernel_size={self.kernel_size}{extra})"

    def _check_input(self, x: np.ndarray) -> None:
        super()._check_input(x)
        check_image_input(self, x, None, self.kernel_size, (0, 0))

    def _forward(self, x: np.ndarray) -> np.ndarray:
        n, c = x.shape[:2]
        view = windows(x, self.kernel_size, self.stride)  # (N, C, Ho, Wo, kH, kW)
        ho, wo = view.shape[2:4]
        # One copy puts each window offset in its own contiguous row (kH*kW, N*C*Ho*Wo),
        # so the scan below runs over long rows instead of tiny windows.
        cols = view.transpose(4, 5, 0, 1, 2, 3).reshape(view.shape[4] * view.shape[5], -1)
        best = np.max(cols, axis=0)
        self._argmax = self._window_argmax(cols, best)
        self._x_shape = x.shape
        return best.reshape(n, c, ho, wo)

    def _window_argmax(self, cols: np.ndarray, best: np.ndarray) -> np.ndarray:
        """Per window (column of ``cols``), the offset in ``range(kH*kW)`` that gets the gradient.

        It is the first offset, in row-major window order, holding the
        window's maximum ``best``: torch's tie rule. (Arithmetic on masks,
        because masked assignment is several times slower in NumPy.)
        """
        argmax = np.zeros(best.shape, np.intp)
        found = cols[0] == best
        for offset in range(1, cols.shape[0]):
            first_hit = np.greater(cols[offset] == best, found)  # equal here, not earlier
            argmax += first_hit * offset
            found |= first_hit
        return argmax

    def _backward(self, grad_out: np.ndarray) -> np.ndarray:
        n, c, h, w = self._x_shape
        kh, kw = self.kernel_size
        ho, wo = grad_out.shape[2:]
        offsets = np.arange(kh * kw)[:, None]
        # (kH*kW, N*C*Ho*Wo): each window's gradient in the row of its chosen offset.
        grad_cols = (offsets == self._argmax) * grad_out.reshape(1, -1)
        grad_cols = grad_cols.reshape(kh, kw, n, c, ho, wo).transpose(2, 3, 0, 1, 4, 5)
        return add_windows(grad_cols, (h, w), self.stride)

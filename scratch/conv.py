"""2-D convolution in torch's NCHW layout, vectorised with im2col.

The forward pass is a cross-correlation (as in torch and every deep-learning
library): ``y[n, o, h, w] = b[o] + sum_{c,i,j} W[o, c, i, j] * xp[n, c, h*sH + i, w*sW + j]``
where ``xp`` is the zero-padded input. Gathering every window into one
matrix ("im2col") turns the sum into a single matrix product; backward reuses
that matrix for dL/dW and scatters dL/d(columns) back onto the image
("col2im") for dL/dx.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._args import check_count, check_flag
from .errors import ArgumentError, ArgumentTypeError, ShapeError
from .layer import ParamLayer, init_rng, param_property


def as_count(owner: str, what: str, value) -> int:
    """Return ``value`` as an int if it is a positive integer (not a bool), else raise."""
    return check_count(owner, what, value, 1)


def as_pair(owner: str, what: str, value, minimum: int) -> tuple[int, int]:
    """Turn an int or a pair of ints into ``(int, int)``, each at least ``minimum``.

    Bools and floats are refused rather than truncated.
    """
    pair = value if isinstance(value, tuple | list) else (value, value)
    if len(pair) != 2 or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool | np.bool_) for v in pair):
        raise ArgumentTypeError(f"{owner}: {what} must be an int or a pair of ints, "
                                f"got {value!r}")
    if min(pair) < minimum:
        raise ArgumentError(f"{owner}: {what} must be >= {minimum}, got {value!r}")
    return int(pair[0]), int(pair[1])


def windows(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """Read-only view of every ``kernel``-sized window of ``x``, ``stride`` apart (no copy).

    Parameters
    ----------
    x : (N, C, H, W)
    kernel, stride : (int, int)

    Returns
    -------
    (N, C, Ho, Wo, kH, kW) view with ``Ho = (H - kH) // sH + 1`` (likewise Wo).
    """
    view = sliding_window_view(x, kernel, axis=(2, 3))
    return view[:, :, ::stride[0], ::stride[1]]


def add_windows(cols: np.ndarray, size: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """Sum window-shaped blocks back onto an image: the adjoint of :func:`windows` ("col2im").

    Parameters
    ----------
    cols : (N, C, kH, kW, Ho, Wo)
        ``cols[n, c, i, j, h, w]`` belongs at image position (h*sH + i, w*sW + j).
    size : (H, W) of the image.
    stride : (sH, sW)

    Returns
    -------
    (N, C, H, W) image, zero where no window reached.
    """
    n, c, kh, kw, ho, wo = cols.shape
    (sh, sw) = stride
    image = np.zeros((n, c, *size), cols.dtype)
    overlap = sh < kh or sw < kw
    # Overlapping windows must accumulate; a loop over the kH*kW offsets keeps
    # every addition a whole-batch array operation. Disjoint windows can simply
    # be written, which is about twice as fast.
    for i in range(kh):
        for j in range(kw):
            target = image[:, :, i:i + sh * ho:sh, j:j + sw * wo:sw]
            if overlap:
                target += cols[:, :, i, j]
            else:
                target[...] = cols[:, :, i, j]
    return image


def check_image_input(layer, x: np.ndarray, channels: int | None,
                      kernel: tuple[int, int], padding: tuple[int, int]) -> None:
    """Raise ShapeError unless ``x`` is (N, channels, H, W) with room for one window."""
    want = f"(batch, {channels if channels is not None else 'channels'}, height, width)"
    if x.ndim != 4 or (channels is not None and x.shape[1] != channels):
        raise ShapeError(f"{layer.name}: expected input of shape {want}, got {x.shape}")
    for axis, side in ((0, "height"), (1, "width")):
        size = x.shape[2 + axis]
        if size + 2 * padding[axis] < kernel[axis]:
            padded = f" (with padding {padding[axis]} on each side)" if padding[axis] else ""
            raise ShapeError(
                f"{layer.name}: input {side} {size}{padded} is smaller than the kernel "
                f"{side} {kernel[axis]}; input shape {x.shape}")


class Conv2d(ParamLayer):
    """2-D convolution (cross-correlation) with torch's arguments and layout.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, padding : int or (int, int)
        ``padding`` adds that many zeros on each side of height (and width).
    bias : bool
        Whether to learn ``b``.
    rng : np.random.Generator | int | None
        Source of the initial weights, drawn like torch's default:
        ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` with ``fan_in = in_channels*kH*kW``,
        for both weight and bias.
    dtype : float32 or float64

    Shapes
    ------
    params["W"] : (out_channels, in_channels, kH, kW) -- exactly torch's ``weight``.
        Unlike ``Linear`` (whose W is torch's weight transposed, so that the
        lecture's ``y = x @ W`` holds), it is NOT transposed: torch's layout,
        one (in_channels, kH, kW) filter per output channel, is already the
        natural one. Read as an (out_channels, in_channels*kH*kW) matrix it
        multiplies the im2col columns directly, so there is no ``x @ W``
        orientation to honour and twins copy the array as it is.
    params["b"] : (out_channels,)
    forward x : (N, in_channels, H, W) -> (N, out_channels, Ho, Wo) with
        ``Ho = (H + 2*pH - kH) // sH + 1`` (likewise Wo).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 bias: bool = True, *, rng=None, dtype=np.float64) -> None:
        owner = type(self).__name__
        self.in_channels = as_count(owner, "in_channels", in_channels)
        self.out_channels = as_count(owner, "out_channels", out_channels)
        self.kernel_size = as_pair(owner, "kernel_size", kernel_size, 1)
        self.stride = as_pair(owner, "stride", stride, 1)
        self.padding = as_pair(owner, "padding", padding, 0)
        self.bias = check_flag(owner, "bias", bias)
        super().__init__(dtype)
        gen = init_rng(rng)
        kh, kw = self.kernel_size
        bound = 1.0 / np.sqrt(self.in_channels * kh * kw)
        shape = (self.out_channels, self.in_channels, kh, kw)
        self._add_param("W", gen.uniform(-bound, bound, shape).astype(self.dtype))
        if self.bias:
            self._add_param("b", gen.uniform(-bound, bound, self.out_channels).astype(self.dtype))
        self._cols: np.ndarray | None = None
        self._x_shape: tuple | None = None

    def describe(self) -> str:
        """A constructor-like label, e.g. ``"Conv2d(1, 4, kernel_size=(3, 3), padding=(1, 1))"``."""
        args = [f"{self.in_channels}, {self.out_channels}", f"kernel_size={self.kernel_size}"]
        if self.stride != (1, 1):
            args.append(f"stride={self.stride}")
        if self.padding != (0, 0):
            args.append(f"padding={self.padding}")
        if not self.bias:
            args.append("bias=False")
        return f"Conv2d({', '.join(args)})"

    W = param_property("W", "The filters, shape (out_channels, in_channels, kH, kW).")

    b = param_property("b", "The bias, shape (out_channels,); None if ``bias=False``.")

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """(Ho, Wo) for an input of the given spatial size."""
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        return (height + 2 * ph - kh) // sh + 1, (width + 2 * pw - kw) // sw + 1

    def _check_input(self, x: np.ndarray) -> None:
        super()._check_input(x)
        check_image_input(self, x, self.in_channels, self.kernel_size, self.padding)

    def _pad(self, x: np.ndarray) -> np.ndarray:
        ph, pw = self.padding
        if ph == pw == 0:
            return x
        n, c, h, w = x.shape
        padded = np.zeros((n, c, h + 2 * ph, w + 2 * pw), x.dtype)  # faster than np.pad
        padded[:, :, ph:ph + h, pw:pw + w] = x
        return padded

    def _forward(self, x: np.ndarray) -> np.ndarray:
        n = x.shape[0]
        ho, wo = self.output_size(x.shape[2], x.shape[3])
        view = windows(self._pad(x), self.kernel_size, self.stride)
        # im2col, one matrix per sample: rows (c, i, j) in the order of W's trailing
        # axes, columns = output positions. Then W reshaped to (O, C*kH*kW) times it
        # gives every output already in NCHW order.
        cols = view.transpose(0, 1, 4, 5, 2, 3).reshape(n, -1, ho * wo)
        out = self._weight_matrix() @ cols
        if self.bias:
            out += self.params["b"][:, None]
        self._cols, self._x_shape = cols, x.shape
        return out.reshape(n, self.out_channels, ho, wo)

    def _weight_matrix(self) -> np.ndarray:
        """W as the (O, C*kH*kW) matrix that multiplies the columns."""
        return self.params["W"].reshape(self.out_channels, -1)

    def _backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad_rows = grad_out.reshape(grad_out.shape[0], self.out_channels, -1)  # (N, O, Ho*Wo)
        self.grads["W"][...] = self._weight_grad(grad_rows)
        if self.bias:
            np.sum(grad_rows, axis=(0, 2), out=self.grads["b"])
        return self._input_grad(grad_rows)

    def _weight_grad(self, grad_rows: np.ndarray) -> np.ndarray:
        """dL/dW (O, C, kH, kW): for each sample, grad (O, Ho*Wo) times its columns transposed."""
        per_sample = grad_rows @ self._cols.transpose(0, 2, 1)  # (N, O, C*kH*kW)
        return per_sample.sum(axis=0).reshape(self.params["W"].shape)

    def _input_grad(self, grad_rows: np.ndarray) -> np.ndarray:
        """dL/dx (N, C, H, W): each window's gradient added back where the window was read."""
        n, _, h, w = self._x_shape
        (kh, kw), (ph, pw) = self.kernel_size, self.padding
        ho, wo = self.output_size(h, w)
        grad_cols = (self._weight_matrix().T @ grad_rows).reshape(
            n, self.in_channels, kh, kw, ho, wo)
        grad_padded = add_windows(grad_cols, (h + 2 * ph, w + 2 * pw), self.stride)
        return grad_padded[:, :, ph:ph + h, pw:pw + w]

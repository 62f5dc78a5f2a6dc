"""Elman recurrent layer (tanh), batch-first, trained by backpropagation through time."""

from __future__ import annotations

import numpy as np

from ._checks import check_array, check_finite, check_shape
from .conv import as_count
from .errors import ShapeError
from .layer import ParamLayer, init_rng


class RNN(ParamLayer):
    """One tanh recurrent layer: ``h_t = tanh(x_t @ W_ih + b_ih + h_{t-1} @ W_hh + b_hh)``.

    Like ``torch.nn.RNN(input_size, hidden_size, batch_first=True)`` with one
    layer, it returns every hidden state and keeps torch's two bias vectors
    (only their sum matters, so their gradients are equal).

    Parameters
    ----------
    input_size, hidden_size : int
    rng : np.random.Generator | int | None
        Source of the initial weights, drawn like torch's default:
        ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))`` for every parameter.
    dtype : float32 or float64

    Shapes
    ------
    params["W_ih"] : (input_size, hidden_size)   (torch's ``weight_ih_l0`` transposed)
    params["W_hh"] : (hidden_size, hidden_size)  (torch's ``weight_hh_l0`` transposed)
    params["b_ih"], params["b_hh"] : (hidden_size,)
    forward x : (batch, time, input_size), optional h0 : (batch, hidden_size)
        (zeros when omitted) -> (batch, time, hidden_size), the states h_1..h_T.
    grad_h0 : (batch, hidden_size)
        dL/dh0 after ``backward`` (the gradient reaching the initial state,
        also when h0 was the implicit zeros).
    """

    def __init__(self, input_size: int, hidden_size: int, *, rng=None,
                 dtype=np.float64) -> None:
        self.input_size = as_count("RNN", "input_size", input_size)
        self.hidden_size = as_count("RNN", "hidden_size", hidden_size)
        super().__init__(dtype)
        gen = init_rng(rng)
        bound = 1.0 / np.sqrt(self.hidden_size)
        i, h = self.input_size, self.hidden_size
        for key, shape in (("W_ih", (i, h)), ("W_hh", (h, h)), ("b_ih", (h,)), ("b_hh", (h,))):
            self._add_param(key, gen.uniform(-bound, bound, shape).astype(self.dtype))
        self.grad_h0: np.ndarray | None = None
        self._x: np.ndarray | None = None
        self._h0: np.ndarray | None = None

    def describe(self) -> str:
        """A constructor-like label, e.g. ``"RNN(3, 5)"``."""
        return f"RNN({self.input_size}, {self.hidden_size})"

    def forward(self, x: np.ndarray, h0: np.ndarray | None = None) -> np.ndarray:
        """Run the sequence ``x`` from initial state ``h0``; cache what BPTT needs.

        Parameters
        ----------
        x : np.ndarray, shape (batch, time, input_size), the layer's dtype
        h0 : np.ndarray, shape (batch, hidden_size), the layer's dtype, optional
            Initial hidden state; zeros when omitted.

        Returns
        -------
        np.ndarray, shape (batch, time, hidden_size)
            The hidden states h_1..h_T.
        """
        self._check_input(x)
        check_finite(self.name, "input", x)
        if h0 is None:
            h0 = np.zeros((x.shape[0], self.hidden_size), self.dtype)
        else:
            check_array(self.name, "h0", h0, dtype=self.dtype)
            if h0.ndim == 3:
                raise ShapeError(f"{self.name}: h0 must be (batch, hidden_size) = "
                                 f"{(x.shape[0], self.hidden_size)}, got {h0.shape} (torch's "
                                 "(num_layers, batch, hidden) layout has no layer axis here)")
            check_shape(self.name, "h0", h0, (x.shape[0], self.hidden_size))
        out = self._forward(x, h0)
        self._out = out
        return out

    __call__ = forward

    def _check_input(self, x: np.ndarray) -> None:
        super()._check_input(x)
        if x.ndim != 3 or x.shape[2] != self.input_size:
            raise ShapeError(f"{self.name}: expected input of shape (batch, time, "
                             f"{self.input_size}), got {x.shape}")
        if x.shape[1] == 0:
            raise ShapeError(f"{self.name}: input has no time steps (shape {x.shape})")

    def _forward(self, x: np.ndarray, h0: np.ndarray) -> np.ndarray:
        p = self.params
        # Input contributions of every step in one product; only h @ W_hh is sequential.
        pre = x @ p["W_ih"] + (p["b_ih"] + p["b_hh"])
        h = h0
        for t in range(x.shape[1]):
            pre[:, t] += h @ p["W_hh"]
            h = np.tanh(pre[:, t], out=pre[:, t])
        self._x, self._h0 = x, h0
        return pre

    def _backward(self, grad_out: np.ndarray) -> np.ndarray:
        hs = self._out
        grad_pre, self.grad_h0 = self._backprop_through_time(grad_out)
        batch_time = grad_pre.shape[0] * grad_pre.shape[1]
        grad_rows = grad_pre.reshape(batch_time, self.hidden_size)
        # h_{t-1} for every step: h0 then h_1..h_{T-1}.
        h_prev = np.concatenate([self._h0[:, None], hs[:, :-1]], axis=1)
        np.matmul(self._x.reshape(batch_time, -1).T, grad_rows, out=self.grads["W_ih"])
        np.matmul(h_prev.reshape(batch_time, -1).T, grad_rows, out=self.grads["W_hh"])
        np.sum(grad_rows, axis=0, out=self.grads["b_ih"])
        self.grads["b_hh"][...] = self.grads["b_ih"]
        return grad_pre @ self.params["W_ih"].T

    def _backprop_through_time(self, grad_out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """dL/d(pre-activation) for every step (batch, time, hidden), and dL/dh0.

        Walks from the last step to the first: the gradient reaching h_t is
        its own upstream gradient plus what flows back from step t+1.
        """
        hs, w_hh_t = self._out, self.params["W_hh"].T
        grad_pre = np.zeros_like(grad_out)
        grad_h = np.zeros_like(grad_out[:, 0])
        for t in self._steps_backward(grad_out.shape[1]):
            grad_h = grad_h + grad_out[:, t]
            grad_pre[:, t] = grad_h * (1 - hs[:, t] * hs[:, t])
            grad_h = grad_pre[:, t] @ w_hh_t
        return grad_pre, grad_h

    def _steps_backward(self, steps: int) -> range:
        """The time indices BPTT visits, last first."""
        return range(steps - 1, -1, -1)

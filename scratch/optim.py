"""Stochastic gradient descent over a model's ``params``/``grads`` dicts."""

from __future__ import annotations

import numpy as np

from ._args import check_positive_number
from ._checks import check_finite


class SGD:
    """torch.optim.SGD's update, in place on the model's arrays.

    With momentum m > 0: ``buf = m * buf + g`` (``buf = g`` on the first step),
    then ``p -= lr * buf``; without momentum ``p -= lr * g``.

    Parameters
    ----------
    model : object with ``params`` and ``grads`` dicts (same keys)
        Each ``grads[k]`` has the shape and dtype of ``params[k]``.
    lr : float
        Step size, > 0.
    momentum : float
        Momentum factor, >= 0 (0: plain SGD).
    """

    def __init__(self, model, lr: float, momentum: float = 0.0) -> None:
        self.model = model
        self.lr = check_positive_number("SGD", "lr", lr)
        self.momentum = check_positive_number("SGD", "momentum", momentum, allow_zero=True)
        self._buf: dict[str, np.ndarray] = {}

    def step(self) -> None:
        """Update every ``params[k]`` in place from ``grads[k]`` (and the momentum buffer).

        Raises
        ------
        NonFiniteError
            If any gradient holds inf or NaN; then no parameter is changed.
        """
        params, grads = self.model.params, self.model.grads
        for key in params:  # all checked before any update: never half a step
            check_finite("SGD", f"gradient {key!r} (an overflow in backward?)", grads[key])
        for key, p in params.items():
            g = grads[key]
            if self.momentum:
                buf = self._buf.get(key)
                if buf is None:
                    buf = self._buf[key] = g.copy()
                else:
                    buf *= self.momentum
                    buf += g
                g = buf
            p -= self.lr * g

    def zero_grad(self) -> None:
        """Zero the model's gradients (``model.zero_grad()``); the momentum buffers stay."""
        self.model.zero_grad()

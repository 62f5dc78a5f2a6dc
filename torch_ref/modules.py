"""The few torch modules torch lacks: a zero-gradient step and the lecture's fused layer and net."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class _StepFunction(torch.autograd.Function):
    """``(x > 0)`` in x's dtype, whose gradient is zero (not None) everywhere."""

    @staticmethod
    def forward(ctx, x):
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        # Piecewise constant, so the derivative is 0; an explicit zero tensor
        # keeps x.grad comparable with scratch's zeros instead of None.
        return torch.zeros_like(grad_out)


class Step(nn.Module):
    """The perceptron's activation: 1 where x > 0, else 0; gradient exactly zero.

    Shapes: any -> same shape and dtype.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(x > 0)`` as 0/1 in x's dtype.

        Parameters
        ----------
        x : torch.Tensor, any shape, floating dtype

        Returns
        -------
        torch.Tensor, same shape and dtype; its gradient with respect to x is zeros.
        """
        return _StepFunction.apply(x)


class LinearSigmoid(nn.Module):
    """The lecture's fused layer ``sigmoid(x @ W)``, no bias.

    ``W`` keeps the lecture's (in_dim, out_dim) layout (not nn.Linear's
    transposed one), so ``W`` and ``W.grad`` read the same as scratch's.

    Shapes: W (in_dim, out_dim); x (batch, in_dim) -> (batch, out_dim).
    Initial weights are standard normal, as in the lecture.
    """

    def __init__(self, in_dim: int, out_dim: int, *, dtype=torch.float64,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.in_dim, self.out_dim = int(in_dim), int(out_dim)
        self.W = nn.Parameter(torch.randn(self.in_dim, self.out_dim, dtype=dtype,
                                          generator=generator))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``sigmoid(x @ W)``.

        Parameters
        ----------
        x : torch.Tensor, shape (batch, in_dim), W's dtype

        Returns
        -------
        torch.Tensor, shape (batch, out_dim)
        """
        return torch.sigmoid(x @ self.W)

    def extra_repr(self) -> str:
        """``"in_dim=..., out_dim=..."``, shown inside the module's repr."""
        return f"in_dim={self.in_dim}, out_dim={self.out_dim}"


class LectureNet(nn.Module):
    """Twin of ``scratch.Net``: ``sigmoid(sigmoid(x @ l1.W) @ l2.W)``.

    Parameters are named ``l1.W`` (x_dim, W_dim) and ``l2.W`` (W_dim, 1), as
    scratch's. ``scratch.Net.backward(label)`` takes gradients of the *summed*
    BCE; reproduce it with ``net.loss(net(x), label).backward()``.

    Shapes: x (batch, x_dim) -> y (batch, 1).
    """

    def __init__(self, x_dim: int, W_dim: int, *, dtype=torch.float64,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.l1 = LinearSigmoid(x_dim, W_dim, dtype=dtype, generator=generator)
        self.l2 = LinearSigmoid(W_dim, 1, dtype=dtype, generator=generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``sigmoid(sigmoid(x @ l1.W) @ l2.W)``.

        Parameters
        ----------
        x : torch.Tensor, shape (batch, x_dim), the net's dtype

        Returns
        -------
        torch.Tensor, shape (batch, 1), probabilities in [0, 1]
        """
        return self.l2(self.l1(x))

    @staticmethod
    def loss(y: torch.Tensor, label, reduction: str = "sum") -> torch.Tensor:
        """Binary cross-entropy of ``y`` against 0/1 ``label``, as ``scratch.Net.backward``.

        Parameters
        ----------
        y : torch.Tensor, (batch, 1)
            The net's output.
        label : scalar, or (batch,) array/tensor of 0 and 1
            One label for every sample, or one per sample (as scratch.Net).
        reduction : "sum" (the default, what ``Net.backward`` differentiates),
            "mean", or "none" (per-sample (batch, 1), the ``J`` that ``Net.backward``
            returns).
        """
        if isinstance(label, np.ndarray):  # torch refuses negative strides, warns on read-only
            label = np.array(label, order="C")
        target = torch.as_tensor(label, dtype=y.dtype)
        if target.dim() == 0:
            target = target.expand_as(y)
        elif target.shape == (y.shape[0],):
            target = target.reshape(-1, 1)
        else:
            raise ValueError(f"LectureNet.loss: label must be a scalar or shape ({y.shape[0]},), "
                             f"got shape {tuple(target.shape)}")
        if not bool(((target == 0) | (target == 1)).all()):
            raise ValueError(f"LectureNet.loss: label must be 0 or 1, got {target.flatten()}")
        return nn.functional.binary_cross_entropy(y, target, reduction=reduction)

"""``BatchFirstRNN``: nn.RNN shaped like ``scratch.RNN``, so it can sit in ``nn.Sequential``."""

from __future__ import annotations

import torch
from torch import nn


class BatchFirstRNN(nn.RNN):
    """One tanh layer of ``nn.RNN(batch_first=True)`` that returns only the output sequence.

    ``nn.RNN`` returns ``(output, h_n)`` and takes ``h0`` as (num_layers,
    batch, hidden); scratch's RNN returns the output alone and takes h0 as
    (batch, hidden). Parameters and numerics are nn.RNN's own, unchanged
    (``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``).

    Shapes: x (batch, time, input_size), optional h0 (batch, hidden_size)
    -> (batch, time, hidden_size).
    """

    def __init__(self, input_size: int, hidden_size: int, *, dtype=torch.float64) -> None:
        super().__init__(input_size, hidden_size, num_layers=1, nonlinearity="tanh",
                         bias=True, batch_first=True, dtype=dtype)

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None) -> torch.Tensor:
        """Run the sequence, returning the output sequence only.

        Parameters
        ----------
        x : torch.Tensor, shape (batch, time, input_size)
        h0 : torch.Tensor, shape (batch, hidden_size), optional
            Initial hidden state (no layer axis); zeros when omitted.

        Returns
        -------
        torch.Tensor, shape (batch, time, hidden_size)
        """
        out, _ = super().forward(x, None if h0 is None else h0.unsqueeze(0))
        return out

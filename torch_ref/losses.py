"""Loss twins: scratch loss -> torch loss with the same reduction, and losses by name.

Both sides take the gradient with respect to the prediction only. For the
lecture's ``scratch.Net`` (summed BCE inside ``Net.backward``) use
``torch_ref.LectureNet.loss`` instead.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

import scratch

LOSS_TWINS: dict[type, type] = {
    scratch.BCELoss: nn.BCELoss,
    scratch.BCEWithLogitsLoss: nn.BCEWithLogitsLoss,
    scratch.MSELoss: nn.MSELoss,
    scratch.CrossEntropyLoss: nn.CrossEntropyLoss,
}

LOSS_NAMES: dict[str, type] = {
    "bce": scratch.BCELoss,
    "bce_with_logits": scratch.BCEWithLogitsLoss,
    "mse": scratch.MSELoss,
    "cross_entropy": scratch.CrossEntropyLoss,
}


def register_loss_twin(scratch_cls: type, torch_cls: type, name: str | None = None) -> None:
    """Twin ``scratch_cls`` with ``torch_cls`` (both take ``reduction=``); optionally by name."""
    LOSS_TWINS[scratch_cls] = torch_cls
    if name is not None:
        LOSS_NAMES[name] = scratch_cls


def loss_by_name(name: str, reduction: str = "mean") -> scratch.Loss:
    """A new scratch loss: "bce", "bce_with_logits", "mse" or "cross_entropy"."""
    try:
        cls = LOSS_NAMES[name]
    except KeyError:
        raise ValueError(f"loss_by_name: unknown loss {name!r}; "
                         f"expected one of {sorted(LOSS_NAMES)}") from None
    return cls(reduction=reduction)


def loss_to_torch(loss) -> nn.Module:
    """The torch twin of a scratch loss object (or a loss name), same reduction."""
    if isinstance(loss, str):
        loss = loss_by_name(loss)
    for cls in type(loss).__mro__:
        if cls in LOSS_TWINS:
            return LOSS_TWINS[cls](reduction=loss.reduction)
    raise TypeError(f"loss_to_torch: no torch twin for loss {type(loss).__name__} ({loss!r}); "
                    f"known: {sorted(c.__name__ for c in LOSS_TWINS)}")


def target_to_torch(loss, target: np.ndarray) -> torch.Tensor:
    """A scratch loss's target as the tensor its torch twin expects (a copy).

    Float targets keep their dtype. CrossEntropyLoss's integer class labels
    (batch,) become int64, the only integer dtype nn.CrossEntropyLoss takes.
    """
    if not isinstance(target, np.ndarray):
        raise TypeError(f"target_to_torch: target must be a numpy array, "
                        f"got {type(target).__name__}")
    if isinstance(loss, scratch.CrossEntropyLoss) and np.issubdtype(target.dtype, np.integer):
        return torch.tensor(target.astype(np.int64))
    # a fresh C-ordered copy: torch.tensor refuses negative strides (x[::-1])
    return torch.from_numpy(np.array(target, order="C"))

"""``ParamLink``: which torch parameter a scratch parameter becomes, and how its layout changes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class ParamLink:
    """One scratch parameter and its torch twin.

    Attributes
    ----------
    scratch_name : str
        Key in the scratch model's ``params``/``grads``, e.g. ``"0.W"``.
    torch_name : str
        Name in the torch module's ``named_parameters()``, e.g. ``"0.weight"``.
    transposed : bool
        Whether the two layouts differ by an axis permutation.
    reason : str
        Why the layouts are (or are not) the same, for reports.
    axes : tuple[int, ...] | None
        The permutation taking scratch's layout to torch's
        (``torch_array = np.transpose(scratch_array, axes)``). None with
        ``transposed=True`` reverses every axis (``.T`` for a matrix); a
        4-D convolution kernel names its permutation explicitly.
    """

    scratch_name: str
    torch_name: str
    transposed: bool
    reason: str
    axes: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.axes is not None and not self.transposed:
            raise ValueError(f"ParamLink {self.scratch_name!r}: axes given but transposed=False")

    def prefixed(self, scratch_prefix: str, torch_prefix: str) -> ParamLink:
        """The same link seen from a parent container, e.g. ``"W"`` -> ``"0.W"``."""
        return ParamLink(scratch_prefix + self.scratch_name, torch_prefix + self.torch_name,
                         self.transposed, self.reason, self.axes)

    def to_torch_layout(self, a: np.ndarray) -> np.ndarray:
        """Scratch-layout array -> torch-layout view (no copy)."""
        return np.transpose(a, self.axes) if self.transposed else a

    def to_scratch_layout(self, a: np.ndarray) -> np.ndarray:
        """Torch-layout array -> scratch-layout view (no copy)."""
        if not self.transposed:
            return a
        inverse = None if self.axes is None else tuple(np.argsort(self.axes))
        return np.transpose(a, inverse)


def torch_to_scratch_layout(link: ParamLink, value) -> np.ndarray:
    """A torch parameter or its ``.grad`` as a new NumPy array in scratch's layout.

    Parameters
    ----------
    link : ParamLink
    value : torch.Tensor or np.ndarray
        In torch's layout (e.g. ``nn.Linear.weight.grad``, shape (out, in)).

    Returns
    -------
    np.ndarray
        C-contiguous copy in scratch's layout (e.g. (in, out)), same dtype,
        directly comparable with ``model.grads[link.scratch_name]``.
    """
    if value is None:
        raise ValueError(f"{link.torch_name}: no tensor to convert (was backward() run?)")
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.array(link.to_scratch_layout(value), order="C", copy=True)


# The name the issue brief uses; it converts torch's layout into scratch's.
scratch_to_torch_grad = torch_to_scratch_layout

"""NumPy <-> torch hand-overs that never warn, never fail on a legitimate array, never guess.

``torch.from_numpy`` refuses arrays with negative strides (``x[::-1]``) and
warns on read-only ones (``x.setflags(write=False)``, or a broadcast view);
:func:`as_tensor_safe` copies exactly those and shares memory otherwise.
:func:`tensor_to_numpy` is the way back: it names the entry and says what was
expected when a tensor has no data to give (meta), is not dense (sparse,
nested) or has a dtype scratch cannot hold (bfloat16, float16, integers).
"""

from __future__ import annotations

import numpy as np
import torch

from scratch.errors import DTypeError

FLOAT_TORCH_DTYPES = (torch.float32, torch.float64)


def as_tensor_safe(a: np.ndarray) -> torch.Tensor:
    """``torch.from_numpy(a)``, or the same on a C-ordered copy where torch cannot share ``a``.

    Parameters
    ----------
    a : np.ndarray
        Any shape and dtype torch supports. Shared when it is writeable and has
        no negative stride (non-contiguous and Fortran-ordered views are shared
        too); copied when it is read-only (torch would warn: its tensor could
        write memory NumPy promised not to change) or has a negative stride
        (torch refuses those).

    Returns
    -------
    torch.Tensor
        Same shape, dtype and values as ``a``.
    """
    if a.flags.writeable and min(a.strides, default=0) >= 0:
        return torch.from_numpy(a)
    return torch.from_numpy(np.array(a, order="C", copy=True))


def tensor_to_numpy(t, where: str, dtypes=FLOAT_TORCH_DTYPES) -> np.ndarray:
    """A NumPy copy of the dense, real tensor ``t`` (detached, on the CPU).

    Parameters
    ----------
    t : torch.Tensor
    where : str
        What ``t`` is, for messages, e.g. ``"import_state_dict(Linear): 'weight'"``.
    dtypes : tuple of torch.dtype
        The dtypes accepted (default float32 and float64).

    Raises
    ------
    DTypeError
        ``t`` is not a tensor, is sparse or nested, lives on the meta device
        (it has a shape but no values), or has a dtype outside ``dtypes``.
    """
    if not isinstance(t, torch.Tensor):
        raise DTypeError(f"{where} must be a torch.Tensor, got {type(t).__name__}")
    if t.is_nested or t.layout != torch.strided:
        layout = "nested" if t.is_nested else str(t.layout)
        raise DTypeError(f"{where} must be a dense (strided) tensor, got layout {layout} "
                         "(call .to_dense() first if that is what you mean)")
    if t.device.type == "meta":
        raise DTypeError(f"{where} is a meta tensor of shape {tuple(t.shape)}: it has no "
                         "values to copy (load or initialise the weights first)")
    if t.dtype not in dtypes:
        raise DTypeError(f"{where} must have dtype {' or '.join(map(str, dtypes))}, got "
                         f"{t.dtype} (twinnet never casts silently)")
    return t.detach().cpu().resolve_conj().resolve_neg().numpy().copy()

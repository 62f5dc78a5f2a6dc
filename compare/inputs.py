"""What every checker demands of the arrays it is given, in one place.

``check_model``, ``check_layer`` (and ``check_pair``) judge a layer by running
it on ``x``; an ``x`` that cannot be run honestly is the caller's mistake, not
the layer's bug, so it is refused before anything runs, with an error that
names the checker and the argument. A refused input would otherwise end in a
misleading verdict: an empty batch compares nothing (and says OK), a NaN makes
every comparison fail, an ``np.matrix`` turns ``*`` into a matrix product, a
masked array's mask is ignored by ``@`` and by torch.

Accepted without complaint (and handed to torch without a warning, see
:func:`torch_ref.as_tensor_safe`): read-only arrays, negative strides
(``x[::-1]``), non-contiguous and Fortran-ordered views, ``np.memmap``.
"""

from __future__ import annotations

import numpy as np

import scratch
from scratch._checks import check_array, check_array_type, check_finite
from scratch.errors import (
    ArgumentError,
    DTypeError,
    EmptyBatchError,
    LabelError,
    ShapeError,
)


def validate_input(x, who: str, name: str = "x", dtype=None) -> np.ndarray:
    """Return ``x`` unchanged if a checker can run on it honestly, else raise.

    Parameters
    ----------
    x : np.ndarray, shape (batch, ...)
        At least 1-D, no zero-length axis, float32 or float64 (``dtype`` if given),
        every value finite; a plain ndarray (not ``np.matrix``, not ``np.ma``).
    who : str
        The checker, first word of every message (``"check_layer"``).
    name : str
        The argument's name in messages.
    dtype : np.dtype, optional
        Required dtype; None accepts float32 or float64.

    Raises
    ------
    DTypeError (a TypeError)
        Not an ndarray, an ``np.matrix`` or masked array, or a dtype other than
        float32/float64 (or ``dtype``).
    EmptyBatchError, ShapeError (ValueErrors)
        No batch axis (0-d), an empty batch, or another axis of length 0: a check
        on it would compare nothing.
    NonFiniteError (a ValueError)
        NaN or inf anywhere (the first position is named).
    """
    check_array(who, name, x, dtype=dtype, finite=False)  # type, dtype, empty batch
    if x.ndim == 0:
        raise ShapeError(f"{who}: {name} must have a batch axis, shape (batch, ...); got a 0-d "
                         f"array ({x!r}); use x.reshape(1, -1) for one sample")
    if x.size == 0:
        raise EmptyBatchError(f"{who}: {name} has an axis of length 0 (shape {x.shape}): "
                              "a check on it would compare nothing")
    check_finite(who, name, x)
    return x


def reference_params(params: dict, who: str, dtype) -> dict:
    """The layer's parameters as torch leaves (sharing memory where possible) for a reference.

    Parameters
    ----------
    params : dict of str to np.ndarray
        What :func:`compare.access.param_access` found, each array in the layer's layout.
    who : str
        Checker and layer, first words of every message.
    dtype : np.dtype
        ``x``'s dtype: every parameter must have it (nothing is cast).

    Returns
    -------
    dict of str to torch.Tensor
        Same keys, each a leaf with ``requires_grad=True``.

    Raises
    ------
    DTypeError
        A parameter that is not a plain ndarray, or whose dtype is not ``x``'s
        (an integer parameter cannot have a gradient; a float32 one in a float64
        check would mix dtypes). The message names the parameter.
    NonFiniteError
        A parameter holding NaN or inf (every comparison would be void).
    """
    from torch_ref import as_tensor_safe

    tensors = {}
    for n, p in params.items():
        what = f"parameter {n!r}"
        check_array_type(who, what, p)
        if p.dtype != dtype:
            raise DTypeError(f"{who}: {what} has dtype {p.dtype}, expected {np.dtype(dtype)} "
                             "(x's dtype: a gradient needs float parameters of the input's "
                             "dtype; twinnet never casts silently)")
        check_finite(who, what, p)
        tensors[n] = as_tensor_safe(p).requires_grad_(True)
    return tensors


def validate_upstream(upstream: np.ndarray) -> np.ndarray:
    """Return a caller's upstream dL/d(output) unchanged if a check can be run with it.

    Parameters
    ----------
    upstream : np.ndarray
        Shaped like the layer's output (the caller checks shape and dtype).

    Raises
    ------
    DTypeError
        ``np.matrix`` or a masked array.
    NonFiniteError
        NaN or inf: every gradient would be NaN on both sides, and correct layers fail.
    ArgumentError (a ValueError)
        All zeros: every gradient would be 0 on both sides, so no backward bug
        could show and the check would say OK having compared nothing.
    """
    check_array_type("upstream", "the given array", upstream)
    check_finite("upstream", "the given array", upstream)
    if upstream.size and not upstream.any():
        raise ArgumentError("upstream: the given array is all zeros, so every gradient "
                            "would be zero on both sides and no backward bug could show; "
                            "use upstream='random' (the default) or 'ones'")
    return upstream


def validate_targets(kind: str, loss, y, upstream, dtype, who: str = "check_model") -> None:
    """:func:`validate_target` for ``y`` and :func:`validate_upstream` for an upstream array."""
    validate_target(kind, loss, y, dtype, who)
    if isinstance(upstream, np.ndarray):
        validate_upstream(upstream)


def validate_target(kind: str, loss, y, dtype, who: str = "check_model") -> None:
    """Refuse targets a loss cannot take, before anything runs (not blamed on the loss).

    Parameters
    ----------
    kind : str
        ``"net"`` for ``scratch.Net`` (``y`` is its 0/1 label(s)), else anything.
    loss : scratch.Loss or None
    y : targets: floats of the model's dtype (``MSELoss``, ``BCELoss``,
        ``BCEWithLogitsLoss``, in [0, 1] for the last two), integer class labels
        >= 0 of shape (batch,) (``CrossEntropyLoss``), or 0/1 label(s) for Net.
    dtype : np.dtype
        The model's dtype.

    Raises
    ------
    DTypeError, ShapeError, EmptyBatchError, NonFiniteError, LabelError
        Naming ``y``, the expected and the actual value.
    """
    if kind == "net":
        labels = np.asarray(y)
        if labels.dtype.kind not in "biuf" or not np.isin(labels, (0, 1)).all():
            raise LabelError(f"{who}: y must be the 0/1 label(s) of Net.backward(label), got "
                             f"{labels.ravel()[:5].tolist()} ({labels.dtype})")
        return
    if loss is None or y is None:
        return
    if isinstance(loss, scratch.CrossEntropyLoss):
        check_array_type(who, "y", y)
        if y.dtype.kind not in "iu":
            raise DTypeError(f"{who}: y must hold integer class labels for {loss!r}, got "
                             f"dtype {y.dtype}")
        if y.ndim != 1:
            raise ShapeError(f"{who}: y must have shape (batch,) for {loss!r}, got {y.shape}")
        if y.size == 0:
            raise EmptyBatchError(f"{who}: y is an empty batch (shape {y.shape})")
        if y.min() < 0:
            raise LabelError(f"{who}: class labels in y must be >= 0, got {y[y < 0][:5].tolist()}")
        return
    if isinstance(loss, scratch.MSELoss | scratch.BCELoss | scratch.BCEWithLogitsLoss):
        check_array(who, "y", y, dtype=dtype)  # the loss compares y with pred of this dtype
        if not isinstance(loss, scratch.MSELoss) and (y.min() < 0 or y.max() > 1):
            raise LabelError(f"{who}: y must lie in [0, 1] for {loss!r}, got values in "
                             f"[{y.min()!r}, {y.max()!r}]")


def validate_params(layers, who: str = "check_model") -> None:
    """Refuse a model whose parameters already hold NaN or inf (a diverged training run).

    Every output would be NaN on both sides, and the verdict would blame a layer
    for an overflow it did not cause. Raises NonFiniteError naming the layer and
    the parameter, with the first bad position.

    Parameters
    ----------
    layers : list of layers with a ``params`` dict of arrays
    who : str
        The checker, first word of the message.
    """
    for layer in layers:
        for key, p in getattr(layer, "params", {}).items():
            if isinstance(p, np.ndarray) and p.dtype.kind == "f":
                check_finite(f"{who}: {getattr(layer, 'name', type(layer).__name__)}",
                             f"parameter {key!r}", p)

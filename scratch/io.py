"""Save a model's parameters to ``.npz`` and load them back, bit for bit.

``save(model, path)`` writes one array per key of ``model.params`` (``"0.W"``,
``"l1.W"``, ...) with its own dtype; ``load(model, path)`` reads them back
into the model's existing arrays. The file holds plain arrays only and is
read with ``allow_pickle=False``, so loading never runs code from the file.

``load`` validates the whole file against the model before it writes a single
number: a missing or extra key, a wrong shape, a wrong dtype or a non-finite
value raises an error naming the key, the expected and the actual value, and
the model is left exactly as it was. ``save`` writes to a temporary file next
to ``path`` and renames it into place, so an interrupted save never leaves a
half-written file where a good one was.
"""

from __future__ import annotations

import os
import tempfile
import zipfile

import numpy as np

from ._checks import FLOAT_DTYPES
from .errors import DTypeError, NonFiniteError, ShapeError, TwinnetInputError
from .npz import read_npz


class StateKeyError(TwinnetInputError, ValueError):
    """A parameter file's keys differ from the model's (missing or extra keys)."""


def _params_of(model, who: str) -> dict[str, np.ndarray]:
    params = getattr(model, "params", None)
    if not isinstance(params, dict):
        raise TypeError(f"{who}: {type(model).__name__} has no 'params' dict of arrays")
    return params


def _check_finite(who: str, key: str, a: np.ndarray) -> None:
    bad = ~np.isfinite(a)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise NonFiniteError(f"{who}: parameter {key!r} holds {int(bad.sum())} non-finite "
                             f"value(s); first at index {idx}: {a[idx]!r}")


def save(model, path) -> None:
    """Write ``model.params`` to the ``.npz`` file ``path`` (exactly that name).

    Parameters
    ----------
    model : object with a ``params`` dict of float32/float64 arrays
        A scratch layer, ``Sequential`` or ``Net``.
    path : str or os.PathLike
        Destination. Unlike ``np.savez``, no ``.npz`` suffix is appended.

    Raises
    ------
    DTypeError, NonFiniteError
        A parameter is not float32/float64, or holds NaN/inf (nothing is written).
    """
    who = f"scratch.save({type(model).__name__})"
    params = _params_of(model, who)
    for key, a in params.items():
        if not isinstance(a, np.ndarray) or a.dtype not in FLOAT_DTYPES:
            got = a.dtype if isinstance(a, np.ndarray) else type(a).__name__
            raise DTypeError(f"{who}: parameter {key!r} must be a float32/float64 array, "
                             f"got {got}")
        _check_finite(who, key, a)
    path = os.fspath(path)
    fd, tmp = tempfile.mkstemp(prefix=".twinnet-", suffix=".npz",
                               dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "wb") as f, zipfile.ZipFile(f, "w") as zf:
            for key, a in params.items():
                # The .npz layout np.load expects: one ".npy" member per array.
                with zf.open(key + ".npy", "w") as member:
                    np.lib.format.write_array(member, np.ascontiguousarray(a),
                                              allow_pickle=False)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def read_arrays(path, who: str = "scratch.load",
                expected: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """All arrays of the ``.npz`` file ``path``, by key; nothing in the file is unpickled.

    With ``expected`` (the model's arrays by key) the file's keys, and each
    member's shape and dtype, are checked before any member's data is read.
    Any unreadable file raises ``ParameterFileError`` naming the file (and the
    member); the file is always closed. See :func:`scratch.npz.read_npz`.
    """
    return read_npz(path, who, expected, None if expected is None else _check_keys)


def _check_keys(who: str, expected: dict, keys) -> None:
    missing = [k for k in expected if k not in keys]
    extra = [k for k in keys if k not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing key(s) {missing}")
        if extra:
            parts.append(f"unexpected key(s) {extra}")
        raise StateKeyError(f"{who}: {' and '.join(parts)}; the model expects "
                            f"{list(expected)}, the file has {list(keys)}")


def validate_arrays(who: str, expected: dict[str, np.ndarray],
                    arrays: dict[str, np.ndarray]) -> None:
    """Raise unless ``arrays`` has exactly ``expected``'s keys, shapes and dtypes, all finite.

    Messages name the key and give the expected and the actual value.
    """
    _check_keys(who, expected, list(arrays))
    for key, want in expected.items():
        got = arrays[key]
        if got.shape != want.shape:
            raise ShapeError(f"{who}: parameter {key!r} must have shape {want.shape}, "
                             f"got {got.shape}")
        if got.dtype != want.dtype:
            raise DTypeError(f"{who}: parameter {key!r} must have dtype {want.dtype}, "
                             f"got {got.dtype} (twinnet never casts silently)")
        _check_finite(who, key, got)


def load(model, path) -> None:
    """Overwrite ``model.params`` in place with the arrays saved in ``path``.

    Every key, shape, dtype and value is validated first; on any error the
    model is unchanged. The arrays keep their identity (values are copied
    into them), so optimizers and views holding them stay valid.

    Raises
    ------
    StateKeyError
        The file's keys are not exactly the model's (lists missing and extra keys).
    ShapeError, DTypeError, NonFiniteError
        One parameter has the wrong shape or dtype, or holds NaN/inf.
    ParameterFileError
        The file is not a readable ``.npz`` of plain arrays: empty, truncated,
        corrupted, a plain ``.npy``, a member not named ``<key>.npy``, an
        object array (a ValueError, naming the file and the member).
    """
    who = f"scratch.load({type(model).__name__})"
    params = _params_of(model, who)
    arrays = read_arrays(path, who, params)
    validate_arrays(who, params, arrays)
    frozen = [key for key, p in params.items() if not p.flags.writeable]
    if frozen:  # checked before copying, so no parameter is written when one cannot be
        raise ValueError(f"{who}: parameter(s) {frozen} are read-only arrays; nothing loaded")
    for key, p in params.items():
        np.copyto(p, arrays[key], casting="no")

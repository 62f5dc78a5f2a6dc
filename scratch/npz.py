"""Read a ``.npz`` parameter file defensively: every failure is one ``ParameterFileError``.

``np.load`` lets a damaged file through as whatever its parser tripped on
(EOFError on an empty file, ``zlib.error`` on a corrupted compressed member,
AttributeError on a member that is not ``.npy``, TypeError on a plain ``.npy``)
and can leave its file open when the archive is truncated. Here the file is
opened once, in a ``with``, and each member's header is checked against what
the model expects (key, dtype, shape) *before* its data is read, so a header
that claims a huge array never allocates it.
"""

from __future__ import annotations

import os
import zipfile
import zlib

import numpy as np

from ._checks import FLOAT_DTYPES
from .errors import DTypeError, ParameterFileError, ShapeError, TwinnetInputError

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK"
NPY_SUFFIX = ".npy"
# What a damaged archive or member raises from zipfile, zlib and numpy's .npy parser.
READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, KeyError,
               NotImplementedError, RuntimeError, SyntaxError, TypeError)
EXPECTED = "a .npz archive of plain float arrays, as scratch.save writes"


def read_npz(path, who: str, expected: dict[str, np.ndarray] | None = None,
             check_keys=None) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` file ``path``, by key (member name without ``.npy``).

    Parameters
    ----------
    path : str or os.PathLike
    who : str
        Prefix of every message, e.g. ``"scratch.load(Sequential)"``.
    expected : dict of np.ndarray, optional
        The model's arrays by key; each member's dtype and shape are checked
        against its entry before the member's data is read.
    check_keys : callable ``(who, expected, keys)``, optional
        Called with the file's keys before any data is read (raises on a mismatch).

    Returns
    -------
    dict[str, np.ndarray]
        Each array with the shape and dtype its header declares (byte order native).

    Raises
    ------
    ParameterFileError
        The file cannot be opened, is empty, is a plain ``.npy``, is not a zip
        archive, is truncated or corrupted, or has a member that is not a ``.npy``
        array of float32/float64 values. The message names the file (and member).
    """
    path = os.fspath(path)
    where = f"{who}: cannot read {path!r} as a parameter file"
    try:
        with open(path, "rb") as f:
            head = f.read(len(NPY_MAGIC))
            _check_head(where, head)
            f.seek(0)
            with zipfile.ZipFile(f) as zf:
                return _read_members(zf, where, who, expected, check_keys)
    except TwinnetInputError:
        raise
    except READ_ERRORS as exc:  # the open itself, or the archive's central directory
        raise ParameterFileError(f"{where} ({EXPECTED}): {_name(exc)}: {exc}") from exc


def _name(exc: BaseException) -> str:
    """``zlib.error`` rather than a bare ``error``; built-ins by their plain name."""
    module = type(exc).__module__
    return type(exc).__name__ if module == "builtins" else f"{module}.{type(exc).__name__}"


def _check_head(where: str, head: bytes) -> None:
    if not head:
        raise ParameterFileError(f"{where}: the file is empty (0 bytes); expected {EXPECTED}")
    if head.startswith(NPY_MAGIC):
        raise ParameterFileError(f"{where}: it is a single .npy array (np.save); expected "
                                 f"{EXPECTED} (np.savez: one named array per parameter)")
    if not head.startswith(ZIP_MAGIC):
        raise ParameterFileError(f"{where}: it does not start as a zip archive does (first "
                                 f"bytes {head!r}); expected {EXPECTED}")


def _read_members(zf: zipfile.ZipFile, where: str, who: str, expected, check_keys) -> dict:
    names = zf.namelist()
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        raise ParameterFileError(f"{where}: member(s) {doubled} appear more than once; "
                                 f"expected {EXPECTED}")
    not_npy = [n for n in names if not n.endswith(NPY_SUFFIX)]
    if not_npy:
        raise ParameterFileError(f"{where}: member(s) {not_npy} are not .npy arrays (each "
                                 f"member must be named <key>.npy); expected {EXPECTED}")
    keys = [n[:-len(NPY_SUFFIX)] for n in names]
    if check_keys is not None:
        check_keys(who, expected, keys)
    arrays = {}
    for name, key in zip(names, keys, strict=True):
        want = None if expected is None else expected.get(key)
        try:
            with zf.open(name) as member:
                arrays[key] = _read_member(member, f"{who}: parameter {key!r}",
                                           f"{where}: member {name!r}", want)
        except TwinnetInputError:
            raise
        except READ_ERRORS as exc:
            raise ParameterFileError(f"{where}: member {name!r} is truncated or corrupted "
                                     f"({_name(exc)}: {exc}); expected {EXPECTED}"
                                     ) from exc
    return arrays


def _read_member(member, what: str, where: str, want: np.ndarray | None) -> np.ndarray:
    """One member's array; its header is judged (against ``want``) before the data is read.

    ``what`` names the parameter (for a wrong dtype or shape), ``where`` the file and
    member (for damage).
    """
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
    else:  # 3.0 exists only for structured dtypes with non-latin-1 names: never a parameter
        raise ParameterFileError(f"{where}: .npy format version {version} is not supported; "
                                 "expected 1.0 or 2.0")
    if dtype.hasobject:
        raise ParameterFileError(f"{where}: it holds an object array (dtype {dtype}): "
                                 "loading it would need allow_pickle and could run code; "
                                 "expected float32/float64 values")
    native = dtype.newbyteorder("=") if dtype.byteorder not in "=|" else dtype
    if want is None and native not in FLOAT_DTYPES:
        raise DTypeError(f"{what} must be a float32/float64 array, got dtype {dtype}")
    if want is not None:
        if shape != want.shape:
            raise ShapeError(f"{what} must have shape {want.shape}, got {shape}")
        if native != want.dtype:
            raise DTypeError(f"{what} must have dtype {want.dtype}, got {native} "
                             "(twinnet never casts silently)")
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    data = member.read(nbytes)
    if len(data) != nbytes:
        raise ParameterFileError(f"{where} is truncated: its header declares "
                                 f"shape {shape} {dtype} ({nbytes} bytes), it holds "
                                 f"{len(data)} bytes")
    flat = np.frombuffer(data, dtype)
    array = flat.reshape(shape[::-1]).T if fortran else flat.reshape(shape)
    return array.astype(native)  # a copy in native byte order; the values are unchanged

"""scratch.load on damaged files: one twinnet error naming the file (and member), the file
closed, and the model's parameters exactly as they were.

Before, an empty file raised EOFError, a corrupted compressed member zlib.error, a member
not named ``.npy`` AttributeError, a plain ``.npy`` TypeError, and a truncated ``.npz``
leaked a ResourceWarning from a file left open. Run with warnings as errors.
"""

import gc
import io
import os
import warnings
import zipfile

import numpy as np
import pytest

import scratch

pytestmark = pytest.mark.filterwarnings("error")


def mlp(seed):
    gen = np.random.default_rng(seed)
    return scratch.Sequential(scratch.Linear(3, 4, rng=gen), scratch.Tanh(),
                              scratch.Linear(4, 2, rng=gen))


def good_bytes(tmp_path, compressed=False):
    arrays = {k: v.copy() for k, v in mlp(9).params.items()}
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


def zip_of(members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def npy(a) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def corrupt_compressed(data: bytes) -> bytes:
    """Flip bytes inside the first member's deflated data (local header is 30 + name bytes)."""
    out = bytearray(data)
    for i in range(60, 80):
        out[i] ^= 0xFF
    return bytes(out)


def members_of_good(tmp_path, **changes):
    """The good file's members as raw bytes, with ``changes`` (name -> bytes or None) applied."""
    with zipfile.ZipFile(io.BytesIO(good_bytes(tmp_path))) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    for name, data in changes.items():
        name = name.replace("_", ".")
        if data is None:
            members.pop(name)
        else:
            members[name] = data
    return members


def open_fds():
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0


BAD_FILES = {
    "empty": (lambda t: b"", r"the file is empty \(0 bytes\)"),
    "truncated-half": (lambda t: good_bytes(t)[: len(good_bytes(t)) // 2],
                       r"BadZipFile"),
    "truncated-last-byte": (lambda t: good_bytes(t)[:-1], r"BadZipFile"),
    "truncated-to-magic": (lambda t: good_bytes(t)[:4], r"BadZipFile"),
    "corrupted-compressed": (lambda t: corrupt_compressed(good_bytes(t, compressed=True)),
                             r"member '0.W.npy' is truncated or corrupted \(zlib.error"),
    "member-without-npy": (lambda t: zip_of(members_of_good(t, **{"0_W_npy": None},
                                                            **{"0_W": b"hello"})),
                           r"member\(s\) \['0.W'\] are not .npy arrays"),
    "plain-npy": (lambda t: npy(np.ones((3, 4))), r"it is a single .npy array \(np.save\)"),
    "not-a-zip": (lambda t: b"hello world", r"does not start as a zip archive does"),
    "member-data-truncated": (lambda t: zip_of(members_of_good(
        t, **{"2_W_npy": npy(np.ones((4, 2)))[:-8]})),
        r"member '2.W.npy' is truncated.*\(4, 2\).*64 bytes.*56 bytes"),
    "member-garbage": (lambda t: zip_of(members_of_good(t, **{"0_b_npy": b"\x93NUMPYjunk"})),
                       r"member '0.b.npy'.*format version \(106, 117\) is not supported"),
    "member-twice": (lambda t: zip_of(members_of_good(t)) + b"", None),  # replaced below
    "object-array": (lambda t: zip_of(members_of_good(t, **{"0_b_npy": _object_npy()})),
                     r"object array.*allow_pickle"),
}


def _object_npy() -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.array([object()] * 4, dtype=object), allow_pickle=True)
    return buf.getvalue()


def _twice(tmp_path) -> bytes:
    buf = io.BytesIO()
    members = members_of_good(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile: "Duplicate name"
        with zipfile.ZipFile(buf, "w") as zf:
            for name, data in members.items():
                zf.writestr(name, data)
            zf.writestr("0.b.npy", members["0.b.npy"])
    return buf.getvalue()


BAD_FILES["member-twice"] = (_twice, r"member\(s\) \['0.b.npy'\] appear more than once")


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_damaged_file_is_one_error_naming_the_file_and_changes_nothing(tmp_path, name):
    make, match = BAD_FILES[name]
    path = tmp_path / "bad.npz"
    path.write_bytes(make(tmp_path))
    model = mlp(0)
    before = {k: v.copy() for k, v in model.params.items()}
    gc.collect()  # files other tests left to the collector are closed before counting
    fds = open_fds()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(scratch.ParameterFileError, match=match) as info:
            scratch.load(model, path)
        gc.collect()  # an unclosed file would warn when collected
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)], caught
    assert open_fds() == fds
    assert str(path) in str(info.value) and "scratch.load(Sequential)" in str(info.value)
    assert isinstance(info.value, ValueError)
    for key, value in before.items():
        assert model.params[key].tobytes() == value.tobytes(), key


@pytest.mark.parametrize("changes, exc, match", [
    ({"2_W_npy": npy(np.zeros((0, 10 ** 6)))}, scratch.ShapeError,
     r"parameter '2.W'.*must have shape \(4, 2\), got \(0, 1000000\)"),
    ({"0_b_npy": npy(np.arange(4))}, scratch.DTypeError,
     r"parameter '0.b'.*must have dtype float64, got int64"),
    ({"0_b_npy": npy(np.zeros(4, np.float32))}, scratch.DTypeError, "got float32"),
    ({"0_b_npy": npy(np.array([0.0, np.inf, 0.0, 0.0]))}, scratch.NonFiniteError, "'0.b'"),
])
def test_wrong_member_names_the_parameter_and_changes_nothing(tmp_path, changes, exc, match):
    path = tmp_path / "bad.npz"
    path.write_bytes(zip_of(members_of_good(tmp_path, **changes)))
    model = mlp(0)
    before = {k: v.copy() for k, v in model.params.items()}
    with pytest.raises(exc, match=match):
        scratch.load(model, path)
    for key, value in before.items():
        assert model.params[key].tobytes() == value.tobytes(), key


def test_huge_declared_shape_is_refused_from_the_header_alone(tmp_path):
    # a header claiming a 10^12-element array, followed by 8 bytes: never allocated
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10 ** 6, 10 ** 6)})
    path = tmp_path / "bomb.npz"
    path.write_bytes(zip_of(members_of_good(
        tmp_path, **{"2_W_npy": header.getvalue() + b"\0" * 8})))
    with pytest.raises(scratch.ShapeError, match=r"'2.W'.*\(4, 2\), got \(1000000, 1000000\)"):
        scratch.load(mlp(0), path)


def test_big_endian_and_fortran_members_load_exactly(tmp_path):
    source = mlp(9)
    members = members_of_good(tmp_path, **{
        "0_W_npy": npy(source.params["0.W"].astype(">f8")),
        "2_W_npy": npy(np.asfortranarray(source.params["2.W"]))})
    path = tmp_path / "ok.npz"
    path.write_bytes(zip_of(members))
    model = mlp(0)
    scratch.load(model, path)
    for key, value in source.params.items():
        assert model.params[key].tobytes() == value.tobytes(), key


@pytest.mark.parametrize("where, match", [("missing.npz", "FileNotFoundError"),
                                          (".", "IsADirectoryError")])
def test_unopenable_path_names_it(tmp_path, where, match):
    with pytest.raises(scratch.ParameterFileError, match=match):
        scratch.load(mlp(0), tmp_path / where)


def test_read_only_parameter_fails_before_anything_is_copied(tmp_path):
    path = tmp_path / "m.npz"
    scratch.save(mlp(9), path)
    model = mlp(0)
    model[2].params["b"].setflags(write=False)
    before = {k: v.copy() for k, v in model.params.items()}
    with pytest.raises(ValueError, match=r"\['2.b'\] are read-only arrays; nothing loaded"):
        scratch.load(model, path)
    for key, value in before.items():  # "0.W" comes first and was not written either
        assert model.params[key].tobytes() == value.tobytes(), key

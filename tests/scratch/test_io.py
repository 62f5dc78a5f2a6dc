"""scratch.save / scratch.load: bit-exact round trips, and nothing half-loaded on a bad file."""

import os
import zipfile

import numpy as np
import pytest

import scratch


def mlp(rng=0, dtype=np.float64):
    gen = np.random.default_rng(rng)
    return scratch.Sequential(scratch.Linear(3, 4, rng=gen, dtype=dtype), scratch.Tanh(),
                              scratch.Linear(4, 2, bias=False, rng=gen, dtype=dtype))


def snapshot(model):
    return {k: v.copy() for k, v in model.params.items()}


def assert_bits_equal(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    # compare raw bytes so -0.0 vs 0.0 and the last bit of every number count
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_round_trip_is_bit_exact_and_keeps_dtype(tmp_path, dtype):
    src = mlp(1, dtype)
    # values whose bits are easy to lose: -0.0, a subnormal, the largest finite, 1 ulp above 1
    tiny = np.finfo(dtype).smallest_subnormal
    src[0].params["W"][0, :4] = [-0.0, tiny, np.finfo(dtype).max, np.nextafter(dtype(1), 2)]
    path = tmp_path / "w.npz"
    scratch.save(src, path)
    dst = mlp(2, dtype)
    arrays_before = {k: id(v) for k, v in dst.params.items()}
    scratch.load(dst, path)
    for key, a in src.params.items():
        assert_bits_equal(dst.params[key], a)
    # values are copied into the model's own arrays: references held elsewhere stay valid
    assert {k: id(v) for k, v in dst.params.items()} == arrays_before


def test_save_writes_exactly_the_given_name_and_plain_arrays(tmp_path):
    path = tmp_path / "weights.bin"  # np.savez would silently write weights.bin.npz
    scratch.save(mlp(), path)
    assert sorted(os.listdir(tmp_path)) == ["weights.bin"]
    with np.load(path, allow_pickle=False) as npz:
        assert sorted(npz.files) == ["0.W", "0.b", "2.W"]


def test_round_trip_for_lecture_net_and_single_layer(tmp_path):
    net, other = scratch.Net(2, 3, rng=0), scratch.Net(2, 3, rng=5)
    scratch.save(net, tmp_path / "net.npz")
    scratch.load(other, tmp_path / "net.npz")
    np.testing.assert_array_equal(other.l1.W, net.l1.W)
    np.testing.assert_array_equal(other.l2.W, net.l2.W)
    layer, layer2 = scratch.Linear(2, 2, rng=0), scratch.Linear(2, 2, rng=1)
    scratch.save(layer, tmp_path / "lin.npz")
    scratch.load(layer2, tmp_path / "lin.npz")
    np.testing.assert_array_equal(layer2.W, layer.W)


def test_loaded_model_computes_the_same_outputs(tmp_path):
    src, dst = mlp(3), mlp(4)
    x = np.random.default_rng(0).normal(size=(5, 3))
    scratch.save(src, tmp_path / "m.npz")
    scratch.load(dst, tmp_path / "m.npz")
    assert_bits_equal(dst.forward(x), src.forward(x))


def write_npz(path, arrays):
    np.savez(path, **arrays)


def good_arrays():
    return snapshot(mlp(9))


@pytest.mark.parametrize("mutate, exc, match", [
    (lambda a: a.pop("0.b"), scratch.StateKeyError, r"missing key\(s\) \['0.b'\]"),
    (lambda a: a.update(extra=np.zeros(1)), scratch.StateKeyError,
     r"unexpected key\(s\) \['extra'\]"),
    (lambda a: a.update({"2.W": np.zeros((2, 4))}), scratch.ShapeError,
     r"'2.W'.*shape \(4, 2\), got \(2, 4\)"),
    (lambda a: a.update({"0.W": a["0.W"].astype(np.float32)}), scratch.DTypeError,
     r"'0.W'.*dtype float64, got float32"),
    (lambda a: a.update({"0.b": np.array([0.0, np.nan, 0.0, 0.0])}), scratch.NonFiniteError,
     r"'0.b'.*non-finite.*\(1,\)"),
])
def test_bad_file_names_the_key_and_leaves_the_model_untouched(tmp_path, mutate, exc, match):
    arrays = good_arrays()
    mutate(arrays)
    # every file still holds good entries that a loader writing as it reads would have
    # copied in before meeting the bad one
    path = tmp_path / "bad.npz"
    write_npz(path, arrays)
    model = mlp(0)
    before = snapshot(model)
    with pytest.raises(exc, match=match):
        scratch.load(model, path)
    for key, a in before.items():
        assert_bits_equal(model.params[key], a)


def test_pickled_object_array_is_refused_without_unpickling(tmp_path):
    path = tmp_path / "evil.npz"
    arrays = good_arrays()  # every key present: the object array itself must be refused
    arrays["0.W"] = np.array([object()], dtype=object)
    np.savez(path, **arrays)
    model = mlp(0)
    before = snapshot(model)
    with pytest.raises(ValueError, match="cannot read.*allow_pickle"):
        scratch.load(model, path)
    for key, a in before.items():
        assert_bits_equal(model.params[key], a)


def test_not_an_npz_file(tmp_path):
    path = tmp_path / "junk.npz"
    path.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match=r"scratch.load\(Sequential\): cannot read"):
        scratch.load(mlp(), path)


def test_save_refuses_nonfinite_and_keeps_the_old_file(tmp_path):
    path = tmp_path / "m.npz"
    scratch.save(mlp(1), path)
    old = path.read_bytes()
    broken = mlp(2)
    broken[2].params["W"][1, 1] = np.inf
    with pytest.raises(scratch.NonFiniteError, match=r"'2.W'.*\(1, 1\)"):
        scratch.save(broken, path)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["m.npz"]  # no temporary file left behind


def test_interrupted_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    scratch.save(mlp(1), path)
    old = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np.lib.format, "write_array", fail)
    with pytest.raises(OSError, match="disk full"):
        scratch.save(mlp(2), path)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["m.npz"]


def test_object_without_params_is_rejected(tmp_path):
    with pytest.raises(TypeError, match="Perceptron.*params"):
        scratch.save(scratch.Perceptron(2), tmp_path / "p.npz")


def test_file_is_a_plain_zip_of_npy_members(tmp_path):
    path = tmp_path / "m.npz"
    scratch.save(mlp(), path)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["0.W.npy", "0.b.npy", "2.W.npy"]

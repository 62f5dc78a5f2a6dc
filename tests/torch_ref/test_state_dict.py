"""export_state_dict / import_state_dict: torch-compatible, bit-exact, nothing half-loaded."""

import numpy as np
import pytest
import torch

import scratch
import torch_ref


def mlp(seed=0, dtype=np.float64):
    gen = np.random.default_rng(seed)
    return scratch.Sequential(scratch.Linear(3, 4, rng=gen, dtype=dtype), scratch.Tanh(),
                              scratch.Linear(4, 2, bias=False, rng=gen, dtype=dtype),
                              scratch.LinearSigmoid(2, 2, rng=gen, dtype=dtype))


def snapshot(model):
    return {k: v.copy() for k, v in model.params.items()}


def assert_same_bits(model, params):
    for key, a in params.items():
        assert model.params[key].dtype == a.dtype
        assert model.params[key].tobytes() == a.tobytes(), key


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_export_equals_the_twins_state_dict(dtype):
    model = mlp(1, dtype)
    exported = torch_ref.export_state_dict(model)
    twin_sd = torch_ref.to_torch(model).state_dict()
    assert list(exported) == list(twin_sd) == ["0.weight", "0.bias", "2.weight", "3.W"]
    for key, t in twin_sd.items():
        assert exported[key].dtype == t.dtype
        assert torch.equal(exported[key], t), key
    # torch's layout: Linear's weight is scratch's W transposed
    np.testing.assert_array_equal(exported["0.weight"].numpy(), model[0].W.T)
    # a copy: changing the export leaves the model alone
    exported["0.bias"].fill_(7)
    assert not np.any(model[0].b == 7)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_round_trip_through_torch_save_and_weights_only_load(tmp_path, dtype):
    src, dst = mlp(1, dtype), mlp(2, dtype)
    # -0.0 and a subnormal: bits that a careless conversion loses
    src[0].params["W"][0, 0] = -0.0
    src[0].params["W"][1, 0] = np.finfo(dtype).smallest_subnormal
    torch.save(torch_ref.export_state_dict(src), tmp_path / "w.pt")
    loaded = torch.load(tmp_path / "w.pt", weights_only=True)
    torch_ref.import_state_dict(dst, loaded)
    assert_same_bits(dst, snapshot(src))


def test_weights_trained_in_torch_come_back_into_scratch():
    model = mlp(3)
    twin = torch_ref.to_torch(model)
    with torch.no_grad():
        for p in twin.parameters():
            p.mul_(-2.0)  # "training"
    ids = {k: id(v) for k, v in model.params.items()}
    torch_ref.import_state_dict(model, twin.state_dict())
    for link in torch_ref.param_map(twin):
        expected = torch_ref.torch_to_scratch_layout(link, twin.get_parameter(link.torch_name))
        assert model.params[link.scratch_name].tobytes() == expected.tobytes()
    assert {k: id(v) for k, v in model.params.items()} == ids  # copied into the same arrays


def test_export_loads_into_a_fresh_torch_twin_strictly():
    model = mlp(4)
    fresh = torch_ref.to_torch(mlp(5))
    fresh.load_state_dict(torch_ref.export_state_dict(model), strict=True)
    for link in torch_ref.param_map(fresh):
        np.testing.assert_array_equal(
            torch_ref.torch_to_scratch_layout(link, fresh.get_parameter(link.torch_name)),
            model.params[link.scratch_name])


def test_lecture_net_round_trip():
    net, other = scratch.Net(2, 3, rng=0), scratch.Net(2, 3, rng=9)
    sd = torch_ref.export_state_dict(net)
    assert list(sd) == ["l1.W", "l2.W"]
    torch_ref.import_state_dict(other, sd)
    np.testing.assert_array_equal(other.l1.W, net.l1.W)
    np.testing.assert_array_equal(other.l2.W, net.l2.W)


def good_state(seed=9):
    return torch_ref.export_state_dict(mlp(seed))


@pytest.mark.parametrize("mutate, exc, match", [
    (lambda sd: sd.pop("0.bias"), scratch.StateKeyError, r"missing key\(s\) \['0.bias'\]"),
    (lambda sd: sd.update({"4.weight": torch.zeros(1)}), scratch.StateKeyError,
     r"unexpected key\(s\) \['4.weight'\]"),
    # scratch's name for it is not a torch key: both the missing and the extra one are named
    (lambda sd: sd.update({"3.W_scratch": sd.pop("3.W")}), scratch.StateKeyError,
     r"missing key\(s\) \['3.W'\] and unexpected key\(s\) \['3.W_scratch'\]"),
    # scratch's (in, out) layout where torch's (out, in) is expected
    (lambda sd: sd.update({"2.weight": sd["2.weight"].T.contiguous()}), scratch.ShapeError,
     r"'2.weight' \(scratch '2.W', stored transposed\) must have shape \(2, 4\), got \(4, 2\)"),
    (lambda sd: sd.update({"3.W": sd["3.W"].float()}), scratch.DTypeError,
     r"'3.W' \(scratch '3.W'\) must have dtype float64, got float32"),
    (lambda sd: sd["0.bias"].__setitem__(2, float("inf")), scratch.NonFiniteError,
     r"'0.bias'.*non-finite.*\(2,\)"),
    (lambda sd: sd.update({"0.bias": [0.0] * 4}), TypeError, r"'0.bias'.*list"),
])
def test_bad_state_dict_names_the_key_and_leaves_the_model_untouched(mutate, exc, match):
    sd = good_state()
    mutate(sd)
    model = mlp(0)
    before = snapshot(model)
    with pytest.raises(exc, match=match):
        torch_ref.import_state_dict(model, sd)
    assert_same_bits(model, before)


def test_numpy_arrays_are_accepted_in_torch_layout():
    src, dst = mlp(6), mlp(7)
    sd = {k: v.numpy() for k, v in torch_ref.export_state_dict(src).items()}
    torch_ref.import_state_dict(dst, sd)
    assert_same_bits(dst, snapshot(src))

"""to_torch / from_torch: bit-exact round trips, equal forwards, the parameter map, errors."""

import numpy as np
import pytest
import torch
from torch import nn

import scratch
import torch_ref

DTYPES = [np.float64, np.float32]


def away_from_zero(rng, shape, dtype, margin=1e-3):
    """Normal samples pushed at least ``margin`` from 0, so Step/ReLU never sit on their kink."""
    x = rng.normal(size=shape)
    return np.where(np.abs(x) < margin, 2 * margin, x).astype(dtype)


# name -> (factory(rng, dtype), input features)
LAYERS = {
    "Linear": (lambda rng, dt: scratch.Linear(4, 3, rng=rng, dtype=dt), 4),
    "Linear-nobias": (lambda rng, dt: scratch.Linear(4, 3, bias=False, rng=rng, dtype=dt), 4),
    "LinearSigmoid": (lambda rng, dt: scratch.LinearSigmoid(4, 3, rng=rng, dtype=dt), 4),
    "Sigmoid": (lambda rng, dt: scratch.Sigmoid(), 4),
    "Tanh": (lambda rng, dt: scratch.Tanh(), 4),
    "ReLU": (lambda rng, dt: scratch.ReLU(), 4),
    "Step": (lambda rng, dt: scratch.Step(), 4),
    "Identity": (lambda rng, dt: scratch.Identity(), 4),
    "Sequential": (lambda rng, dt: scratch.Sequential(
        scratch.Linear(4, 5, rng=rng, dtype=dt), scratch.Tanh(),
        scratch.Linear(5, 3, bias=False, rng=rng, dtype=dt), scratch.ReLU()), 4),
    "nested-Sequential": (lambda rng, dt: scratch.Sequential(
        scratch.Linear(4, 5, rng=rng, dtype=dt),
        scratch.Sequential(scratch.Sigmoid(), scratch.LinearSigmoid(5, 2, rng=rng, dtype=dt)),
        scratch.Step()), 4),
    "Neuron": (lambda rng, dt: scratch.Neuron(4, scratch.Tanh(), rng=rng, dtype=dt), 4),
    "Net": (lambda rng, dt: scratch.Net(4, 3, rng=rng, dtype=dt), 4),
}


def model_dtype(model, default):
    dtypes = {a.dtype for a in model.params.values()}
    return dtypes.pop() if dtypes else np.dtype(default)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_scratch_torch_scratch_round_trip_is_bit_exact(name, dtype):
    factory, _ = LAYERS[name]
    model = factory(np.random.default_rng(0), dtype)
    twin = torch_ref.to_torch(model)
    for p in twin.parameters():
        assert p.dtype == {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    back = torch_ref.from_torch(twin)
    assert list(back.params) == list(model.params)
    for key, value in model.params.items():
        assert back.params[key].dtype == value.dtype
        assert np.array_equal(back.params[key], value), key
        assert not np.shares_memory(back.params[key], value)


TORCH_MODULES = {
    "Linear": lambda g, dt: nn.Linear(4, 3, dtype=dt),
    "Linear-nobias": lambda g, dt: nn.Linear(4, 3, bias=False, dtype=dt),
    "LinearSigmoid": lambda g, dt: torch_ref.LinearSigmoid(4, 3, dtype=dt, generator=g),
    "Step": lambda g, dt: torch_ref.Step(),
    "nested-Sequential": lambda g, dt: nn.Sequential(
        nn.Linear(4, 5, dtype=dt), nn.Sequential(nn.Tanh(), nn.Linear(5, 2, dtype=dt)),
        nn.Sigmoid(), nn.ReLU(), nn.Identity()),
    "LectureNet": lambda g, dt: torch_ref.LectureNet(4, 3, dtype=dt, generator=g),
}


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("name", sorted(TORCH_MODULES))
def test_torch_scratch_torch_round_trip_is_bit_exact(name, dtype):
    torch.manual_seed(0)  # nn.Linear draws its initial weights from the global generator
    module = TORCH_MODULES[name](torch.Generator().manual_seed(0), dtype)
    again = torch_ref.to_torch(torch_ref.from_torch(module))
    assert type(again) is type(module)
    original, copied = dict(module.named_parameters()), dict(again.named_parameters())
    assert list(copied) == list(original)
    for key, value in original.items():
        assert copied[key].dtype == value.dtype
        assert torch.equal(copied[key], value), key


def test_from_torch_accepts_named_sequential_children():
    named = nn.Sequential()
    named.add_module("hidden", nn.Linear(2, 3, dtype=torch.float64))
    named.add_module("act", nn.Sigmoid())
    model = torch_ref.from_torch(named)
    assert list(model.params) == ["0.W", "0.b"]
    assert np.array_equal(model.params["0.W"], named.hidden.weight.detach().numpy().T)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_twin_forward_matches_scratch_float64(name):
    factory, n_in = LAYERS[name]
    rng = np.random.default_rng(1)
    model = factory(rng, np.float64)
    twin = torch_ref.to_torch(model)
    x = away_from_zero(rng, (6, n_in), np.float64)
    expected = model.forward(x)
    got = twin(torch.tensor(x)).detach().numpy()
    assert got.dtype == np.float64 and got.shape == expected.shape
    assert np.max(np.abs(got - expected)) <= 1e-12


@pytest.mark.parametrize("name", ["Linear", "Sequential", "nested-Sequential", "Net"])
def test_twin_forward_matches_scratch_float32(name):
    factory, n_in = LAYERS[name]
    rng = np.random.default_rng(2)
    model = factory(rng, np.float32)
    twin = torch_ref.to_torch(model)
    x = away_from_zero(rng, (6, n_in), np.float32)
    got = twin(torch.tensor(x)).detach().numpy()
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, model.forward(x), rtol=1.3e-6, atol=1e-5)


def test_param_map_lists_names_and_transposes():
    model = scratch.Sequential(
        scratch.Linear(2, 3, rng=0), scratch.Sigmoid(),
        scratch.Sequential(scratch.Linear(3, 3, bias=False, rng=0), scratch.LinearSigmoid(3, 1)))
    links = torch_ref.param_map(torch_ref.to_torch(model))
    assert [(ln.scratch_name, ln.torch_name, ln.transposed) for ln in links] == [
        ("0.W", "0.weight", True),
        ("0.b", "0.bias", False),
        ("2.0.W", "2.0.weight", True),
        ("2.1.W", "2.1.W", False),
    ]
    assert links[0].reason == "scratch stores W as (in, out); nn.Linear.weight is (out, in)"
    net_links = torch_ref.param_map(torch_ref.to_torch(scratch.Net(2, 3, rng=0)))
    assert [(ln.scratch_name, ln.torch_name, ln.transposed) for ln in net_links] == [
        ("l1.W", "l1.W", False), ("l2.W", "l2.W", False)]
    assert torch_ref.param_map(torch_ref.to_torch(scratch.Tanh())) == []


def test_param_map_missing_on_foreign_module():
    with pytest.raises(ValueError, match="Linear was not built by torch_ref.to_torch"):
        torch_ref.param_map(nn.Linear(2, 2))


def test_links_turn_torch_gradients_into_scratch_layout():
    rng = np.random.default_rng(3)
    model = scratch.Sequential(scratch.Linear(3, 2, rng=rng), scratch.Tanh())
    twin = torch_ref.to_torch(model)
    x, g = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    model.forward(x)
    model.backward(g)
    twin(torch.tensor(x)).backward(torch.tensor(g))
    for link in torch_ref.param_map(twin):
        tgrad = torch_ref.torch_to_scratch_layout(link, twin.get_parameter(link.torch_name).grad)
        assert tgrad.shape == model.grads[link.scratch_name].shape
        assert tgrad.flags.c_contiguous
        np.testing.assert_allclose(tgrad, model.grads[link.scratch_name], rtol=1e-12, atol=1e-14)


def test_link_with_explicit_axes_round_trips_a_4d_kernel():
    # A conv kernel kept as (kh, kw, in, out) in scratch, (out, in, kh, kw) in torch.
    link = torch_ref.ParamLink("K", "weight", True, "conv layout", axes=(3, 2, 0, 1))
    kernel = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)
    in_torch = link.to_torch_layout(kernel)
    assert in_torch.shape == (5, 4, 2, 3)
    assert in_torch[4, 3, 1, 2] == kernel[1, 2, 3, 4]
    assert np.array_equal(torch_ref.torch_to_scratch_layout(link, torch.tensor(in_torch)), kernel)


def test_twin_never_shares_memory_with_scratch():
    model = scratch.Linear(2, 2, rng=0)
    before = model.W.copy()
    twin = torch_ref.to_torch(model)
    with torch.no_grad():
        twin.weight.add_(1.0)
    assert np.array_equal(model.W, before)


def test_dtype_choice():
    model = scratch.Linear(2, 3, rng=0)
    assert torch_ref.to_torch(model, dtype=torch.float32).weight.dtype == torch.float32
    assert torch_ref.to_torch(model, dtype=np.float32).weight.dtype == torch.float32
    with pytest.raises(TypeError, match="float32 or float64, got int32"):
        torch_ref.to_torch(model, dtype=np.int32)
    mixed = scratch.Sequential(scratch.Linear(2, 2, rng=0),
                               scratch.Linear(2, 2, rng=0, dtype=np.float32))
    with pytest.raises(TypeError, match="mixes parameter dtypes"):
        torch_ref.to_torch(mixed)
    assert torch_ref.to_torch(mixed, dtype=torch.float64)[1].weight.dtype == torch.float64
    half = nn.Linear(2, 2, dtype=torch.float16)
    with pytest.raises(TypeError, match="torch.float16"):
        torch_ref.from_torch(half)


def test_shape_mismatch_on_copy_names_layer_and_shapes():
    model = scratch.Sequential(scratch.Tanh(), scratch.Linear(3, 2, rng=0))
    # params["W"] = ... refuses a wrong shape itself; dict.__setitem__ bypasses that on purpose
    dict.__setitem__(model[1].params, "W", np.zeros((5, 5)))
    with pytest.raises(ValueError, match=r"layer 1 \(Linear\(3, 2\)\): scratch '1.W' -> torch "
                                         r"'weight': expected shape \(2, 3\).*got \(5, 5\)"):
        torch_ref.to_torch(model)


def test_shape_mismatch_from_torch_names_module_and_shapes():
    module = torch_ref.LinearSigmoid(3, 2)
    module.W = nn.Parameter(torch.zeros(3, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"LinearSigmoid: torch 'W' -> scratch 'W'.*expected "
                                         r"shape \(3, 2\).*got \(3, 4\)"):
        torch_ref.from_torch(module)


class Custom(scratch.Layer):
    def _forward(self, x):
        return x


def test_unsupported_layers_are_named():
    with pytest.raises(TypeError, match=r"no torch twin registered for Custom \('layer 1"):
        torch_ref.to_torch(scratch.Sequential(scratch.Tanh(), Custom()))
    with pytest.raises(TypeError, match="no scratch twin registered for torch module GELU"):
        torch_ref.from_torch(nn.Sequential(nn.Linear(2, 2), nn.GELU()))
    with pytest.raises(TypeError, match="Perceptron"):
        torch_ref.to_torch(scratch.Perceptron(2))


# -- planted bugs: the checks above must catch a broken converter -----------------------------
class ForgetfulLinear(scratch.Linear):
    """A Linear whose (deliberately broken) twin forgets to transpose W."""


class PartialLinear(scratch.Linear):
    """A Linear whose (deliberately broken) twin forgets to link the bias."""


@pytest.fixture
def broken_twins():
    def build(layer, dtype, convert):
        return nn.Linear(layer.in_features, layer.out_features, bias=layer.bias, dtype=dtype)

    untransposed = [torch_ref.ParamLink("W", "weight", False, "bug: forgot the transpose"),
                    torch_ref.ParamLink("b", "bias", False, "")]
    torch_ref.register_twin(ForgetfulLinear, nn.Linear, to_torch=build,
                            links=lambda layer: untransposed)
    torch_ref.register_twin(PartialLinear, nn.Linear, to_torch=build,
                            links=lambda layer: untransposed[1:])
    yield
    torch_ref.unregister_twin(ForgetfulLinear)
    torch_ref.unregister_twin(PartialLinear)


def test_forgotten_transpose_on_square_weight_gives_forward_mismatch(broken_twins):
    rng = np.random.default_rng(4)
    model = scratch.Sequential(ForgetfulLinear(3, 3, rng=rng), scratch.Sigmoid())
    twin = torch_ref.to_torch(model)  # shapes agree, so only the forward can tell
    x = rng.normal(size=(5, 3))
    diff = np.abs(twin(torch.tensor(x)).detach().numpy() - model.forward(x)).max()
    assert diff > 1e-3


def test_forgotten_transpose_on_rectangular_weight_fails_shape_check(broken_twins):
    with pytest.raises(ValueError, match=r"scratch '0.W' -> torch 'weight': expected shape "
                                         r"\(2, 3\).*got \(3, 2\)"):
        torch_ref.to_torch(scratch.Sequential(ForgetfulLinear(3, 2, rng=0)))


def test_unlinked_parameter_makes_twin_incomplete(broken_twins):
    with pytest.raises(ValueError, match=r"incomplete: scratch parameters \['0.W', '0.b'\] "
                                         r"but links cover \['0.b'\]"):
        torch_ref.to_torch(scratch.Sequential(PartialLinear(3, 2, rng=0)))


def test_register_twin_refuses_silent_override():
    with pytest.raises(ValueError, match="Linear already has a twin"):
        torch_ref.register_twin(scratch.Linear, nn.Linear, to_torch=lambda *a: None)

"""Twins of Conv2d, MaxPool2d, Flatten, Softmax and RNN: round trips, agreement with torch
(forward and every gradient to <= 1e-10 in float64), the parameter map, refused settings."""

import numpy as np
import pytest
import torch
from torch import nn

import scratch
import torch_ref

MATCH = 1e-10  # max |scratch - torch| in float64, for values of order 1
TORCH_DTYPE = {np.float32: torch.float32, np.float64: torch.float64}


def random_conv(rng, dtype=np.float64):
    """A Conv2d with random channels, (non-)square kernel, stride, padding, bias; and an input."""
    kernel = tuple(int(k) for k in rng.integers(1, 4, size=2))
    stride = tuple(int(s) for s in rng.integers(1, 3, size=2))
    padding = tuple(int(p) for p in rng.integers(0, 3, size=2))
    c_in, c_out = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    layer = scratch.Conv2d(c_in, c_out, kernel, stride, padding, bias=bool(rng.random() < 0.7),
                           rng=rng, dtype=dtype)
    h, w = (int(kernel[a] + rng.integers(0, 6)) for a in range(2))  # odd and even sizes
    return layer, rng.normal(size=(int(rng.integers(1, 4)), c_in, h, w)).astype(dtype)


def random_pool(rng, dtype=np.float64):
    kernel = tuple(int(k) for k in rng.integers(1, 4, size=2))
    stride = None if rng.random() < 0.4 else tuple(int(s) for s in rng.integers(1, 4, size=2))
    h, w = (int(kernel[a] + rng.integers(0, 6)) for a in range(2))
    return scratch.MaxPool2d(kernel, stride), rng.normal(size=(2, 2, h, w)).astype(dtype)


def random_rnn(rng, dtype=np.float64):
    layer = scratch.RNN(int(rng.integers(1, 5)), int(rng.integers(1, 5)), rng=rng, dtype=dtype)
    steps = 1 if rng.random() < 0.3 else int(rng.integers(2, 7))
    return layer, rng.normal(size=(int(rng.integers(1, 4)), steps, layer.input_size)).astype(dtype)


def random_softmax(rng, dtype=np.float64):
    shape = tuple(int(d) for d in rng.integers(1, 5, size=int(rng.integers(2, 5))))
    axis = int(rng.integers(-len(shape), len(shape)))
    return scratch.Softmax(axis), (rng.normal(size=shape) * 3).astype(dtype)


def random_flatten(rng, dtype=np.float64):
    shape = tuple(int(d) for d in rng.integers(1, 5, size=int(rng.integers(2, 5))))
    return scratch.Flatten(), rng.normal(size=shape).astype(dtype)


RANDOM_LAYERS = {"Conv2d": random_conv, "MaxPool2d": random_pool, "RNN": random_rnn,
                 "Softmax": random_softmax, "Flatten": random_flatten}


def assert_matches_torch(layer, x, upstream, h0=None, atol=MATCH):
    """Run layer and its twin on the same data; compare output, dx, every param grad (and dh0)."""
    twin = torch_ref.to_torch(layer)
    x_t = torch.from_numpy(x.copy()).requires_grad_(True)
    args = {}
    if h0 is not None:
        args["h0"] = torch.from_numpy(h0.copy()).requires_grad_(True)
    out_t = twin(x_t, *args.values())
    out_t.backward(torch.from_numpy(upstream))
    out = layer.forward(x) if h0 is None else layer.forward(x, h0)
    dx = layer.backward(upstream)
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=0, atol=atol,
                               err_msg=f"{layer.describe()} forward")
    np.testing.assert_allclose(dx, x_t.grad.numpy(), rtol=0, atol=atol,
                               err_msg=f"{layer.describe()} dL/dx")
    links = torch_ref.param_map(twin)
    assert [link.scratch_name for link in links] == list(layer.params)
    for link in links:
        expected = torch_ref.torch_to_scratch_layout(link, twin.get_parameter(link.torch_name).grad)
        np.testing.assert_allclose(layer.grads[link.scratch_name], expected, rtol=0, atol=atol,
                                   err_msg=f"{layer.describe()} dL/d{link.scratch_name}")
    if h0 is not None:
        np.testing.assert_allclose(layer.grad_h0, args["h0"].grad.numpy(), rtol=0, atol=atol,
                                   err_msg=f"{layer.describe()} dL/dh0")


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_new_layers_match_torch_in_float64(name, seed):
    rng = np.random.default_rng([seed, len(name)])
    layer, x = RANDOM_LAYERS[name](rng)
    upstream = rng.normal(size=layer.forward(x).shape)
    h0 = rng.normal(size=(x.shape[0], layer.hidden_size)) if name == "RNN" and seed % 2 else None
    assert_matches_torch(layer, x, upstream, h0)


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_new_layers_match_torch_in_float32(name):
    rng = np.random.default_rng(99)
    layer, x = RANDOM_LAYERS[name](rng, np.float32)
    upstream = rng.normal(size=layer.forward(x).shape).astype(np.float32)
    assert_matches_torch(layer, x, upstream, atol=1e-5)


def cnn(rng, dtype):
    return scratch.Sequential(
        scratch.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=1, rng=rng, dtype=dtype),
        scratch.ReLU(), scratch.MaxPool2d(2, 1), scratch.Conv2d(3, 2, 1, bias=False, rng=rng,
                                                                 dtype=dtype),
        scratch.Flatten(), scratch.Linear(2 * 3 * 5, 4, rng=rng, dtype=dtype), scratch.Softmax())


def rnn_stack(rng, dtype):
    return scratch.Sequential(scratch.RNN(3, 4, rng=rng, dtype=dtype), scratch.Tanh(),
                              scratch.RNN(4, 2, rng=rng, dtype=dtype), scratch.Softmax(1),
                              scratch.Flatten())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("make", [cnn, rnn_stack], ids=["cnn", "rnn-stack"])
def test_scratch_torch_scratch_round_trip_is_bit_exact(make, dtype):
    model = make(np.random.default_rng(0), dtype)
    twin = torch_ref.to_torch(model)
    assert {p.dtype for p in twin.parameters()} == {TORCH_DTYPE[dtype]}
    back = torch_ref.from_torch(twin)
    assert back.describe() == model.describe()
    assert list(back.params) == list(model.params)
    for key, value in model.params.items():
        assert back.params[key].dtype == value.dtype
        assert np.array_equal(back.params[key], value), key
        assert not np.shares_memory(back.params[key], value)


TORCH_MODULES = {
    "Conv2d": lambda dt: nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(0, 2), dtype=dt),
    "Conv2d-int-args-nobias": lambda dt: nn.Conv2d(1, 4, 3, 2, 1, bias=False, dtype=dt),
    "MaxPool2d": lambda dt: nn.MaxPool2d((3, 2), stride=(1, 2)),
    "MaxPool2d-default-stride": lambda dt: nn.MaxPool2d(2),
    "Flatten": lambda dt: nn.Flatten(),
    "Softmax": lambda dt: nn.Softmax(dim=-2),
    "RNN": lambda dt: nn.RNN(3, 5, batch_first=True, dtype=dt),
    "BatchFirstRNN": lambda dt: torch_ref.BatchFirstRNN(3, 5, dtype=dt),
    "Sequential": lambda dt: nn.Sequential(
        nn.Conv2d(1, 2, 3, dtype=dt), nn.Tanh(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(8, 3, dtype=dt), nn.Softmax(dim=1)),
}


def pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


def settings(module) -> list:
    """Every setting that matters, with ints and pairs (and RNN and its wrapper) made alike."""
    found = []
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            found.append(("Conv2d", m.in_channels, m.out_channels, pair(m.kernel_size),
                          pair(m.stride), pair(m.padding), m.bias is not None))
        elif isinstance(m, nn.MaxPool2d):
            found.append(("MaxPool2d", pair(m.kernel_size), pair(m.stride)))
        elif isinstance(m, nn.RNN):
            found.append(("RNN", m.input_size, m.hidden_size, m.num_layers, m.nonlinearity,
                          m.bias, m.batch_first, m.bidirectional))
        elif not isinstance(m, nn.Sequential):
            found.append(repr(m))
    return found


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("name", sorted(TORCH_MODULES))
def test_torch_scratch_torch_round_trip_is_bit_exact(name, dtype):
    torch.manual_seed(0)
    module = TORCH_MODULES[name](dtype)
    again = torch_ref.to_torch(torch_ref.from_torch(module))
    assert settings(again) == settings(module)
    before, after = dict(module.named_parameters()), dict(again.named_parameters())
    assert before.keys() == after.keys()
    for key, p in before.items():
        assert after[key].dtype == p.dtype and torch.equal(after[key], p), key


def test_plain_torch_rnn_output_equals_the_twin_output():
    torch.manual_seed(1)
    module = nn.RNN(3, 4, batch_first=True, dtype=torch.float64)
    layer = torch_ref.from_torch(module)
    x = np.random.default_rng(1).normal(size=(2, 5, 3))
    expected, _ = module(torch.from_numpy(x))
    np.testing.assert_allclose(layer.forward(x), expected.detach().numpy(), rtol=0, atol=MATCH)


def test_param_map_records_transposes_and_both_rnn_biases():
    model = scratch.Sequential(scratch.Conv2d(1, 2, 3, rng=0), scratch.Flatten(),
                               scratch.Linear(2, 2, rng=0))
    rnn = scratch.RNN(3, 4, rng=0)
    links = torch_ref.param_map(torch_ref.to_torch(model))
    assert [(x.scratch_name, x.torch_name, x.transposed) for x in links] == [
        ("0.W", "0.weight", False), ("0.b", "0.bias", False),
        ("2.W", "2.weight", True), ("2.b", "2.bias", False)]
    links = torch_ref.param_map(torch_ref.to_torch(rnn))
    assert [(x.scratch_name, x.torch_name, x.transposed) for x in links] == [
        ("W_ih", "weight_ih_l0", True), ("W_hh", "weight_hh_l0", True),
        ("b_ih", "bias_ih_l0", False), ("b_hh", "bias_hh_l0", False)]
    assert all(link.reason for link in links)


@pytest.mark.parametrize("module, match", [
    (nn.Conv2d(1, 2, 3, dilation=2), "no dilation"),
    (nn.Conv2d(2, 2, 3, groups=2), "no groups"),
    (nn.Conv2d(1, 2, 3, padding=1, padding_mode="reflect"), "pads with zeros only"),
    (nn.Conv2d(1, 2, 3, padding="same"), "padding='same'"),
    (nn.MaxPool2d(3, padding=1), "MaxPool2d has no padding"),
    (nn.MaxPool2d(2, dilation=2), "MaxPool2d has no dilation"),
    (nn.MaxPool2d(2, ceil_mode=True), "floors the output size"),
    (nn.MaxPool2d(2, return_indices=True), "returns values only"),
    (nn.Flatten(start_dim=2), "start_dim=1, end_dim=-1"),
    (nn.Softmax(), "explicit dim"),
    (nn.RNN(3, 4, num_layers=2, batch_first=True), "num_layers=2"),
    (nn.RNN(3, 4, nonlinearity="relu", batch_first=True), "nonlinearity='relu'"),
    (nn.RNN(3, 4, bias=False, batch_first=True), "bias=False"),
    (nn.RNN(3, 4), "batch_first=False"),
    (nn.RNN(3, 4, batch_first=True, bidirectional=True), "bidirectional"),
])
def test_from_torch_refuses_what_scratch_cannot_express(module, match):
    with pytest.raises(ValueError, match=r"from_torch: .*" + match):
        torch_ref.from_torch(module)


class RNNWithUntransposedWhh(scratch.RNN):
    """Scratch-side stand-in for a converter bug: its twin maps W_hh without the transpose."""


class ConvWithSpatiallyTransposedKernel(scratch.Conv2d):
    """Its twin maps W with kH and kW swapped (shape-compatible for a square kernel)."""


@pytest.fixture
def broken_twins():
    bad_rnn = [torch_ref.ParamLink("W_hh", "weight_hh_l0", False, "planted bug")
               if x.scratch_name == "W_hh" else x for x in torch_ref.twins_conv.RNN_LINKS]
    bad_conv = [torch_ref.ParamLink("W", "weight", True, "planted bug", axes=(0, 1, 3, 2)),
                torch_ref.twins_conv.CONV_LINKS[1]]
    torch_ref.register_twin(
        RNNWithUntransposedWhh, torch_ref.BatchFirstRNN,
        to_torch=lambda layer, dtype, convert: torch_ref.BatchFirstRNN(
            layer.input_size, layer.hidden_size, dtype=dtype),
        links=lambda layer: bad_rnn)
    torch_ref.register_twin(
        ConvWithSpatiallyTransposedKernel, nn.Conv2d,
        to_torch=lambda layer, dtype, convert: nn.Conv2d(
            layer.in_channels, layer.out_channels, layer.kernel_size, dtype=dtype),
        links=lambda layer: bad_conv)
    yield
    torch_ref.unregister_twin(RNNWithUntransposedWhh)
    torch_ref.unregister_twin(ConvWithSpatiallyTransposedKernel)


@pytest.mark.usefixtures("broken_twins")
@pytest.mark.parametrize("layer, x_shape", [
    (RNNWithUntransposedWhh(3, 4, rng=0), (2, 3, 3)),
    (ConvWithSpatiallyTransposedKernel(2, 2, 3, rng=0), (2, 2, 5, 5)),
])
def test_agreement_check_catches_a_mapping_bug_the_shapes_let_through(layer, x_shape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=x_shape)
    upstream = rng.normal(size=layer.forward(x).shape)
    with pytest.raises(AssertionError, match="forward"):
        assert_matches_torch(layer, x, upstream)

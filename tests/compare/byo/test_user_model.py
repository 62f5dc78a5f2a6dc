"""check_model and gradcheck on a user's own model class, with twins registered in one call."""

import numpy as np
import pytest
import torch

import torch_ref
from compare import check_model, gradcheck


class Affine:
    def __init__(self, rng, n_in, n_out):
        self.W, self.b = rng.normal(size=(n_in, n_out)) * 0.5, rng.normal(size=n_out) * 0.1
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW, self.db = self.x.T @ dout, dout.sum(axis=0)
        return dout @ self.W.T


class ReLU:
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


class MLP:
    """A student's model: a list of layers, forward and backward walking it."""

    def __init__(self, seed=0, sizes=(4, 4, 3)):
        rng = np.random.default_rng(seed)
        self.layers = [Affine(rng, sizes[0], sizes[1]), ReLU(), Affine(rng, sizes[1], sizes[2])]

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout


X = np.random.default_rng(5).normal(size=(6, 4))


@pytest.fixture
def twins():
    torch_ref.register_reference(Affine, lambda x, W, b: x @ W + b)
    torch_ref.register_reference(ReLU, torch.relu)
    yield
    torch_ref.unregister_reference(Affine)
    torch_ref.unregister_reference(ReLU)


def test_missing_twin_names_the_layer_type_and_the_call(twins):
    class Scale:
        def forward(self, x):
            return 2 * x

        def backward(self, dout):
            return 2 * dout

    model = MLP()
    model.layers.append(Scale())
    with pytest.raises(TypeError, match=r"layer 3 \(Scale\) has no torch twin.*"
                                        r"torch_ref.register_reference\(Scale, lambda x: "):
        check_model(model, X)


def test_user_model_passes_and_every_parameter_is_listed(twins):
    report = check_model(MLP(), X)
    assert report.ok, report
    assert sorted(e.param for e in report.entries if e.param) == ["0.W", "0.b", "2.W", "2.b"]
    assert "parameters checked: dL/d2.W, dL/d2.b, dL/d0.W, dL/d0.b" in report.notes[0]


class TransposedDW(Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = self.dW.T.copy()
        return dx


class KeepdimsDb(Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.db = dout.sum(axis=0, keepdims=True)
        return dx


class ReluGradFromOutputSign(ReLU):
    def backward(self, dout):
        return dout  # forgot the mask


class NoTransposeDx(Affine):
    def backward(self, dout):
        super().backward(dout)
        return dout @ self.W


@pytest.mark.parametrize("position, cls, label, hint", [
    (0, TransposedDW, "dL/dW", "transpose"),
    (2, KeepdimsDb, "dL/db", "reshape"),
    (1, ReluGradFromOutputSign, "dL/dinput", "derivative"),
    (0, NoTransposeDx, "dL/dinput", "transpose"),  # layer 0's W is square (4, 4)
])
def test_planted_bug_is_found_at_its_layer(twins, position, cls, label, hint):
    model = MLP()
    old = model.layers[position]
    new = cls.__new__(cls)
    new.__dict__.update(vars(old))
    model.layers[position] = new
    report = check_model(model, X)
    assert not report.ok
    div = report.first_divergence
    assert (div.layer, div.entry.label) == (position, label), report
    if hint:
        assert hint in [h.kind for h in report.hints], report.hints


def test_gradcheck_checks_every_parameter_of_a_user_model_and_lists_them():
    report = gradcheck(MLP(), X)
    assert report.ok, report
    assert sorted(e.param for e in report.entries if e.param) == ["0.W", "0.b", "2.W", "2.b"]
    assert "checked: dL/dinput, dL/d0.W, dL/d0.b, dL/d2.W, dL/d2.b" in report.notes


def test_gradcheck_with_parameters_it_cannot_read_is_an_error_not_an_ok():
    class Hidden(Affine):
        def __init__(self, rng, n_in, n_out):
            super().__init__(rng, n_in, n_out)
            del self.dW, self.db

        def backward(self, dout):
            self.gw = self.x.T @ dout
            return dout @ self.W.T

    model = MLP()
    model.layers[0] = Hidden(np.random.default_rng(0), 4, 4)
    with pytest.raises(AttributeError, match=r"Hidden: could not tell.*params=\['W', 'b'\]"):
        gradcheck(model, X)


def test_gradcheck_finds_a_wrong_parameter_gradient_in_a_user_model():
    model = MLP()
    bad = KeepdimsDb.__new__(KeepdimsDb)
    bad.__dict__.update(vars(model.layers[0]))
    model.layers[0] = bad
    report = gradcheck(model, X)
    assert [e.param for e in report.failures] == ["0.b"]


def test_gradcheck_reaches_layers_held_in_their_own_attributes():
    class TwoLayer:
        def __init__(self):
            rng = np.random.default_rng(1)
            self.fc1, self.act, self.fc2 = Affine(rng, 4, 5), ReLU(), Affine(rng, 5, 2)

        def forward(self, x):
            return self.fc2.forward(self.act.forward(self.fc1.forward(x)))

        def backward(self, dout):
            return self.fc1.backward(self.act.backward(self.fc2.backward(dout)))

    report = gradcheck(TwoLayer(), X)
    assert report.ok, report
    assert sorted(e.param for e in report.entries if e.param) == \
        ["fc1.W", "fc1.b", "fc2.W", "fc2.b"]
    with pytest.raises(TypeError, match="no layers were found on it"):
        check_model(TwoLayer(), X)


def test_a_layer_adding_into_its_gradient_fails_inside_a_user_model(twins):
    class PlusEquals(Affine):  # += with no zero_grad(): must overwrite
        def backward(self, dout):
            self.dW += self.x.T @ dout
            self.db = dout.sum(axis=0)
            return dout @ self.W.T

    model = MLP()
    bad = PlusEquals.__new__(PlusEquals)
    bad.__dict__.update(vars(model.layers[2]))
    model.layers[2] = bad
    report = check_model(model, X)
    assert [e.param for e in report.failures] == ["2.W"]
    assert any("filled with NaN before backward" in n for n in report.notes)


def test_user_model_with_a_loss(twins):
    y = np.array([0, 2, 1, 1, 0, 2])
    report = check_model(MLP(), X, y, loss="cross_entropy")
    assert report.ok, report
    assert [e.label for e in report.entries if e.is_loss] == ["loss", "dL/dpred"]
    model = MLP()
    bad = KeepdimsDb.__new__(KeepdimsDb)
    bad.__dict__.update(vars(model.layers[2]))
    model.layers[2] = bad
    report = check_model(model, X, y, loss="cross_entropy")
    assert [e.param for e in report.failures] == ["2.b"]


def test_check_layer_without_a_reference_uses_the_registered_twin(twins):
    from compare import check_layer

    layer = Affine(np.random.default_rng(2), 4, 3)
    assert check_layer(layer, None, X).ok
    torch_ref.unregister_reference(Affine)
    try:  # unregistered: autograd of the layer's own forward judges it (issue 17)
        report = check_layer(layer, None, X)
        assert report.ok and report.expected_name == "own-forward autograd", report
    finally:
        torch_ref.register_reference(Affine, lambda x, W, b: x @ W + b)

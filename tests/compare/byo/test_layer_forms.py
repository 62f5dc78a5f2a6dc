"""check_layer on class layers as books and libraries write them: W/dW, w/dw, dicts,
torch-style accumulation with zero_grad(), and a recurrent cell carrying its state."""

import numpy as np
import pytest
import torch

from compare import check_layer

rng = np.random.default_rng(21)
X = rng.normal(size=(5, 4))


class Dense:
    """Book style: W, b with dW, db, overwritten on every backward."""

    def __init__(self, n_in, n_out, seed=0):
        r = np.random.default_rng(seed)
        self.W, self.b = r.normal(size=(n_in, n_out)), r.normal(size=n_out)
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class LowerDense:
    """Lower-case names: w, b with dw, db."""

    def __init__(self, n, seed=1):
        r = np.random.default_rng(seed)
        self.w, self.b = r.normal(size=(n, n)), r.normal(size=n)
        self.dw = self.db = None

    def forward(self, x):
        self.x = x
        return np.tanh(x @ self.w + self.b)

    def backward(self, dout):
        y = np.tanh(self.x @ self.w + self.b)
        da = dout * (1 - y ** 2)
        self.dw, self.db = self.x.T @ da, da.sum(axis=0)
        return da @ self.w.T


def dense_ref(x, W, b):
    return x @ W + b


def tanh_ref(x, w, b):
    return torch.tanh(x @ w + b)


class TorchStyle(Dense):
    """Accumulates like torch: += into grads, zeroed by zero_grad()."""

    def zero_grad(self):
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)

    def backward(self, dout):
        self.dW += self.x.T @ dout
        self.db += dout.sum(axis=0)
        return dout @ self.W.T


def test_dW_style_and_lower_case_layers_pass_without_options():
    report = check_layer(Dense(4, 3), dense_ref, X)
    assert report.ok, report
    assert "attributes .W/.dW, .b/.db" in report.notes[0]
    assert check_layer(LowerDense(4), tanh_ref, X).ok


def test_dW_style_bugs_fail_at_their_parameter_with_a_hint():
    class TransposedW(LowerDense):  # square w: only the values show it
        def backward(self, dout):
            dx = super().backward(dout)
            self.dw = self.dw.T.copy()
            return dx

    class KeepdimsBias(Dense):
        def backward(self, dout):
            dx = super().backward(dout)
            self.db = dout.sum(axis=0, keepdims=True)
            return dx

    class DoubledW(Dense):
        def backward(self, dout):
            dx = super().backward(dout)
            self.dW = 2 * self.dW
            return dx

    class NotTransposedInDx(LowerDense):
        def backward(self, dout):
            super().backward(dout)
            y = np.tanh(self.x @ self.w + self.b)
            return (dout * (1 - y ** 2)) @ self.w

    cases = [(TransposedW(4), tanh_ref, "w", "transpose"),
             (KeepdimsBias(4, 3), dense_ref, "b", "reshape"),
             (DoubledW(4, 3), dense_ref, "W", "scale"),
             (NotTransposedInDx(4), tanh_ref, None, "transpose")]
    for layer, ref, param, hint in cases:
        report = check_layer(layer, ref, X)
        assert not report.ok, type(layer).__name__
        assert report.failures[0].param == param, (type(layer).__name__, report)
        if hint:
            assert hint in [h.kind for h in report.hints], (type(layer).__name__, report.hints)


def test_failed_discovery_lists_what_it_found_and_the_call_to_make():
    class Unnamed(Dense):
        def __init__(self):
            super().__init__(4, 3)
            del self.dW, self.db
            self.weight_gradient = None

    with pytest.raises(AttributeError, match=r"\.W \(4, 3\), \.b \(3,\).*"
                                             r"params=\['W', 'b'\], grads="):
        check_layer(Unnamed(), dense_ref, X)


def test_accumulating_layer_is_checked_under_its_convention():
    report = check_layer(TorchStyle(4, 3), dense_ref, X)
    assert report.ok, report
    assert any("accumulate" in n and "zero_grad" in n and "exactly once" in n
               for n in report.notes), report.notes


def test_accumulating_layer_that_adds_twice_fails():
    class AddsTwice(TorchStyle):
        def backward(self, dout):
            dx = super().backward(dout)
            self.dW += self.x.T @ dout
            return dx

    report = check_layer(AddsTwice(4, 3), dense_ref, X)
    assert not report.ok
    assert report.failures[0].param == "W"
    assert "scale" in [h.kind for h in report.hints]


def test_adding_without_a_way_to_zero_still_fails_as_before():
    class PlusEquals(Dense):  # no zero_grad(): its dW grows without bound
        def backward(self, dout):
            self.dW += self.x.T @ dout
            self.db = dout.sum(axis=0)
            return dout @ self.W.T

    report = check_layer(PlusEquals(4, 3), dense_ref, X)
    assert [e.param for e in report.failures] == ["W"]
    assert any("adds into the gradient" in n for n in report.notes)
    # mixed (dW adds, db overwrites) is no convention: it fails under accumulate=True too
    report = check_layer(PlusEquals(4, 3), dense_ref, X, accumulate=True)
    assert [e.label for e in report.failures] == ["dL/db added by a 2nd backward"]

    class AllPlusEquals(Dense):
        def backward(self, dout):
            self.dW += self.x.T @ dout
            self.db += dout.sum(axis=0)
            return dout @ self.W.T

    assert check_layer(AllPlusEquals(4, 3), dense_ref, X, accumulate=True).ok


class RNNCell:
    """Carries its hidden state h between calls, as a char-RNN's step does."""

    def __init__(self, n, seed=3):
        r = np.random.default_rng(seed)
        self.Wh = r.normal(size=(n, n)) * 0.3
        self.Wh_grad = np.zeros_like(self.Wh)
        self.h = np.zeros((5, n))

    def reset_state(self):
        self.h = np.zeros_like(self.h)

    def forward(self, x):
        self.prev, self.x = self.h, x
        self.h = np.tanh(x + self.prev @ self.Wh)
        return self.h

    def backward(self, dout):
        da = dout * (1 - self.h ** 2)
        self.Wh_grad = self.prev.T @ da
        return da


def test_stateful_layer_gets_a_stateful_verdict_then_passes_with_reset():
    # the reference for the first step from h = 0
    ref = lambda x, Wh: torch.tanh(x + torch.zeros(5, 4, dtype=x.dtype) @ Wh)  # noqa: E731
    report = check_layer(RNNCell(4), ref, X)
    assert not report.ok
    assert report.entry("output").diff.message.startswith("stateful: ")
    assert any("give reset=" in n for n in report.notes)
    assert [h.kind for h in report.hints] == ["stateful"]
    assert check_layer(RNNCell(4), ref, X, reset="reset_state").ok
    cell = RNNCell(4)
    assert check_layer(cell, ref, X, reset=cell.reset_state).ok


def test_a_backward_returning_a_list_is_an_error_entry_not_a_crash():
    class ListKeeper:  # numpy-ml's shape without its flush_gradients()
        def __init__(self):
            self.inputs = []

        def forward(self, x):
            self.inputs.append(x)
            return np.tanh(x)

        def backward(self, dout):
            grads = [dout * (1 - np.tanh(x) ** 2) for x in self.inputs]
            return grads[0] if len(grads) == 1 else grads

    report = check_layer(ListKeeper(), torch.tanh, X)
    assert not report.ok
    assert report.failures[0].diff.message.startswith("backward returned a list of ")
    assert check_layer(ListKeeper(), torch.tanh, X, reset=lambda layer: layer.inputs.clear()).ok


class DictDense:
    """numpy-ml's layout: ``parameters`` and ``gradients`` dicts, overwritten on backward."""

    def __init__(self, n, seed=4):
        r = np.random.default_rng(seed)
        self.parameters = {"kernel": r.normal(size=(n, n)), "bias": r.normal(size=n)}
        self.gradients = {k: np.zeros_like(v) for k, v in self.parameters.items()}

    def forward(self, x):
        self.x = x
        return np.tanh(x @ self.parameters["kernel"] + self.parameters["bias"])

    def backward(self, dout):
        y = self.forward(self.x)
        da = dout * (1 - y ** 2)
        self.gradients["kernel"] = self.x.T @ da
        self.gradients["bias"] = da.sum(axis=0)
        return da @ self.parameters["kernel"].T


def kernel_ref(x, kernel, bias):
    return torch.tanh(x @ kernel + bias)


def _dict_bug(name, change):
    class Bug(DictDense):
        def backward(self, dout):
            dx = super().backward(dout)
            return change(self, dout, dx)
    Bug.__name__ = name
    return Bug


@pytest.mark.parametrize("bug, param, hint", [
    (_dict_bug("KernelTransposed", lambda s, d, dx: (
        s.gradients.__setitem__("kernel", s.gradients["kernel"].T.copy()), dx)[1]),
     "kernel", "transpose"),
    (_dict_bug("BiasKeepdims", lambda s, d, dx: (
        s.gradients.__setitem__("bias", s.gradients["bias"][None, :]), dx)[1]),
     "bias", "reshape"),
    (_dict_bug("BiasAveraged", lambda s, d, dx: (
        s.gradients.__setitem__("bias", s.gradients["bias"] / len(d)), dx)[1]),
     "bias", "scale"),
    (_dict_bug("DxNegated", lambda s, d, dx: -dx), None, "sign_flip"),
])
def test_dict_style_layer_passes_and_its_bugs_fail_at_their_parameter(bug, param, hint):
    assert check_layer(DictDense(4), kernel_ref, X).ok
    report = check_layer(bug(4), kernel_ref, X)
    assert not report.ok
    assert report.failures[0].param == param, report
    assert hint in [h.kind for h in report.hints], report.hints


class SquareTorchStyle(TorchStyle):
    def __init__(self):
        super().__init__(4, 4)


def _acc_bug(name, backward=None, zero_grad=None):
    attrs = {k: v for k, v in (("backward", backward), ("zero_grad", zero_grad)) if v}
    return type(name, (SquareTorchStyle,), attrs)


def _adds_transposed(self, dout):
    self.dW += (self.x.T @ dout).T
    self.db += dout.sum(axis=0)
    return dout @ self.W.T


def _adds_keepdims(self, dout):
    self.dW += self.x.T @ dout
    self.db = self.db + dout.sum(axis=0, keepdims=True)
    return dout @ self.W.T


def _adds_twice(self, dout):
    self.dW += 2 * (self.x.T @ dout)
    self.db += dout.sum(axis=0)
    return dout @ self.W.T


def _zero_forgets_db(self):
    self.dW = np.zeros_like(self.W)


@pytest.mark.parametrize("bug, param, hint", [
    (_acc_bug("AddsTransposed", backward=_adds_transposed), "W", "transpose"),
    (_acc_bug("AddsKeepdims", backward=_adds_keepdims), "b", "reshape"),
    (_acc_bug("AddsTwice", backward=_adds_twice), "W", "scale"),
    (_acc_bug("ZeroGradForgetsDb", zero_grad=_zero_forgets_db), "b", None),
])
def test_accumulating_layer_bugs_fail_at_their_parameter(bug, param, hint):
    assert check_layer(SquareTorchStyle(), dense_ref, X).ok
    report = check_layer(bug(), dense_ref, X)
    assert not report.ok
    assert report.failures[0].param == param, report
    if hint:
        assert hint in [h.kind for h in report.hints], report.hints

"""Signatures named only when confirmed: BPTT bugs by re-running them, any parameter names,
a bias in a fused layer, and no cause read into a product of two sizes."""

import numpy as np
import pytest
import torch

from compare.diagnose.hint import PairContext
from compare.diagnose.products import detect_fused_derivative
from compare.diagnose.recurrent import recurrent_hint
from compare.diagnose.scale import detect_scale


class ColumnRnn:
    """A user's RNN in column form: h_t = tanh(Wx @ x_t + U @ h_(t-1) + c), one bias."""

    def __init__(self, rng, n_in, hidden, bug=None):
        self.params = {"Wx": rng.normal(size=(hidden, n_in)) * 0.5,
                       "U": rng.normal(size=(hidden, hidden)) * 0.5,
                       "c": rng.normal(size=hidden) * 0.1}
        self.bug = bug

    def forward(self, x):
        p, h, hs = self.params, np.zeros((x.shape[0], len(self.params["c"]))), []
        for t in range(x.shape[1]):
            h = np.tanh(x[:, t] @ p["Wx"].T + h @ p["U"].T + p["c"])
            hs.append(h)
        self.hs = np.stack(hs, axis=1)
        return self.hs

    def backward_dx(self, go):
        """dL/dx, with this object's planted bug."""
        p, hs, steps = self.params, self.hs, go.shape[1]
        dpre, carried = np.zeros_like(go), np.zeros_like(go[:, 0])
        for t in range(steps - 1, -1, -1):
            up = go[:, t] if self.bug != "last" or t == steps - 1 else 0.0
            if self.bug == "after":
                dpre[:, t] = up * (1 - hs[:, t] ** 2) + carried
            else:
                dpre[:, t] = (up + carried) * (1 - hs[:, t] ** 2)
            carried = dpre[:, t] @ (p["U"].T if self.bug == "not_t" else p["U"])
        return dpre @ p["Wx"]


def _torch_dx(layer, x, go):
    p = {k: torch.tensor(v, requires_grad=False) for k, v in layer.params.items()}
    xt = torch.tensor(x, requires_grad=True)
    h, hs = torch.zeros(x.shape[0], len(layer.params["c"]), dtype=torch.float64), []
    for t in range(x.shape[1]):
        h = torch.tanh(xt[:, t] @ p["Wx"].T + h @ p["U"].T + p["c"])
        hs.append(h)
    torch.stack(hs, dim=1).backward(torch.tensor(go))
    return xt.grad.numpy()


@pytest.mark.parametrize("bug, kind", [("not_t", "transpose"), ("after", "derivative"),
                                       ("last", "operand")])
def test_three_bptt_bugs_get_three_different_confirmed_causes(bug, kind):
    rng = np.random.default_rng(0)
    layer = ColumnRnn(rng, 3, 4, bug)
    x, go = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 4))
    hs = layer.forward(x)
    expected = _torch_dx(layer, x, go)
    actual = layer.backward_dx(go)
    assert not np.allclose(actual, expected)
    hint = recurrent_hint(layer, x, go, hs, expected, actual, None, "dL/dinput")
    assert hint is not None and hint.kind == kind, hint


def test_an_unknown_bptt_bug_gets_no_cause():
    rng = np.random.default_rng(1)
    layer = ColumnRnn(rng, 3, 4)
    x, go = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 4))
    hs = layer.forward(x)
    expected = _torch_dx(layer, x, go)
    actual = expected * np.linspace(0.5, 1.5, expected.size).reshape(expected.shape)
    hint = recurrent_hint(layer, x, go, hs, expected, actual, None, "dL/dinput")
    assert hint is not None and hint.kind == "unexplained"


def test_fused_derivative_from_the_pre_activation_with_a_bias():
    rng = np.random.default_rng(2)
    x, w, bias = rng.normal(size=(6, 3)), rng.normal(size=(3, 2)), rng.normal(size=2) * 2
    z = x @ w + bias
    y = 1 / (1 + np.exp(-z))
    g = rng.normal(size=(6, 2))
    right, wrong = x.T @ (g * y * (1 - y)), x.T @ (g * z * (1 - z))
    ctx = PairContext(name="dL/dW", role="weight_grad", layer_input=x, layer_output=y,
                      grad_out=g, weight=w, bias=bias, rtol=1e-7, atol=1e-7)
    hint = detect_fused_derivative(wrong, right, ctx, 1e-7, 1e-7)
    assert hint is not None and hint.kind == "derivative" and "z (1 - z)" in hint.message


def test_a_factor_equal_to_n_over_2_names_no_cause():
    rng = np.random.default_rng(3)
    b = rng.normal(size=(5, 4))
    ctx = PairContext(name="dL/dW", role="weight_grad", batch_size=8, rtol=1e-7, atol=1e-7)
    hint = detect_scale(4 * b, b, ctx, 1e-7, 1e-7)  # D = 4 input features; N / 2 = 4 too
    assert hint.kind == "scale" and "no evidence" in hint.message
    assert "forgotten mean" not in hint.message


def test_a_plain_affine_layer_is_never_told_its_activation_derivative_is_missing():
    rng = np.random.default_rng(4)
    x, w, bias = rng.normal(size=(6, 4)), rng.normal(size=(4, 4)), rng.normal(size=4)
    y = x @ w.T + bias  # stored (out, in): no activation at all
    g = rng.normal(size=(6, 4))
    right, wrong = g @ w, g @ w.T  # the bug: a transpose, not a derivative
    ctx = PairContext(name="dL/dinput", role="input_grad", layer_input=x, layer_output=y,
                      grad_out=g, weight=w, bias=bias, rtol=1e-7, atol=1e-7)
    assert detect_fused_derivative(wrong, right, ctx, 1e-7, 1e-7) is None

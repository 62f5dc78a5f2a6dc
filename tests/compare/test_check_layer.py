"""check_layer on layers written outside twinnet: lecture-style, dict-style, and scratch's own."""

import numpy as np
import pytest
import torch

import scratch
from compare import check_layer
from tests.lecture_cells import CELL_81

# The lecture's cell [81], verbatim (its W is overwritten before use, so the
# global-RNG draw in __init__ never reaches a result).
_cell = {}
exec(CELL_81, _cell)
LinearSigmoidLayer = _cell["LinearSigmoidLayer"]


class LectureLayerGradMissingGradOut(LinearSigmoidLayer):
    """A student's slip: W_grad forgets to multiply by grad_out."""

    def backward(self, grad_out):
        grad_in = super().backward(grad_out)
        self.W_grad = np.matmul(self.x.transpose(), self.y * (1 - self.y))
        return grad_in


class DictLayer:
    """numpy-ml style: parameters and gradients in dicts under its own attribute names."""

    def __init__(self, rng, n_in, n_out):
        self.weights = {"kernel": rng.normal(size=(n_in, n_out)), "offset": rng.normal(size=n_out)}
        self.grads = {k: np.zeros_like(v) for k, v in self.weights.items()}

    def forward(self, x):
        self.x = x
        return np.tanh(x @ self.weights["kernel"] + self.weights["offset"])

    def backward(self, grad_out):
        y = np.tanh(self.x @ self.weights["kernel"] + self.weights["offset"])
        local = grad_out * (1 - y * y)
        self.grads["kernel"] = self.x.T @ local
        self.grads["offset"] = local.sum(axis=0)
        return local @ self.weights["kernel"].T


def tanh_affine(x, kernel, offset):
    return torch.tanh(x @ kernel + offset)


def lecture_layer(rng, n_in=2, n_out=3, cls=LinearSigmoidLayer):
    layer = cls(n_in, n_out)
    layer.W = rng.normal(size=(n_in, n_out))
    return layer


def test_lecture_layer_pasted_verbatim_passes():
    rng = np.random.default_rng(0)
    report = check_layer(lecture_layer(rng), lambda x, W: torch.sigmoid(x @ W),
                         rng.normal(size=(4, 2)))
    assert report.ok, report
    assert [e.label for e in report.entries] == ["output", "dL/dW", "dL/dinput"]
    assert "attributes .W/.W_grad" in report.notes[0]


def test_lecture_layer_with_a_bug_is_caught_and_named():
    rng = np.random.default_rng(1)
    layer = lecture_layer(rng, cls=LectureLayerGradMissingGradOut)
    report = check_layer(layer, lambda x, W: torch.sigmoid(x @ W), rng.normal(size=(4, 2)))
    div = report.first_divergence
    assert not report.ok and div.phase == "backward" and div.entry.label == "dL/dW"
    assert report.entry("dL/dinput").ok and report.entry("output").ok
    assert "backward diverges at layer 0 (LectureLayerGradMissingGradOut): dL/dW wrong" \
        in str(report)


def test_a_ones_upstream_would_hide_that_bug_the_random_one_does_not():
    rng = np.random.default_rng(1)
    layer = lecture_layer(rng, cls=LectureLayerGradMissingGradOut)
    x = rng.normal(size=(4, 2))
    reference = lambda x, W: torch.sigmoid(x @ W)  # noqa: E731
    assert check_layer(layer, reference, x, upstream="ones").ok
    assert not check_layer(layer, reference, x, seed=3).ok


def test_dict_layer_with_named_attributes():
    rng = np.random.default_rng(2)
    layer = DictLayer(rng, 3, 2)
    report = check_layer(layer, tanh_affine, rng.normal(size=(5, 3)), params="weights",
                         grads="grads")
    assert report.ok, report
    assert {e.param for e in report.entries if e.param} == {"kernel", "offset"}


def test_parameters_by_position_when_the_reference_names_them_differently():
    rng = np.random.default_rng(3)
    layer = DictLayer(rng, 3, 2)
    report = check_layer(layer, lambda x, w, b: torch.tanh(x @ w + b), rng.normal(size=(5, 3)),
                         params="weights")  # order: kernel, offset (dict order)
    assert report.ok, report


def test_dict_layer_bug_names_the_parameter():
    class OffsetGradMean(DictLayer):
        def backward(self, grad_out):
            grad_in = super().backward(grad_out)
            self.grads["offset"] = self.grads["offset"] / len(self.x)
            return grad_in

    rng = np.random.default_rng(4)
    report = check_layer(OffsetGradMean(rng, 3, 2), tanh_affine, rng.normal(size=(5, 3)),
                         params="weights", grads="grads")
    assert [e.param for e in report.first_divergence.entries] == ["offset"]


def test_scratch_layers_auto_detect_params_and_grads():
    rng = np.random.default_rng(5)
    layer = scratch.Linear(3, 2, rng=rng)
    report = check_layer(layer, lambda x, W, b: x @ W + b, rng.normal(size=(4, 3)))
    assert report.ok and "dicts .params/.grads" in report.notes[0]
    sig = check_layer(scratch.Sigmoid(), torch.sigmoid, rng.normal(size=(4, 3)))
    assert sig.ok and [e.label for e in sig.entries] == ["output", "dL/dinput"]


def test_scratch_layer_without_reference_uses_its_twin():
    rng = np.random.default_rng(6)
    report = check_layer(scratch.Linear(3, 2, rng=rng), x=rng.normal(size=(4, 3)))
    assert report.ok and report.title.startswith("check_model: Linear(3, 2)")


def test_a_layer_that_raises_is_reported_not_propagated():
    class Crashes(LinearSigmoidLayer):
        def backward(self, grad_out):
            raise RuntimeError("oops")

    rng = np.random.default_rng(7)
    report = check_layer(lecture_layer(rng, cls=Crashes), lambda x, W: torch.sigmoid(x @ W),
                         rng.normal(size=(4, 2)))
    assert report.first_divergence.entry.status == "error"
    assert "backward raised RuntimeError: oops" in report.first_divergence.message


def test_wrong_output_shape_is_a_shape_status():
    class Flat(LinearSigmoidLayer):
        def forward(self, x):
            return super().forward(x).ravel()

    rng = np.random.default_rng(8)
    report = check_layer(lecture_layer(rng, cls=Flat), lambda x, W: torch.sigmoid(x @ W),
                         rng.normal(size=(4, 2)), backward_twice=False)
    out = report.entry("output")
    assert out.status == "shape" and out.diff.message == \
        "shape differs: actual (12,) vs expected (4, 3)"


def test_reference_that_does_not_fit_gets_a_clear_error():
    rng = np.random.default_rng(9)
    with pytest.raises(TypeError, match=r"the reference raised .* parameters \['W'\] by keyword"):
        check_layer(lecture_layer(rng), lambda x, W: x @ W @ W, rng.normal(size=(4, 2)))


def test_accumulating_user_layer_is_explained():
    class Accumulates(DictLayer):
        def backward(self, grad_out):
            old = {k: v.copy() for k, v in self.grads.items()}
            grad_in = super().backward(grad_out)
            self.grads["kernel"] = self.grads["kernel"] + old["kernel"]
            return grad_in

    rng = np.random.default_rng(10)
    report = check_layer(Accumulates(rng, 3, 2), tanh_affine, rng.normal(size=(5, 3)),
                         params="weights")
    assert [e.param for e in report.failures] == ["kernel"]
    assert any("adds into the gradient" in n for n in report.notes)


def test_random_upstream_is_not_the_users_draw_from_the_same_seed():
    # A transposed dW on a square layer passes when upstream == x (x.T @ x is symmetric);
    # the upstream must therefore not be default_rng(seed)'s first draw.
    import scratch

    class TransposedGrad(scratch.Linear):
        def _backward(self, grad_out):
            dx = super()._backward(grad_out)
            self.grads["W"] = self.grads["W"].T.copy()
            return dx

    layer = TransposedGrad(3, 3, bias=False, rng=1)
    x = np.random.default_rng(0).standard_normal((3, 3))
    report = check_layer(layer, lambda x, W: x @ W, x=x, seed=0)
    assert not report.ok
    assert report.first_divergence is not None

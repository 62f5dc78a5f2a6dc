"""Each planted bug makes check_model fail, and the report names the right layer and parameter."""

import numpy as np
import pytest

import scratch
from compare import check_model
from twinnet.mutants.layer_bugs import (
    LinearBiasGradMean,
    LinearSigmoidInputGradNoTranspose,
    LinearWeightGradAccumulates,
    LinearWeightGradTransposed,
    ReLUGradAtZero,
    SigmoidBackwardScalesCache,
    SigmoidNoDerivative,
    TanhForwardHalvesInput,
    TanhWrongSign,
)
from twinnet.mutants.loss_bugs import CrossEntropyMissingOneHot, MSENotDividedByN


def data(rng, batch=5, n_in=3):
    return rng.normal(size=(batch, n_in))


def failing_names(report):
    return [e.name for e in report.failures]


def test_missing_sigmoid_derivative_blames_that_sigmoid():
    rng = np.random.default_rng(0)
    model = scratch.Sequential(scratch.Linear(3, 4, rng=rng), SigmoidNoDerivative(),
                               scratch.Linear(4, 1, rng=rng), scratch.Sigmoid())
    y = (rng.random((5, 1)) > 0.5).astype(float)
    report = check_model(model, data(rng), y, "bce")
    div = report.first_divergence
    assert not report.ok and div.phase == "backward" and div.layer == 1
    assert div.entry.label == "dL/dinput"
    assert "backward diverges at layer 1 (SigmoidNoDerivative())" in div.message
    assert "dL/dinput wrong while its dL/doutput matched" in div.message
    # Everything above the bug matched; the layer below inherits wrong gradients.
    above = [e for e in report.entries if e.layer >= 2 or e.kind in ("forward", "loss")]
    assert all(e.ok for e in above)


def test_transposed_weight_gradient_names_the_parameter():
    rng = np.random.default_rng(1)
    model = scratch.Sequential(scratch.Linear(3, 3, rng=rng), scratch.Tanh(),
                               LinearWeightGradTransposed(3, 3, rng=rng))
    report = check_model(model, data(rng), rng.normal(size=(5, 3)), "mse")
    div = report.first_divergence
    assert div.phase == "backward" and div.layer == 2
    assert [e.param for e in div.entries] == ["2.W"]
    assert div.entry.reference_param == "2.weight" and div.entry.transposed
    assert "dL/dW [2.W <-> 2.weight, transposed] wrong" in div.message
    # dL/dinput of that layer is right: only the stored gradient is wrong.
    assert report.entry("layer 2 (Linear(3, 3)) dL/dinput").ok


def test_transposed_weight_gradient_of_non_square_layer_is_a_shape_mismatch():
    class Transposed(scratch.Linear):
        def _backward(self, grad_out):
            grad_in = super()._backward(grad_out)
            self.grads["W"] = self.grads["W"].T.copy()
            return grad_in

    rng = np.random.default_rng(2)
    model = scratch.Sequential(Transposed(3, 2, rng=rng))
    x, y = data(rng), rng.normal(size=(5, 2))
    report = check_model(model, x, y, "mse", backward_twice=False)
    assert report.first_divergence.entry.param == "0.W"
    assert report.first_divergence.entry.status == "shape"
    assert "shape differs: actual (2, 3) vs expected (3, 2)" in str(report)
    # Run twice, its own second backward trips over the (2, 3) buffer: reported, not raised.
    twice = check_model(model, x, y, "mse", backward_twice=True)
    assert twice.first_divergence.entry.status == "error"
    assert twice.first_divergence.message.startswith(
        "backward diverges at layer 0 (Linear(3, 2)): backward raised ValueError")


def test_flipped_sign_in_tanh():
    rng = np.random.default_rng(3)
    model = scratch.Sequential(scratch.Linear(3, 4, rng=rng), TanhWrongSign(),
                               scratch.Linear(4, 2, rng=rng))
    report = check_model(model, data(rng), np.array([0, 1, 1, 0, 1]), "cross_entropy")
    div = report.first_divergence
    assert (div.phase, div.layer, div.entry.label) == ("backward", 1, "dL/dinput")
    # A pure sign flip: scratch's values are exactly minus torch's.
    np.testing.assert_allclose(div.entry.actual, -div.entry.expected, rtol=1e-12)


def test_mse_gradient_not_divided_by_batch_blames_the_loss():
    rng = np.random.default_rng(4)
    model = scratch.Sequential(scratch.Linear(3, 2, rng=rng))
    report = check_model(model, data(rng), rng.normal(size=(5, 2)), MSENotDividedByN())
    div = report.first_divergence
    assert div.phase == "backward" and div.entry.is_loss and div.entry.label == "dL/dpred"
    assert "backward diverges at the loss (MSENotDividedByN" in div.message
    assert report.entry("loss", "loss").ok  # the value is right; only its gradient is not
    # mean over 5 x 2 = 10 elements forgotten: scratch is exactly 10x torch.
    np.testing.assert_allclose(div.entry.actual, 10 * div.entry.expected, rtol=1e-12)


def test_relu_derivative_on_the_wrong_side_of_zero_is_caught_at_an_exact_kink():
    rng = np.random.default_rng(5)
    linear = scratch.Linear(3, 4, rng=rng)
    linear.params["W"][:, 2] = 0  # unit 2's pre-activation is exactly 0.0 on both sides
    linear.params["b"][2] = 0
    model = scratch.Sequential(linear, ReLUGradAtZero(), scratch.Linear(4, 1, rng=rng))
    report = check_model(model, data(rng), rng.normal(size=(5, 1)), "mse")
    div = report.first_divergence
    assert (div.phase, div.layer, div.entry.label) == ("backward", 1, "dL/dinput")
    bad_columns = set(np.argwhere(div.entry.actual != div.entry.expected)[:, 1].tolist())
    assert bad_columns == {2}


def test_correct_relu_passes_at_the_same_exact_kink():
    rng = np.random.default_rng(5)
    linear = scratch.Linear(3, 4, rng=rng)
    linear.params["W"][:, 2] = 0
    linear.params["b"][2] = 0
    model = scratch.Sequential(linear, scratch.ReLU(), scratch.Linear(4, 1, rng=rng))
    assert check_model(model, data(rng), rng.normal(size=(5, 1)), "mse").ok


def test_accumulating_gradient_is_caught_and_explained():
    rng = np.random.default_rng(6)
    model = scratch.Sequential(LinearWeightGradAccumulates(3, 2, rng=rng), scratch.Sigmoid())
    report = check_model(model, data(rng), rng.normal(size=(5, 2)), "mse")
    div = report.first_divergence
    assert div.layer == 0 and [e.param for e in div.entries] == ["0.W"]
    assert div.entry.status == "nan-one"  # the NaN-filled buffer was added to, not overwritten
    assert any("adds into the gradient" in note for note in report.notes)


def test_accumulating_gradient_is_caught_with_backward_twice_too():
    # NaN stays NaN through the second run: still caught, still at 0.W.
    rng = np.random.default_rng(6)
    model = scratch.Sequential(LinearWeightGradAccumulates(3, 2, rng=rng), scratch.Sigmoid())
    report = check_model(model, data(rng), rng.normal(size=(5, 2)), "mse", backward_twice=True)
    assert [e.param for e in report.first_divergence.entries] == ["0.W"]


def test_bias_gradient_averaged_instead_of_summed():
    rng = np.random.default_rng(7)
    model = scratch.Sequential(LinearBiasGradMean(3, 2, rng=rng), scratch.Tanh())
    report = check_model(model, data(rng), rng.normal(size=(5, 2)), "mse")
    div = report.first_divergence
    assert [e.param for e in div.entries] == ["0.b"] and div.entry.reference_param == "0.bias"
    np.testing.assert_allclose(div.entry.actual * 5, div.entry.expected, rtol=1e-12)


def test_cache_corrupted_in_place_is_caught_by_the_second_backward():
    rng = np.random.default_rng(8)
    model = scratch.Sequential(scratch.Linear(3, 2, rng=rng), SigmoidBackwardScalesCache())
    x, y = data(rng), rng.normal(size=(5, 2))
    # One run's numbers are right, but the write into the cache is seen (issue 13)...
    single = check_model(model, x, y, "mse", backward_twice=False)
    assert not single.ok and single.first_divergence.layer == 1
    assert "wrote into its cached forward output" in single.first_divergence.message
    # ...and a second backward shows what it does to the numbers.
    report = check_model(model, x, y, "mse", backward_twice=True)
    assert report.first_divergence.layer == 1
    assert any("matched after the first backward call" in note for note in report.notes)


def test_wrong_forward_is_a_forward_divergence_at_that_layer():
    rng = np.random.default_rng(9)
    model = scratch.Sequential(scratch.Linear(3, 4, rng=rng), TanhForwardHalvesInput(),
                               scratch.Linear(4, 1, rng=rng))
    report = check_model(model, data(rng), rng.normal(size=(5, 1)), "mse")
    div = report.first_divergence
    assert (div.phase, div.layer) == ("forward", 1)
    assert div.message == ("forward diverges at layer 1 (TanhForwardHalvesInput()): its output "
                           "differs while its input matched")
    assert report.entry("layer 0 (Linear(3, 4)) output").ok


def test_cross_entropy_without_one_hot_blames_the_loss():
    rng = np.random.default_rng(10)
    model = scratch.Sequential(scratch.Linear(3, 3, rng=rng))
    report = check_model(model, data(rng), np.array([0, 2, 1, 1, 0]), CrossEntropyMissingOneHot())
    assert report.first_divergence.entry.is_loss
    assert report.first_divergence.entry.label == "dL/dpred"


def test_lecture_layer_missing_transpose_inside_net():
    rng = np.random.default_rng(11)
    net = scratch.Net(3, 3, rng=rng)
    net.l1 = LinearSigmoidInputGradNoTranspose(3, 3, rng=rng)
    report = check_model(net, data(rng), np.array([1, 0, 1, 1, 0]))
    div = report.first_divergence
    assert (div.phase, div.layer, div.entry.label) == ("backward", 0, "dL/dinput")
    assert "backward diverges at layer 0 (l1 LinearSigmoid(3, 3))" in div.message
    assert report.entry("l1", "param_grad").ok  # its weight gradient is right


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bugs_are_caught_in_both_dtypes(dtype):
    rng = np.random.default_rng(12)
    model = scratch.Sequential(scratch.Linear(3, 4, rng=rng, dtype=dtype),
                               SigmoidNoDerivative(),
                               scratch.Linear(4, 1, rng=rng, dtype=dtype))
    report = check_model(model, data(rng).astype(dtype),
                         rng.normal(size=(5, 1)).astype(dtype), "mse")
    assert report.first_divergence.layer == 1

"""Each documented bad input raises its documented exception, naming the layer."""

import numpy as np
import pytest

import scratch


def model():
    return scratch.Sequential(scratch.Linear(2, 3, rng=0), scratch.Sigmoid(),
                              scratch.Linear(3, 1, rng=1))


@pytest.mark.parametrize("x, exc, match", [
    (np.ones((4, 3)), scratch.ShapeError, r"layer 0 \(Linear\(2, 3\)\).*\(batch, 2\).*\(4, 3\)"),
    (np.ones(2), scratch.ShapeError, r"layer 0.*\(batch, 2\).*\(2,\)"),
    (np.ones((4, 2), dtype=np.int64), scratch.DTypeError, r"layer 0.*float64.*int64"),
    (np.ones((4, 2), dtype=object), scratch.DTypeError, r"layer 0.*object"),
    (np.ones((4, 2), dtype=np.float32), scratch.DTypeError, r"layer 0.*float64.*float32"),
    (np.array([[1.0, np.nan]]), scratch.NonFiniteError, r"layer 0.*non-finite.*\(0, 1\)"),
    (np.array([[np.inf, 1.0]]), scratch.NonFiniteError, r"layer 0.*non-finite.*\(0, 0\)"),
    (np.ones((0, 2)), scratch.EmptyBatchError, r"layer 0.*empty batch"),
    ([[1.0, 2.0]], scratch.DTypeError, r"layer 0.*numpy array.*list"),
])
def test_bad_model_input(x, exc, match):
    with pytest.raises(exc, match=match):
        model().forward(x)


def test_huge_finite_input_is_not_mistaken_for_inf():
    # the sum overflows, the values do not: must pass and stay finite
    y = scratch.Sigmoid().forward(np.array([[1e308, 1e308, -1e308]]))
    np.testing.assert_array_equal(y, [[1.0, 1.0, 0.0]])


def test_sigmoid_is_stable_at_extremes_without_warnings():
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow is benign
        y = scratch.Sigmoid().forward(np.array([[-1000.0, 0.0, 1000.0]]))
        y32 = scratch.Sigmoid().forward(np.array([[-1000.0, 1000.0]], dtype=np.float32))
    np.testing.assert_array_equal(y, [[0.0, 0.5, 1.0]])
    assert y32.dtype == np.float32


def test_backward_before_forward():
    with pytest.raises(scratch.BackwardBeforeForwardError, match=r"Linear\(2, 3\).*before"):
        scratch.Linear(2, 3, rng=0).backward(np.ones((1, 3)))
    with pytest.raises(scratch.BackwardBeforeForwardError, match="MSELoss"):
        scratch.MSELoss().backward()


def test_grad_out_shape_and_dtype_checked():
    layer = scratch.Linear(2, 3, rng=0)
    layer.forward(np.ones((4, 2)))
    with pytest.raises(scratch.ShapeError, match=r"grad_out.*\(4, 3\).*\(1, 3\)"):
        layer.backward(np.ones((1, 3)))  # would broadcast; must not
    with pytest.raises(scratch.DTypeError, match="grad_out.*float64.*float32"):
        layer.backward(np.ones((4, 3), np.float32))


@pytest.mark.parametrize("loss, pred, target, exc, match", [
    (scratch.MSELoss(), np.ones((3, 1)), np.ones(3), scratch.ShapeError, r"target.*\(3, 1\)"),
    (scratch.BCELoss(), np.full((2, 1), 0.5), np.array([[0.0], [2.0]]), scratch.LabelError,
     r"target must lie in \[0, 1\]"),
    (scratch.BCELoss(), np.array([[1.5]]), np.array([[1.0]]), scratch.LabelError, "pred"),
    (scratch.BCELoss(), np.array([[0.5]]), np.array([[1]]), scratch.DTypeError, "int64"),
    (scratch.BCEWithLogitsLoss(), np.array([[np.nan]]), np.array([[1.0]]),
     scratch.NonFiniteError, "pred"),
    (scratch.CrossEntropyLoss(), np.zeros((2, 3)), np.array([0, 3]), scratch.LabelError,
     r"\[0, 3\).*\[3\]"),
    (scratch.CrossEntropyLoss(), np.zeros((2, 3)), np.array([0, -1]), scratch.LabelError,
     r"\[-1\]"),
    (scratch.CrossEntropyLoss(), np.zeros((2, 3)), np.array([0.0, 1.0]), scratch.DTypeError,
     "integer"),
    (scratch.CrossEntropyLoss(), np.zeros((2, 3)), np.array([0, 1, 2]), scratch.ShapeError,
     r"\(2,\)"),
    (scratch.CrossEntropyLoss(), np.zeros((0, 3)), np.zeros(0, int), scratch.EmptyBatchError,
     "empty"),
])
def test_bad_loss_input(loss, pred, target, exc, match):
    with pytest.raises(exc, match=match):
        loss.forward(pred, target)


def test_bad_parameter_assignment_is_refused_and_model_untouched():
    layer = scratch.LinearSigmoid(2, 3, rng=0)
    before = layer.W.copy()
    with pytest.raises(scratch.ShapeError, match=r"'W'.*\(2, 3\).*\(3, 2\)"):
        layer.W = np.ones((3, 2))
    with pytest.raises(scratch.DTypeError, match="int64"):
        layer.W = np.ones((2, 3), dtype=np.int64)
    np.testing.assert_array_equal(layer.W, before)


def test_unsupported_layer_dtype():
    with pytest.raises(scratch.DTypeError, match="float16"):
        scratch.Linear(2, 3, dtype=np.float16)


def test_errors_are_also_builtin_exceptions():
    assert issubclass(scratch.ShapeError, ValueError)
    assert issubclass(scratch.DTypeError, TypeError)
    assert issubclass(scratch.BackwardBeforeForwardError, RuntimeError)

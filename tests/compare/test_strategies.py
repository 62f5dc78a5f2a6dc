"""compare.strategies generates valid, reproducible data that reaches the kinks."""

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, find, given, seed, settings
from hypothesis import strategies as st

import compare
import scratch
from compare import strategies as ts

FAST = settings(max_examples=30, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.data())
def test_inputs_are_finite_and_exactly_the_requested_dtype_and_shape(data):
    dtype = data.draw(ts.dtypes())
    shape = data.draw(ts.layer_shapes()).x_shape
    x = data.draw(ts.inputs(shape, dtype))
    assert x.dtype == dtype and x.shape == shape
    assert np.isfinite(x).all()
    assert np.abs(x).max() <= 4.0


@FAST
@given(ts.layer_shapes(max_batch=3, max_features=4))
def test_layer_shapes_stay_in_range_and_agree_with_each_other(shape):
    assert 1 <= shape.batch <= 3
    assert 1 <= shape.in_features <= 4 and 1 <= shape.out_features <= 4
    assert shape.x_shape == (shape.batch, shape.in_features)
    assert shape.W_shape == (shape.in_features, shape.out_features)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kink_values_are_exact_in_their_dtype_and_include_signed_zeros(dtype):
    values = ts.kink_values(dtype)
    as_dtype = np.array(values, dtype=dtype)
    assert as_dtype.astype(np.float64).tolist() == list(values)  # nothing rounded
    assert np.signbit(as_dtype).tolist() == [False, True, False, True, False, True]
    assert values[2] == np.finfo(dtype).smallest_normal and values[4] == np.finfo(dtype).eps


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_inputs_reach_exact_zero_and_plus_minus_tiny(dtype):
    tiny = np.finfo(dtype).smallest_normal
    strategy = ts.inputs((4,), dtype)
    for wanted in (0.0, tiny, -tiny):
        found = find(strategy, lambda a, w=wanted: bool((a == w).any()),
                     settings=settings(database=None, max_examples=500))
        assert (found == wanted).any()


def _torch_relu_grad(x: np.ndarray) -> np.ndarray:
    t = torch.tensor(x, requires_grad=True)
    torch.relu(t).sum().backward()
    return t.grad.numpy()


def test_kink_inputs_expose_a_relu_whose_gradient_at_zero_is_one():
    def broken_relu_grad(x):  # the bug: x >= 0 instead of x > 0
        return (x >= 0).astype(x.dtype)

    bad = find(ts.inputs((3,)),
               lambda x: not np.array_equal(broken_relu_grad(x), _torch_relu_grad(x)),
               settings=settings(database=None, max_examples=500))
    assert (bad == 0).any()  # the disagreement sits exactly at the kink
    # and scratch's ReLU agrees with torch there: gradient 0 at 0
    relu = scratch.ReLU()
    relu.forward(bad)
    assert np.array_equal(relu.backward(np.ones_like(bad)), _torch_relu_grad(bad))


@FAST
@given(st.data())
def test_architectures_chain_widths_and_keep_the_dtype(data):
    dtype = data.draw(ts.dtypes())
    layers = data.draw(ts.architectures(in_features=3, out_features=2, dtype=dtype,
                                        final_activation=scratch.Sigmoid))
    linears = [layer for layer in layers if isinstance(layer, scratch.Linear)]
    assert isinstance(layers[0], scratch.Linear) and isinstance(layers[-1], scratch.Sigmoid)
    assert 1 <= len(linears) <= 3
    for a, b in zip(linears, linears[1:], strict=False):
        assert a.out_features == b.in_features
    assert all(p.dtype == dtype for layer in linears for p in layer.params.values())
    model = scratch.Sequential(*layers)
    x = data.draw(ts.inputs((2, 3), dtype))
    out = model.forward(x)  # scratch checks every layer's input width and dtype
    assert out.shape == (2, 2) and out.dtype == dtype


@pytest.mark.parametrize("loss", ts.LOSS_NAMES)
def test_model_cases_are_accepted_by_the_matching_scratch_loss(loss):
    losses = {"bce": scratch.BCELoss, "bce_with_logits": scratch.BCEWithLogitsLoss,
              "mse": scratch.MSELoss, "cross_entropy": scratch.CrossEntropyLoss}

    @FAST
    @given(ts.model_cases(loss, dtype=np.float32))
    def check(case):
        assert case.loss == loss and case.x.dtype == np.float32
        pred = case.model.forward(case.x)
        if loss == "cross_entropy":
            assert case.y.dtype == np.int64 and case.y.shape == (case.x.shape[0],)
            assert pred.shape[1] >= 2 and 0 <= case.y.min() and case.y.max() < pred.shape[1]
        else:
            assert case.y.shape == pred.shape and case.y.dtype == np.float32
        if loss == "bce":
            assert isinstance(case.model.layers[-1], scratch.Sigmoid)
        # the scratch loss validates ranges, dtypes and shapes and raises on anything off
        value = losses[loss]().forward(pred, case.y)
        assert np.isfinite(value)

    check()


def _draw_twice(strategy, n=15):
    """Run the same seeded Hypothesis search twice; return both lists of drawn values."""
    def one_run():
        drawn = []

        @seed(20240611)
        @settings(max_examples=n, database=None, deadline=None)
        @given(strategy)
        def collect(value):
            drawn.append(value)

        collect()
        return drawn

    return one_run(), one_run()


def test_a_seeded_search_replays_the_same_inputs():
    first, second = _draw_twice(ts.inputs((2, 3), np.float32))
    assert len(first) == len(second) == 15
    for a, b in zip(first, second, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=False)
        assert np.array_equal(np.signbit(a), np.signbit(b))  # -0.0 replays as -0.0


def test_a_seeded_search_replays_the_same_models_and_weights():
    first, second = _draw_twice(ts.model_cases("mse"), n=10)
    for a, b in zip(first, second, strict=True):
        assert a.model.describe() == b.model.describe()
        assert a.model.params.keys() == b.model.params.keys()
        for key in a.model.params:
            assert np.array_equal(a.model.params[key], b.model.params[key])
        assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)


@pytest.mark.parametrize("make", [
    lambda: ts.inputs((2,), np.int64),
    lambda: ts.inputs((2,), np.float16),
    lambda: ts.inputs((2,), bound=float("inf")),
    lambda: ts.kink_values(np.int32),
    lambda: ts.targets("hinge", 2, 2),
    lambda: ts.layer_shapes(max_batch=0),
])
def test_bad_arguments_raise_at_once_with_a_clear_message(make):
    with pytest.raises(ValueError, match="must"):
        make()


@pytest.mark.parametrize("make", [
    lambda: ts.model_cases("hinge"),
    lambda: ts.model_cases("mse", dtype=np.int32),
    lambda: ts.architectures(max_width=0),
    lambda: ts.architectures(activations=()),
])
def test_bad_model_arguments_raise_when_the_strategy_is_built_not_when_drawn(make):
    with pytest.raises(ValueError, match="must|need"):
        make()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss", ts.LOSS_NAMES)
def test_model_cases_feed_check_model_and_scratch_matches_torch_on_them(loss, dtype):
    @settings(max_examples=25, deadline=None, database=None)
    @given(ts.model_cases(loss, dtype=dtype))
    def check(case):
        report = compare.check_model(case.model, case.x, case.y, loss=case.loss)
        assert report.ok, str(report)

    check()

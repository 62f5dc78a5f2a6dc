"""Hostile constructor arguments and array types: a scratch error naming the argument, never a
silent conversion (``Linear(2.7, 3)`` used to build ``Linear(2, 3)``) and never a raw crash
(``Linear(0, 3)`` used to end in an OverflowError after a RuntimeWarning).

Run with warnings as errors: a leaked NumPy warning fails these tests.
"""

import copy
import pickle
import warnings

import numpy as np
import pytest

import scratch

pytestmark = pytest.mark.filterwarnings("error")

# (constructor, keyword filling every other argument, argument under test)
SIZES = [
    (lambda v: scratch.Linear(v, 3), "Linear", "in_features"),
    (lambda v: scratch.Linear(2, v), "Linear", "out_features"),
    (lambda v: scratch.LinearSigmoid(v, 3), "LinearSigmoid", "in_dim"),
    (lambda v: scratch.LinearSigmoid(2, v), "LinearSigmoid", "out_dim"),
    (lambda v: scratch.Net(v, 3), "Net", "x_dim"),
    (lambda v: scratch.Net(2, v), "Net", "W_dim"),
    (lambda v: scratch.Neuron(v), "Linear", "in_features"),
    (lambda v: scratch.Perceptron(v), "Perceptron", "n_features"),
    (lambda v: scratch.RNN(v, 3), "RNN", "input_size"),
    (lambda v: scratch.RNN(2, v), "RNN", "hidden_size"),
    (lambda v: scratch.Conv2d(v, 3, 2), "Conv2d", "in_channels"),
    (lambda v: scratch.Conv2d(1, v, 2), "Conv2d", "out_channels"),
    (lambda v: scratch.Conv2d(1, 3, v), "Conv2d", "kernel_size"),
    (lambda v: scratch.Conv2d(1, 3, 2, stride=v), "Conv2d", "stride"),
    (lambda v: scratch.MaxPool2d(v), "MaxPool2d", "kernel_size"),
    (lambda v: scratch.MaxPool2d(2, stride=v), "MaxPool2d", "stride"),
]
IDS = [f"{owner}.{arg}" for _, owner, arg in SIZES]


NOT_INTS = [2.7, 2.0, True, "2", None, np.float64(3.0)]
NOT_INT_CASES = [(make, owner, arg, value) for make, owner, arg in SIZES for value in NOT_INTS
                 if not (value is None and (owner, arg) == ("MaxPool2d", "stride"))]  # default


@pytest.mark.parametrize("make, owner, arg, value", NOT_INT_CASES,
                         ids=[f"{o}.{a}={v!r}" for _, o, a, v in NOT_INT_CASES])
def test_non_integer_size_is_refused_not_truncated(make, owner, arg, value):
    with pytest.raises(scratch.ArgumentTypeError, match=rf"{owner}: {arg} must be an int"):
        make(value)


@pytest.mark.parametrize("make, owner, arg", SIZES, ids=IDS)
@pytest.mark.parametrize("value", [0, -1, np.int64(0)])
def test_size_below_one_is_refused_without_a_warning(make, owner, arg, value):
    with pytest.raises(scratch.ArgumentError, match=rf"{owner}: {arg} must be >= 1, got"):
        make(value)


@pytest.mark.parametrize("make, owner, arg", SIZES, ids=IDS)
def test_numpy_integer_sizes_are_fine(make, owner, arg):
    make(np.int64(2))


def test_linear_keeps_exactly_the_sizes_given():
    layer = scratch.Linear(np.int32(4), 3, rng=0)
    assert layer.W.shape == (4, 3) and layer.describe() == "Linear(4, 3)"


def test_padding_may_be_zero_but_not_negative():
    assert scratch.Conv2d(1, 1, 2, padding=0).padding == (0, 0)
    with pytest.raises(scratch.ArgumentError, match="Conv2d: padding must be >= 0, got -1"):
        scratch.Conv2d(1, 1, 2, padding=-1)


@pytest.mark.parametrize("make", [lambda b: scratch.Linear(2, 3, bias=b),
                                  lambda b: scratch.Conv2d(1, 2, 2, bias=b)])
@pytest.mark.parametrize("value", ["no", 0, 1, None, "False"])
def test_bias_must_be_a_bool(make, value):
    # bool("no") is True: a silent conversion would build the opposite of what was meant
    with pytest.raises(scratch.ArgumentTypeError, match="bias must be True or False"):
        make(value)


def test_bias_accepts_numpy_bools():
    assert scratch.Linear(2, 3, bias=np.bool_(False)).b is None


@pytest.mark.parametrize("dtype", [np.int64, np.float16, object, "int32"])
def test_layer_dtype_must_be_float32_or_float64(dtype):
    with pytest.raises(scratch.DTypeError, match="Linear: dtype must be float32 or float64"):
        scratch.Linear(2, 3, dtype=dtype)


@pytest.mark.parametrize("dtype", ["abc", 3, np.int64])
def test_perceptron_dtype_that_is_no_dtype_is_named(dtype):
    with pytest.raises(scratch.DTypeError, match="Perceptron: dtype must be float32 or float64"):
        scratch.Perceptron(2, dtype=dtype)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(lr=0.0), scratch.ArgumentError, r"SGD: lr must be finite and > 0, got 0.0"),
    (dict(lr=float("nan")), scratch.ArgumentError, "SGD: lr must be finite and > 0, got nan"),
    (dict(lr=float("inf")), scratch.ArgumentError, "got inf"),
    (dict(lr="0.1"), scratch.ArgumentTypeError, "SGD: lr must be a real number, got '0.1'"),
    (dict(lr=0.1, momentum=-0.5), scratch.ArgumentError, "momentum must be finite and >= 0"),
    (dict(lr=0.1, momentum=float("nan")), scratch.ArgumentError, "momentum .* got nan"),
])
def test_sgd_rates_are_checked(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        scratch.SGD(scratch.Linear(2, 3, rng=0), **kwargs)


def test_perceptron_rate_is_checked():
    with pytest.raises(scratch.ArgumentError, match="Perceptron: lr must be finite and > 0"):
        scratch.Perceptron(2, lr=float("nan"))


# -- parameter assignment -------------------------------------------------------------------

def test_float32_array_assigned_into_float64_params_is_refused():
    layer = scratch.Linear(2, 3, rng=0)
    before = {k: v.copy() for k, v in layer.params.items()}
    for assign in (lambda w: layer.params.__setitem__("W", w),
                   lambda w: setattr(layer, "W", w),
                   lambda w: layer.params.update(W=w),
                   lambda w: layer.params.update({"b": np.zeros(3)}, W=w)):
        with pytest.raises(scratch.DTypeError,
                           match=r"Linear\(2, 3\): parameter 'W' must have dtype float64, "
                                 r"got float32"):
            assign(before["W"].astype(np.float32))
    for key, value in before.items():  # nothing stored, not even update's good entry
        np.testing.assert_array_equal(layer.params[key], value)
        assert layer.params[key].dtype == np.float64
    assert layer.forward(np.ones((1, 2))).dtype == np.float64


def test_wrong_shape_or_non_array_assignment_is_refused():
    layer = scratch.Conv2d(1, 2, 3, rng=0)
    with pytest.raises(scratch.ShapeError, match=r"parameter 'W' must have shape \(2, 1, 3, 3\)"):
        layer.params["W"] = np.zeros((2, 1, 2, 2))
    with pytest.raises(scratch.DTypeError, match="parameter 'b' must be a numpy array, got list"):
        layer.params["b"] = [0.0, 0.0]
    with pytest.raises(KeyError, match="has no parameter 'b'"):
        scratch.Linear(2, 3, bias=False).b = np.zeros(3)


def test_same_dtype_assignment_still_works_and_copies_keep_the_check():
    layer = scratch.Linear(2, 3, rng=0)
    layer.params["W"] = np.ones((2, 3))
    np.testing.assert_array_equal(layer.forward(np.ones((1, 2))), [[2, 2, 2]] + layer.b)
    for clone in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
        np.testing.assert_array_equal(clone.W, layer.W)
        with pytest.raises(scratch.DTypeError, match="float32"):
            clone.params["W"] = np.ones((2, 3), np.float32)
        assert layer.params["W"].dtype == np.float64


# -- array types ---------------------------------------------------------------------------

def matrix(a):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return np.matrix(a)


@pytest.mark.parametrize("make, kind", [
    (lambda: matrix(np.ones((2, 2))), "np.matrix"),
    (lambda: np.ma.masked_array(np.ones((2, 2)), mask=[[0, 1], [0, 0]]), "masked array"),
])
def test_matrix_and_masked_inputs_are_refused_by_every_layer(make, kind):
    for layer in (scratch.Linear(2, 3, rng=0), scratch.Sigmoid(), scratch.Softmax()):
        with pytest.raises(scratch.DTypeError, match=rf"input must be a plain numpy array.*{kind}"):
            layer.forward(make())
    with pytest.raises(scratch.DTypeError, match=r"MSELoss: pred must be a plain numpy array"):
        scratch.MSELoss().forward(make(), np.ones((2, 2)))


def test_memmap_is_a_plain_array(tmp_path):
    x = np.memmap(tmp_path / "x.dat", dtype=np.float64, mode="w+", shape=(2, 2))
    x[:] = [[1.0, 2.0], [3.0, 4.0]]
    layer = scratch.Linear(2, 3, rng=0)
    np.testing.assert_array_equal(layer.forward(x), np.asarray(x) @ layer.W + layer.b)


def test_assigning_a_containers_params_entry_reaches_the_layer_or_is_refused():
    # params is rebuilt on each access: assigning into it used to change nothing, silently
    model = scratch.Sequential(scratch.Linear(2, 3, rng=0), scratch.Tanh())
    model.params["0.W"] = np.full((2, 3), 0.5)
    np.testing.assert_array_equal(model[0].W, np.full((2, 3), 0.5))
    np.testing.assert_array_equal(model.forward(np.ones((1, 2))), np.tanh(1.0 + model[0].b)[None])
    with pytest.raises(scratch.DTypeError, match=r"layer 0 \(Linear\(2, 3\)\): parameter 'W' "
                                                 r"must have dtype float64, got float32"):
        model.params["0.W"] = np.ones((2, 3), np.float32)
    with pytest.raises(KeyError, match=r"no parameter '1.W'.*\['0.W', '0.b'\]"):
        model.params["1.W"] = np.ones((2, 3))
    net = scratch.Net(2, 3, rng=0)
    net.params["l2.W"] = np.ones((3, 1))
    np.testing.assert_array_equal(net.V, np.ones((3, 1)))
    with pytest.raises(scratch.ShapeError, match=r"'W' must have shape \(3, 1\)"):
        net.params["l2.W"] = np.ones((1, 3))


def test_non_finite_output_from_a_nan_weight_names_the_weight_not_an_overflow():
    layer = scratch.Linear(2, 3, rng=0)
    layer.W[0, 1] = np.nan
    with pytest.raises(scratch.NonFiniteError, match=r"Linear\(2, 3\): parameter 'W' \(so the "
                                                     r"output is not finite\).*\(0, 1\)"):
        layer.forward(np.ones((1, 2)))
    # a genuine overflow of finite values is still called one
    finite = scratch.Linear(2, 3, rng=0)
    finite.W = np.ones((2, 3))
    with pytest.raises(scratch.NonFiniteError, match=r"output \(overflow"):
        finite.forward(np.full((1, 2), 1e308))  # 1e308 + 1e308 > 1.8e308

"""Hostile inputs to the checkers: refused with an error naming the argument, or judged right.

Refused (the caller's mistake, never blamed on the layer): empty batches, 0-d
and zero-size arrays, non-float dtypes, NaN/inf, np.matrix, masked arrays,
integer or mixed-dtype parameters, a finite-difference step that is not > 0.
Accepted and judged exactly as their contiguous copy (no warning): negative
strides, read-only arrays, non-contiguous and Fortran-ordered views.

Every test runs with warnings as errors, so a torch "non-writable" UserWarning
or a leaked RuntimeWarning fails it.
"""

import warnings

import numpy as np
import pytest
import torch

import scratch
from compare import check_layer, check_model, check_pair, gradcheck
from compare.inputs import validate_input

pytestmark = pytest.mark.filterwarnings("error")


class LectureLinear:
    """A student's lecture-style layer: ``W`` and ``W_grad`` attributes, ``y = x @ W``."""

    def __init__(self, W):
        self.W = W
        self.W_grad = np.zeros_like(W)

    def forward(self, x):
        self.x = x
        return x @ self.W

    def backward(self, grad_out):
        self.W_grad = self.x.T @ grad_out
        return grad_out @ self.W.T


class SignFlippedLinear(LectureLinear):
    """The planted bug: dW has the wrong sign."""

    def backward(self, grad_out):
        grad_in = super().backward(grad_out)
        self.W_grad = -self.W_grad
        return grad_in


def matmul(x, W):
    return x @ W


def legacy(make):
    """Build an np.matrix without its PendingDeprecationWarning failing the test early."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return make()


W0 = np.random.default_rng(1).normal(size=(2, 3))
X0 = np.random.default_rng(2).normal(size=(4, 2))


# -- refused, naming the argument ---------------------------------------------------------

BAD_X = [
    ("list", lambda: [[1.0, 2.0]], scratch.DTypeError, r"check_layer: x must be a numpy array"),
    ("int", lambda: np.ones((2, 2), int), scratch.DTypeError, r"x must be float32 or.*int64"),
    ("bool", lambda: np.ones((2, 2), bool), scratch.DTypeError, r"x must be .*got bool"),
    ("object", lambda: np.ones((2, 2), object), scratch.DTypeError, r"x .*got object"),
    ("float16", lambda: np.ones((2, 2), np.float16), scratch.DTypeError, "float16"),
    ("complex", lambda: np.ones((2, 2), complex), scratch.DTypeError, "complex128"),
    ("0-d", lambda: np.array(1.0), scratch.ShapeError, r"x must have a batch axis.*0-d"),
    ("empty batch", lambda: np.zeros((0, 2)), scratch.EmptyBatchError, r"x .*empty.*\(0, 2\)"),
    ("zero features", lambda: np.zeros((3, 0)), scratch.EmptyBatchError,
     r"x has an axis of length 0 \(shape \(3, 0\)\)"),
    ("nan", lambda: np.array([[1.0, np.nan]]), scratch.NonFiniteError, r"x .*\(0, 1\)"),
    ("inf", lambda: np.array([[-np.inf, 1.0]]), scratch.NonFiniteError, r"x .*\(0, 0\)"),
    ("matrix", lambda: legacy(lambda: np.matrix(X0)), scratch.DTypeError,
     r"x must be a plain numpy array.*np\.matrix"),
    ("masked", lambda: np.ma.masked_array(X0, mask=X0 > 1), scratch.DTypeError,
     r"x must be a plain numpy array.*masked"),
]


@pytest.mark.parametrize("make, exc, match", [case[1:] for case in BAD_X],
                         ids=[case[0] for case in BAD_X])
def test_validate_input_refuses_with_the_argument_named(make, exc, match):
    with pytest.raises(exc, match=match):
        validate_input(make(), "check_layer")


@pytest.mark.parametrize("make, exc, match", [case[1:] for case in BAD_X],
                         ids=[case[0] for case in BAD_X])
def test_check_layer_refuses_bad_x_before_running_the_layer(make, exc, match):
    layer = SignFlippedLinear(W0.copy())
    with pytest.raises(exc, match=match):
        check_layer(layer, matmul, make())
    assert not hasattr(layer, "x")  # refused before the layer ran: nothing blamed on it


def test_empty_batch_no_longer_passes_a_wrong_layer():
    # The layer is wrong: on any real batch check_layer says so ...
    assert not check_layer(SignFlippedLinear(W0.copy()), matmul, X0).ok
    # ... while an empty batch compares nothing; it used to report OK.
    with pytest.raises(scratch.EmptyBatchError, match=r"check_layer: x is an empty batch"):
        check_layer(SignFlippedLinear(W0.copy()), matmul, np.zeros((0, 2)))


@pytest.mark.parametrize("make", [lambda: legacy(lambda: np.matrix(X0)),
                                  lambda: np.ma.masked_array(X0, mask=X0 > 1)],
                         ids=["matrix", "masked"])
def test_matrix_and_masked_x_are_refused_not_blamed_on_correct_layers(make):
    model = scratch.Sequential(scratch.Linear(2, 3, rng=0), scratch.Tanh())
    for run in (lambda x: check_model(model, x), lambda x: gradcheck(model, x),
                lambda x: check_layer(LectureLinear(W0.copy()), matmul, x)):
        with pytest.raises(TypeError, match=r"x must be a plain numpy array"):
            run(make())


def test_check_model_refuses_0d_and_zero_size_x():
    with pytest.raises(scratch.ShapeError, match="check_model: x must have a batch axis"):
        check_model(scratch.Sigmoid(), np.array(0.5))
    with pytest.raises(scratch.EmptyBatchError, match=r"check_model: x has an axis of length 0"):
        check_model(scratch.Sigmoid(), np.zeros((2, 0)))


# -- parameters -----------------------------------------------------------------------------

@pytest.mark.parametrize("tolerances", [{}, dict(rtol=1e-5, atol=1e-8, grad_rtol=1e-5,
                                                 grad_atol=1e-8)],
                         ids=["defaults", "rtol-atol-given"])
def test_integer_parameters_are_named_with_the_expected_dtype(tolerances):
    layer = LectureLinear(np.array([[1, 2, 3], [4, 5, 6]]))
    with pytest.raises(scratch.DTypeError,
                       match=r"check_layer\(LectureLinear.*\): parameter 'W' has dtype int64, "
                             r"expected float64"):
        check_layer(layer, matmul, X0, **tolerances)


def test_float32_parameter_in_a_float64_check_is_refused():
    with pytest.raises(scratch.DTypeError, match=r"parameter 'W' has dtype float32, expected "
                                                 r"float64"):
        check_layer(LectureLinear(W0.astype(np.float32)), matmul, X0)


def test_nan_parameter_is_refused_naming_it():
    W = W0.copy()
    W[1, 2] = np.nan
    with pytest.raises(scratch.NonFiniteError, match=r"parameter 'W' holds 1 non-finite.*\(1, 2\)"):
        check_layer(LectureLinear(W), matmul, X0)


# -- legitimate layouts: the same verdict as on a contiguous copy, and no warning ------------

def variants(x):
    """Views of ``x``'s values (or of its rows reversed) that torch.from_numpy cannot take."""
    read_only = x.copy()
    read_only.setflags(write=False)
    wide = np.zeros((x.shape[0], 2 * x.shape[1]))
    wide[:, ::2] = x
    return {"negative-stride": x[::-1], "read-only": read_only,
            "non-contiguous": wide[:, ::2], "fortran": np.asfortranarray(x),
            "both-axes-reversed": x[::-1, ::-1]}


@pytest.mark.parametrize("name", sorted(variants(X0)))
def test_check_layer_judges_strided_and_read_only_x_correctly(name):
    x = variants(X0)[name]
    report = check_layer(LectureLinear(W0.copy()), matmul, x)
    assert report.ok, report
    # torch's numbers, computed here on a plain contiguous copy
    x_t = torch.tensor(np.ascontiguousarray(x), requires_grad=True)
    W_t = torch.tensor(W0, requires_grad=True)
    out_t = x_t @ W_t
    np.testing.assert_array_equal(report.entry("output").diff.expected, out_t.detach().numpy())
    # ... and a wrong layer is still caught on the same array
    assert not check_layer(SignFlippedLinear(W0.copy()), matmul, x).ok


@pytest.mark.parametrize("name", sorted(variants(X0)))
def test_check_model_judges_strided_and_read_only_x_correctly(name):
    x = variants(X0)[name]
    model = scratch.Sequential(scratch.Linear(2, 3, rng=0), scratch.Tanh())
    report = check_model(model, x)
    assert report.ok, report
    twin = torch.nn.Sequential(torch.nn.Linear(2, 3).double(), torch.nn.Tanh())
    with torch.no_grad():
        twin[0].weight.copy_(torch.tensor(model[0].W.T))
        twin[0].bias.copy_(torch.tensor(model[0].b))
    expected = twin(torch.tensor(np.ascontiguousarray(x))).detach().numpy()
    np.testing.assert_allclose(model.forward(x), expected, rtol=1e-12, atol=1e-15)

    class DoubledGrad(scratch.Tanh):  # the planted bug: dL/dx twice too large
        def _backward(self, grad_out):
            return 2 * super()._backward(grad_out)

    broken = scratch.Sequential(scratch.Linear(2, 3, rng=0), DoubledGrad())
    assert not check_model(broken, x).ok


@pytest.mark.parametrize("name", sorted(variants(X0)))
def test_gradcheck_runs_on_any_layout_and_never_writes_the_callers_x(name):
    x = variants(X0)[name]
    before = x.copy()
    layer = scratch.Linear(2, 3, rng=0)
    G = np.random.default_rng(3).normal(size=(4, 3))
    report = gradcheck(layer, x, upstream=G)
    assert report.ok, report
    np.testing.assert_array_equal(x, before)
    # L = sum(G * (x W + b)), so dL/dx = G W^T and dL/dW = x^T G: arithmetic, not the code
    # under test. Both the finite differences and backprop must give them.
    dx, dW = report.entry("dL/dinput").diff, report.entry("dL/dW").diff
    for got in (dx.expected, dx.actual):
        np.testing.assert_allclose(got, G @ layer.W.T, rtol=1e-7, atol=1e-9)
    for got in (dW.expected, dW.actual):
        np.testing.assert_allclose(got, np.ascontiguousarray(x).T @ G, rtol=1e-7, atol=1e-9)


# -- gradcheck's step -----------------------------------------------------------------------

@pytest.mark.parametrize("eps, exc, match", [
    (0, scratch.ArgumentError, r"gradcheck: eps must be finite and > 0, got 0.0"),
    (0.0, scratch.ArgumentError, "> 0"),
    (-1e-6, scratch.ArgumentError, r"got -1e-06"),
    (float("nan"), scratch.ArgumentError, "got nan"),
    (float("inf"), scratch.ArgumentError, "got inf"),
    ("1e-6", scratch.ArgumentTypeError, r"eps must be a real number, got '1e-6'"),
    (True, scratch.ArgumentTypeError, "eps must be a real number, got True"),
    (1e-30, scratch.ArgumentError, r"eps=1e-30 is too small to change"),
])
def test_gradcheck_eps_must_be_a_positive_finite_step(eps, exc, match):
    with pytest.raises(exc, match=match):
        gradcheck(scratch.Linear(2, 3, rng=0), X0, eps=eps)


def test_gradcheck_eps_errors_are_also_value_and_type_errors():
    with pytest.raises(ValueError):
        gradcheck(scratch.Linear(2, 3, rng=0), X0, eps=0)
    with pytest.raises(TypeError):
        gradcheck(scratch.Linear(2, 3, rng=0), X0, eps="small")


# -- upstream and targets ------------------------------------------------------------------

G0 = np.random.default_rng(4).normal(size=(4, 3))


def tanh_model(backward_bug=False):
    class DoubledTanh(scratch.Tanh):  # the planted bug: dL/dx twice too large
        def _backward(self, grad_out):
            return 2 * super()._backward(grad_out)

    return scratch.Sequential(scratch.Linear(2, 3, rng=0),
                              DoubledTanh() if backward_bug else scratch.Tanh())


@pytest.mark.parametrize("make, exc, match", [
    (lambda: np.where(G0 > 1, np.nan, G0), scratch.NonFiniteError,
     r"upstream: the given array holds \d+ non-finite"),
    (lambda: np.zeros((4, 3)), scratch.ArgumentError, r"upstream: .* all zeros"),
    (lambda: legacy(lambda: np.matrix(G0)), scratch.DTypeError,
     r"upstream: the given array must be a plain numpy array.*np\.matrix"),
], ids=["nan", "zeros", "matrix"])
def test_upstream_that_cannot_judge_is_refused(make, exc, match):
    # the wrong layers are caught with a usable upstream ...
    assert not check_layer(SignFlippedLinear(W0.copy()), matmul, X0, upstream=G0).ok
    assert not check_model(tanh_model(backward_bug=True), X0, upstream=G0).ok
    # ... and with this one, correct or wrong, the caller hears about the upstream
    for layer in (LectureLinear(W0.copy()), SignFlippedLinear(W0.copy())):
        with pytest.raises(exc, match=match):
            check_layer(layer, matmul, X0, upstream=make())
    for model in (tanh_model(), tanh_model(backward_bug=True)):
        with pytest.raises(exc, match=match):
            check_model(model, X0, upstream=make())


def test_upstream_with_negative_strides_or_read_only_is_used_as_given():
    frozen = G0.copy()
    frozen.setflags(write=False)
    for upstream in (G0[::-1], frozen):
        report = check_layer(LectureLinear(W0.copy()), matmul, X0, upstream=upstream)
        assert report.ok, report
        # dL/dW = x^T g: arithmetic on the upstream actually given
        np.testing.assert_allclose(report.entry("dL/dW").diff.expected, X0.T @ upstream,
                                   rtol=1e-12)
        assert not check_layer(SignFlippedLinear(W0.copy()), matmul, X0, upstream=upstream).ok


Y0 = np.random.default_rng(5).uniform(size=(4, 3))
LABELS = np.array([0, 2, 1, 2])


@pytest.mark.parametrize("loss, make_y, exc, match", [
    ("mse", lambda: np.where(Y0 > 0.5, np.nan, Y0), scratch.NonFiniteError, "check_model: y holds"),
    ("mse", lambda: Y0.astype(np.float32), scratch.DTypeError, "y must have dtype float64, got "
                                                               "float32"),
    ("mse", lambda: np.ma.masked_array(Y0), scratch.DTypeError, "y must be a plain numpy array"),
    ("bce", lambda: Y0 * 2, scratch.LabelError, r"y must lie in \[0, 1\]"),
    ("cross_entropy", lambda: LABELS.astype(float), scratch.DTypeError,
     "y must hold integer class labels.*got dtype float64"),
    ("cross_entropy", lambda: LABELS.astype(bool), scratch.DTypeError, "got dtype bool"),
    ("cross_entropy", lambda: LABELS - 1, scratch.LabelError, r"labels in y must be >= 0, got "
                                                              r"\[-1\]"),
    ("cross_entropy", lambda: LABELS[:, None], scratch.ShapeError,
     r"y must have shape \(batch,\) for CrossEntropyLoss.*got \(4, 1\)"),
    ("cross_entropy", lambda: LABELS[:0], scratch.EmptyBatchError, r"y is an empty batch"),
])
def test_bad_targets_are_refused_not_blamed_on_the_loss(loss, make_y, exc, match):
    model = scratch.Sequential(scratch.Linear(2, 3, rng=0), scratch.Sigmoid())
    with pytest.raises(exc, match=match):
        check_model(model, X0, make_y(), loss)


@pytest.mark.parametrize("labels", [np.array([0, 1, 2, 1]), np.array([0.0, 1.0, np.nan, 1.0])],
                         ids=["two", "nan"])
def test_net_labels_other_than_0_and_1_are_refused(labels):
    with pytest.raises(scratch.LabelError, match=r"y must be the 0/1 label\(s\) of Net.backward"):
        check_model(scratch.Net(2, 3, rng=0), X0, labels)


def test_targets_with_negative_strides_or_read_only_reach_torch():
    frozen = Y0.copy()
    frozen.setflags(write=False)
    net_labels = np.array([1.0, 0.0, 0.0, 0.0])
    cases = [(tanh_model, Y0[::-1], "mse"), (tanh_model, frozen, "mse"),
             (lambda: scratch.Sequential(scratch.Linear(2, 3, rng=0)), LABELS[::-1],
              "cross_entropy"),
             (lambda: scratch.Net(2, 3, rng=0), net_labels[::-1], None)]
    for make, y, loss in cases:
        report = check_model(make(), X0, y, loss)
        assert report.ok, report
        # the loss torch computed is the one on a contiguous copy of the same targets
        again = check_model(make(), X0, np.ascontiguousarray(y), loss)
        np.testing.assert_array_equal(report.entry("loss", kind="loss").diff.expected,
                                      again.entry("loss", kind="loss").diff.expected)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_model_with_non_finite_weights_is_refused_naming_the_parameter(bad):
    # a diverged model used to FAIL as "forward raised ... overflow" in a correct layer
    model = tanh_model()
    model[0].W[1, 2] = bad
    for run in (lambda: check_model(model, X0), lambda: check_layer(model[0], None, X0)):
        with pytest.raises(scratch.NonFiniteError, match=r"check_model: layer 0 \(Linear\(2, 3\)\):"
                                                         r" parameter 'W' holds 1 non-finite.*"
                                                         r"\(1, 2\)"):
            run()


def test_gradcheck_on_an_empty_sequential_says_there_is_nothing_to_check():
    with pytest.raises(scratch.ArgumentError, match=r"Sequential\(\) has no layers"):
        gradcheck(scratch.Sequential(), X0)
    assert not check_model(scratch.Sequential(), X0).ok  # "nothing was compared" is no pass


def test_integer_x_is_refused_even_with_the_tolerances_the_old_message_asked_for():
    # "no default tolerance for dtype int64; pass rtol= and atol=" led to a raw torch error
    with pytest.raises(scratch.DTypeError, match="check_layer: x must be float32 or float64, "
                                                 "got int64"):
        check_layer(LectureLinear(W0.copy()), matmul, np.ones((4, 2), dtype=np.int64),
                    rtol=1e-5, atol=1e-8, grad_rtol=1e-5, grad_atol=1e-8)


# -- check_pair (CS231n style) ------------------------------------------------------------

def affine_forward(x, w, b):
    return x @ w + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def affine_backward_dw_sign(dout, cache):  # the planted bug
    dx, dw, db = affine_backward(dout, cache)
    return dx, -dw, db


def affine_torch(x, w, b):
    return x @ w + b


B0 = np.random.default_rng(6).normal(size=3)


@pytest.mark.parametrize("make, exc, match", [
    (lambda: X0[:0], scratch.EmptyBatchError, r"check_pair: x is an empty batch"),
    (lambda: np.where(X0 > 1, np.nan, X0), scratch.NonFiniteError, r"check_pair: x holds"),
    (lambda: X0.astype(np.float16), scratch.DTypeError, "check_pair: x must be float32"),
    (lambda: np.ma.masked_array(X0), scratch.DTypeError, "check_pair: x must be a plain"),
], ids=["empty", "nan", "float16", "masked"])
def test_check_pair_refuses_bad_arrays_naming_the_argument(make, exc, match):
    with pytest.raises(exc, match=match):
        check_pair(affine_forward, affine_backward_dw_sign, make(), W0, B0, reference=affine_torch)


@pytest.mark.parametrize("name", sorted(variants(X0)))
def test_check_pair_judges_strided_and_read_only_arrays(name):
    x = variants(X0)[name]
    assert check_pair(affine_forward, affine_backward, x, W0, B0, reference=affine_torch).ok
    assert not check_pair(affine_forward, affine_backward_dw_sign, x, W0, B0,
                          reference=affine_torch).ok

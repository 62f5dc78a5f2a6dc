"""The own-forward oracle: torch autograd of the user's NumPy forward, run unchanged.

Expected values come from torch autograd of references written here
independently in torch (never from the oracle's own code), compared to
float64 rounding. The user code lives in small modules of
``tests/compare/own_forward_layers`` written in other people's styles, so the
module-global swap of NumPy is exercised as it would be on a student's
``layers.py``.
"""

from __future__ import annotations

import re
import sys
import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from compare.own_forward import (
    OwnForwardUnavailable,
    load_torch_numpy,
    own_forward_gradients,
    own_forward_layer_gradients,
)
from compare.own_forward_swap import is_user_file
from tests.compare.own_forward_layers import (
    aliases,
    beyond_the_api,
    book_dense,
    cs231n_layer_utils,
    cs231n_layers,
    dict_dense,
    lecture_dense,
    numpyml_activations,
    numpyml_style,
)

USER_MODULES = (aliases, beyond_the_api, book_dense, cs231n_layer_utils, cs231n_layers, dict_dense,
                lecture_dense, numpyml_activations, numpyml_style)
ROUNDING = {"rtol": 1e-12, "atol": 1e-12}


def _globals_snapshot():
    return {m.__name__: dict(vars(m)) for m in USER_MODULES}


@pytest.fixture(autouse=True)
def numpy_is_restored():
    """Every test: each user module's globals hold exactly the same objects afterwards."""
    before = _globals_snapshot()
    yield
    after = _globals_snapshot()
    for name, names in before.items():
        assert after[name].keys() == names.keys(), name
        changed = [k for k, v in names.items() if after[name][k] is not v]
        assert not changed, f"{name}: {changed} not restored"
    assert cs231n_layers.np is np and book_dense.numpy is np and aliases.la is np.linalg
    assert dict_dense.dot is np.dot and dict_dense.default_rng is np.random.default_rng


def _torch_grads(reference, arrays, upstream):
    """torch autograd of ``reference(*tensors)`` contracted with ``upstream``."""
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = reference(*tensors)
    out.backward(torch.as_tensor(upstream, dtype=out.dtype))
    return out.detach().numpy(), [t.grad.numpy() for t in tensors]


def _rng():
    return np.random.default_rng(1234)


# ---- CS231n-style function pairs -------------------------------------------------------

def _conv_reference(x, w, b):
    return F.conv2d(x, w, b, stride=1, padding=1)


def _batchnorm_reference(x, gamma, beta):
    mean = x.mean(dim=0)
    var = ((x - mean) ** 2).mean(dim=0)
    return gamma * (x - mean) / torch.sqrt(var + 1e-5) + beta


PAIR_CASES = {
    "affine_forward": (cs231n_layers.affine_forward,
                       lambda r: (r.normal(size=(4, 2, 3)), r.normal(size=(6, 5)),
                                  r.normal(size=5)),
                       (), lambda x, w, b: x.reshape(4, -1) @ w + b),
    "relu_forward": (cs231n_layers.relu_forward, lambda r: (r.normal(size=(5, 7)),), (),
                     torch.relu),
    "affine_relu_forward (layer_utils, star import)": (
        cs231n_layer_utils.affine_relu_forward,
        lambda r: (r.normal(size=(4, 6)), r.normal(size=(6, 3)), r.normal(size=3)), (),
        lambda x, w, b: torch.relu(x @ w + b)),
    "conv_forward_naive": (cs231n_layers.conv_forward_naive,
                           lambda r: (r.normal(size=(2, 3, 5, 5)), r.normal(size=(4, 3, 3, 3)),
                                      r.normal(size=4)),
                           ({"stride": 1, "pad": 1},), _conv_reference),
    "max_pool_forward_naive": (cs231n_layers.max_pool_forward_naive,
                               lambda r: (r.normal(size=(2, 3, 6, 6)),),
                               ({"pool_height": 2, "pool_width": 2, "stride": 2},),
                               lambda x: F.max_pool2d(x, 2, 2)),
    "numpy as N, numpy.linalg as la": (aliases.unit_rows_forward,
                                       lambda r: (r.normal(size=(4, 3)),), (),
                                       lambda x: torch.tanh(x / x.norm(dim=1, keepdim=True))),
    "a layers module used as a module": (
        aliases.two_layer_forward,
        lambda r: (r.normal(size=(4, 3)), r.normal(size=(3, 5)), r.normal(size=5),
                   r.normal(size=(5, 2)), r.normal(size=2)), (),
        lambda x, w1, b1, w2, b2: torch.relu(x @ w1 + b1) @ w2 + b2),
    "a factory's forward, NumPy via its closure": (
        aliases.make_forward(aliases.softsign),
        lambda r: (r.normal(size=(4, 3)), r.normal(size=(3, 2))), (),
        lambda x, w: F.softsign(x @ w)),
    "batchnorm_forward (train)": (cs231n_layers.batchnorm_forward,
                                  lambda r: (r.normal(size=(8, 5)) * 3 + 1,
                                             r.normal(size=5), r.normal(size=5)),
                                  ({"mode": "train", "momentum": 0.9},), _batchnorm_reference),
}


@pytest.mark.parametrize("case", PAIR_CASES)
def test_pair_gradients_equal_an_independent_torch_reference(case):
    forward, make, constants, reference = PAIR_CASES[case]
    rng = _rng()
    arrays = make(rng)
    with torch.no_grad():
        out_shape = reference(*map(torch.tensor, arrays)).shape
    upstream = rng.normal(size=tuple(out_shape))
    expected_out, expected = _torch_grads(reference, arrays, upstream)
    positions = range(len(arrays))

    result = own_forward_gradients(forward, arrays + constants, positions, upstream)

    np.testing.assert_allclose(result.out, expected_out, **ROUNDING)
    for i in positions:
        assert result.grads[i].shape == arrays[i].shape
        np.testing.assert_allclose(result.grads[i], expected[i], **ROUNDING, err_msg=f"arg {i}")
    assert result.name == f"autograd of {forward.__qualname__}'s own forward"
    assert cs231n_layers.np is np and aliases.N is np  # restored (the fixture checks all)
    assert result.dtype == np.float64


def test_the_oracle_sees_a_backward_bug_that_matches_in_shape():
    """The oracle's dw differs from a backward that forgets a transpose (square w)."""
    rng = _rng()
    x, w, b = rng.normal(size=(4, 4)), rng.normal(size=(4, 4)), rng.normal(size=4)
    dout = rng.normal(size=(4, 4))
    result = own_forward_gradients(cs231n_layers.affine_forward, (x, w, b), (0, 1, 2), dout)
    _, right_dw, _ = cs231n_layers.affine_backward(dout, (x, w, b))
    np.testing.assert_allclose(result.grads[1], right_dw, **ROUNDING)
    assert not np.allclose(result.grads[1], dout.T @ x)  # the transposed bug


def test_softmax_loss_differentiates_the_loss_not_dx():
    rng = _rng()
    x, y = rng.normal(size=(6, 4)), rng.integers(0, 4, size=6)
    result = own_forward_gradients(cs231n_layers.softmax_loss, (x, y), (0,))
    tx = torch.tensor(x, requires_grad=True)
    loss = F.cross_entropy(tx, torch.tensor(y))
    loss.backward()
    assert result.out.shape == ()
    np.testing.assert_allclose(result.out, loss.item(), **ROUNDING)
    np.testing.assert_allclose(result.grads[0], tx.grad.numpy(), **ROUNDING)


def test_the_callers_arguments_are_not_changed():
    """bn_param is updated by the forward: the oracle works on a copy."""
    rng = _rng()
    x, gamma, beta = rng.normal(size=(8, 5)), rng.normal(size=5), rng.normal(size=5)
    bn_param = {"mode": "train", "running_mean": np.zeros(5), "running_var": np.ones(5)}
    mean, var, x_before = bn_param["running_mean"], bn_param["running_var"], x.copy()
    own_forward_gradients(cs231n_layers.batchnorm_forward, (x, gamma, beta, bn_param), (0, 1, 2))
    assert bn_param["running_mean"] is mean and bn_param["running_var"] is var
    assert not mean.any() and (var == 1).all()
    np.testing.assert_array_equal(x, x_before)


# ---- class layers ------------------------------------------------------------------------

def _lecture_sigmoid(rng):
    layer = lecture_dense.LinearSigmoidLayer(3, 4)
    layer.W = rng.normal(size=(3, 4))
    return layer, {"W": layer.W}, lambda x, W: torch.sigmoid(x @ W)


def _lecture_tanh(rng):
    layer = lecture_dense.LinearTanhLayer(3, 4)
    layer.b = rng.normal(size=4)
    return layer, {"W": layer.W, "b": layer.b}, lambda x, W, b: torch.tanh(x @ W + b)


def _book_dense(rng):
    layer = book_dense.Dense(3, 4)
    layer.b = rng.normal(size=(1, 4))
    return layer, {"W": layer.W, "b": layer.b}, lambda x, W, b: torch.relu(x @ W + b)


def _dict_dense(rng):
    layer = dict_dense.SoftplusDense(3, 4)
    return layer, dict(layer.params), lambda x, W, b: F.softplus(x @ W + b)


def _numpyml(rng):
    layer = numpyml_style.FullyConnected(3, 4)
    return layer, dict(layer.parameters), lambda x, W, b: torch.sigmoid(x @ W + b)


LAYER_CASES = {"lecture sigmoid (W/W_grad, lambda attribute)": _lecture_sigmoid,
               "lecture tanh with bias": _lecture_tanh, "book dW/db (import numpy)": _book_dense,
               "params/grads dicts (from numpy import ...)": _dict_dense,
               "numpy-ml parameters dict, activation object": _numpyml}


@pytest.mark.parametrize("case", LAYER_CASES)
def test_layer_gradients_equal_an_independent_torch_reference(case):
    rng = _rng()
    layer, params, reference = LAYER_CASES[case](rng)
    x = rng.normal(size=(5, 3))
    upstream = rng.normal(size=(5, 4))
    expected_out, expected = _torch_grads(reference, [x, *params.values()], upstream)
    state_before = dict(vars(layer))

    result = own_forward_layer_gradients(layer, x, params, upstream)

    np.testing.assert_allclose(result.out, expected_out, **ROUNDING)
    np.testing.assert_allclose(result.input_grad, expected[0], **ROUNDING)
    for name, grad in zip(params, expected[1:], strict=True):
        np.testing.assert_allclose(result.grads[name], grad, **ROUNDING, err_msg=name)
    assert vars(layer).keys() == state_before.keys()
    assert all(vars(layer)[k] is v for k, v in state_before.items())


def test_layer_containers_are_restored_in_place():
    """numpy-ml's forward appends to lists inside the layer; the oracle's run leaves none."""
    layer = numpyml_style.FullyConnected(3, 4)
    inputs, zs, params = layer.X, layer.derived_variables["Z"], layer.parameters
    W = params["W"]
    own_forward_layer_gradients(layer, _rng().normal(size=(2, 3)), dict(params))
    assert layer.X is inputs and inputs == []
    assert layer.derived_variables["Z"] is zs and zs == []
    assert layer.parameters is params and params["W"] is W


def test_float32_layer_runs_in_float32_or_in_float64_on_request():
    rng = _rng()
    layer = lecture_dense.LinearTanhLayer(3, 4)
    layer.W, layer.b = rng.normal(size=(3, 4)).astype(np.float32), np.zeros(4, np.float32)
    x = rng.normal(size=(5, 3)).astype(np.float32)
    params = {"W": layer.W, "b": layer.b}
    ref = lambda x, W, b: torch.tanh(x @ W + b)  # noqa: E731
    exact_out, exact = _torch_grads(ref, [a.astype(np.float64) for a in (x, layer.W, layer.b)],
                                    np.ones((5, 4)))

    single = own_forward_layer_gradients(layer, x, params)
    double = own_forward_layer_gradients(layer, x, params, dtype=np.float64)

    assert single.dtype == np.float32 and single.grads["W"].dtype == np.float32
    assert double.dtype == np.float64 and double.grads["W"].dtype == np.float64
    np.testing.assert_allclose(double.grads["W"], exact[1], **ROUNDING)
    np.testing.assert_allclose(double.input_grad, exact[0], **ROUNDING)
    np.testing.assert_allclose(single.grads["W"], exact[1], rtol=1e-5, atol=1e-5)
    assert layer.W.dtype == np.float32


# ---- where it cannot run: a clear reason naming the call ---------------------------------

UNAVAILABLE = {
    "np.vectorize": (beyond_the_api.vectorized_step_forward, 1, "numpy.vectorize"),
    "scipy.special.expit": (beyond_the_api.scipy_sigmoid_forward, 2,
                            "in scipy_sigmoid_forward: out = expit(x @ w)"),
    "np.asarray of x.tolist() rows": (beyond_the_api.rows_forward, 2, ".tolist() at"),
    "np.random dropout mask": (beyond_the_api.dropout_forward, 1, "numpy.random"),
    "import numpy inside the forward": (beyond_the_api.local_import_forward, 1,
                                        "`import numpy` inside local_import_forward"),
    "an in-place update autograd refuses": (beyond_the_api.scaled_tanh_forward, 2,
                                            "torch autograd failed: one of the variables "
                                            "needed for gradient computation has been "
                                            "modified by an inplace operation"),
}


@pytest.mark.parametrize("case", UNAVAILABLE)
def test_a_forward_beyond_the_array_api_is_unavailable_with_the_call_named(case):
    forward, n_arrays, named = UNAVAILABLE[case]
    rng = _rng()
    arrays = (rng.normal(size=(3, 4)), rng.normal(size=(4, 2)))[:n_arrays]
    with pytest.raises(OwnForwardUnavailable) as info:
        own_forward_gradients(forward, arrays, range(n_arrays))
    assert named in info.value.reason
    assert info.value.reason == str(info.value)


def test_a_float_loss_is_unavailable_naming_the_float_call():
    rng = _rng()
    x, y = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    with pytest.raises(OwnForwardUnavailable, match=r"float\(\) at beyond_the_api.py:\d+ in"):
        own_forward_gradients(beyond_the_api.float_loss, (x, y), (0,))


def test_a_forward_that_raises_leaves_numpy_and_the_layer_as_they_were():
    W = _rng().normal(size=(3, 2))
    layer = beyond_the_api.ExplodingDense(W)
    before = dict(vars(layer))
    with pytest.raises(OwnForwardUnavailable, match="forward exploded on purpose"):
        own_forward_layer_gradients(layer, np.ones((4, 3)), {"W": W})
    assert vars(layer) == before and layer.W is W and layer.params["W"] is W
    assert beyond_the_api.np is np  # the autouse fixture checks every module's globals too


def test_a_parameter_the_layer_does_not_hold_is_named():
    layer = lecture_dense.LinearSigmoidLayer(3, 4)
    with pytest.raises(OwnForwardUnavailable, match="parameter 'W' is not held by Linear"):
        own_forward_layer_gradients(layer, np.ones((2, 3)), {"W": layer.W.copy()})


def test_an_unused_argument_is_unavailable_not_zero():
    """Grad None means no path through the array API: the caller must fall back."""
    def ignores_b(x, w, b):
        return x @ w, None
    args = (np.ones((2, 3)), np.ones((3, 2)), np.ones(2))
    with pytest.raises(OwnForwardUnavailable, match="output does not depend on b"):
        own_forward_gradients(ignores_b, args, (0, 1, 2))


def test_without_torch_numpy_the_reason_names_the_torch_version(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch._numpy", None)
    named = re.escape(f"torch {torch.__version__} has no usable torch._numpy")
    with pytest.raises(OwnForwardUnavailable, match=named):
        load_torch_numpy()
    with pytest.raises(OwnForwardUnavailable):
        own_forward_gradients(cs231n_layers.relu_forward, (np.ones((2, 2)),), (0,))


# ---- bad input ---------------------------------------------------------------------------

def test_bad_input_names_the_argument():
    x, w, b = np.ones((2, 3)), np.ones((3, 2)), np.ones(2)
    with pytest.raises(ValueError, match="positions: 3 is out of range for 3 arguments"):
        own_forward_gradients(cs231n_layers.affine_forward, (x, w, b), (3,))
    with pytest.raises(ValueError, match="w: expected a floating-point np.ndarray.*int64"):
        own_forward_gradients(cs231n_layers.affine_forward, (x, w.astype(np.int64), b), (1,))
    with pytest.raises(ValueError, match=r"upstream: expected shape \(2, 2\).*got \(2, 3\)"):
        own_forward_gradients(cs231n_layers.affine_forward, (x, w, b), (0,), np.ones((2, 3)))


# ---- threads -----------------------------------------------------------------------------

def test_concurrent_calls_are_serialised_and_both_right():
    rng = _rng()
    x, w, b = rng.normal(size=(4, 6)), rng.normal(size=(6, 3)), rng.normal(size=3)
    _, expected = _torch_grads(lambda x, w, b: torch.relu(x @ w + b), [x, w, b], np.ones((4, 3)))
    results, errors = [], []

    def run():
        try:
            for _ in range(5):
                results.append(own_forward_gradients(
                    cs231n_layer_utils.affine_relu_forward, (x, w, b), (0, 1, 2)))
        except Exception as exc:  # surfaced below; a thread's exception would be lost
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 10
    for result in results:
        np.testing.assert_allclose(result.grads[1], expected[1], **ROUNDING)


def test_a_callable_upstream_is_drawn_for_the_outputs_shape_and_dtype():
    rng = _rng()
    x, w, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 2)), rng.normal(size=2)
    seen = []
    g = rng.normal(size=(3, 2))

    def draw(shape, dtype):
        seen.append((shape, dtype))
        return g

    result = own_forward_gradients(cs231n_layers.affine_forward, (x, w, b), (1,), draw)
    assert seen == [((3, 2), np.float64)]
    np.testing.assert_allclose(result.grads[1], x.T @ g, **ROUNDING)


def test_only_user_code_is_patchable():
    assert is_user_file(cs231n_layers.__file__) and is_user_file(__file__)
    assert is_user_file("<string>") and not is_user_file("<frozen importlib._bootstrap>")
    assert not is_user_file(np.__file__) and not is_user_file(torch.__file__)
    assert not is_user_file(sys.modules["compare.own_forward"].__file__)
    import scipy.special
    assert not is_user_file(scipy.special.__file__)


def test_an_installed_librarys_forward_is_never_patched():
    import sklearn.neural_network._base as installed  # a NumPy forward in site-packages
    with pytest.raises(OwnForwardUnavailable, match="installed library code .*site-packages"):
        own_forward_gradients(installed.inplace_tanh, (np.ones((2, 2)),), (0,))
    assert installed.np is np

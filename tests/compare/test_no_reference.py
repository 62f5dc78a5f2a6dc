"""check_layer, check_pair, check_loss_fn with no reference: the own forward is the oracle.

Right layers in other people's styles pass judged by autograd of their own
forward; planted backward bugs fail at the parameter they touch; a forward
torch's NumPy API cannot run falls back to float64 finite differences and
says why. NumPy is back in every user module after every check.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import scratch
from compare import check_layer, check_loss_fn, check_pair
from compare.no_reference import CANNOT_SEE, EXPECTED_NAME
from tests.compare.own_forward_layers import beyond_the_api as beyond
from tests.compare.own_forward_layers import book_dense, dict_dense, lecture_dense, numpyml_style
from tests.compare.own_forward_layers import cs231n_layers as C
from tests.compare.own_forward_layers import planted_backward as P

MODULES = (beyond, book_dense, dict_dense, lecture_dense, numpyml_style, C, P)


@pytest.fixture(autouse=True)
def numpy_is_restored():
    before = {m.__name__: dict(vars(m)) for m in MODULES}
    yield
    for m in MODULES:
        changed = [k for k, v in before[m.__name__].items() if vars(m).get(k) is not v]
        assert not changed and vars(m).keys() == before[m.__name__].keys(), (m, changed)


def _rng():
    return np.random.default_rng(7)


def _own_forward_judged(report, qualname: str) -> None:
    assert report.expected_name == EXPECTED_NAME
    assert f"reference: autograd of {qualname}'s own forward" in report.notes
    assert CANNOT_SEE in report.notes


# ---- every form passes with no reference -------------------------------------------------

def _lecture(cls=lecture_dense.LinearSigmoidLayer):
    layer = cls(3, 4)
    layer.W = _rng().normal(size=(3, 4))
    return layer


def _square_softplus(cls=dict_dense.SoftplusDense):
    return cls(4, 4)  # square: a transposed weight gradient keeps its shape


LAYERS = {
    "lecture W/W_grad": (_lecture, 3),
    "book W/dW, b/db": (lambda: book_dense.Dense(3, 4), 3),
    "dict params/grads": (_square_softplus, 4),
    "numpy-ml accumulating": (lambda: numpyml_style.FullyConnected(3, 4), 3),
}


@pytest.mark.parametrize("form", LAYERS)
def test_class_layers_pass_judged_by_their_own_forward(form):
    make, n_in = LAYERS[form]
    layer = make()
    report = check_layer(layer, x=_rng().normal(size=(5, n_in)))
    assert report.ok, report
    _own_forward_judged(report, type(layer).__qualname__)
    assert {e.label for e in report.entries} >= {"dL/dinput", "output"}


def test_the_accumulating_layer_is_judged_in_its_convention():
    report = check_layer(numpyml_style.FullyConnected(3, 4), x=_rng().normal(size=(5, 3)))
    assert report.ok, report
    assert any("accumulate" in n and "exactly once" in n for n in report.notes)


def test_a_float32_layer_passes_and_its_bug_fails():
    layer = _lecture()
    layer.W = layer.W.astype(np.float32)
    x = _rng().normal(size=(5, 3)).astype(np.float32)
    report = check_layer(layer, x=x)
    assert report.ok and report.dtype == "float32", report
    buggy = _lecture(P.SigmoidNoDerivative)
    buggy.W = buggy.W.astype(np.float32)
    assert _failing(check_layer(buggy, x=x)) == ["W"]


PAIRS = {
    "affine": (C.affine_forward, C.affine_backward,
               lambda r: (r.normal(size=(4, 2, 3)), r.normal(size=(6, 5)), r.normal(size=5))),
    "relu": (C.relu_forward, C.relu_backward, lambda r: (r.normal(size=(4, 5)),)),
    "conv_naive": (C.conv_forward_naive, C.conv_backward_naive,
                   lambda r: (r.normal(size=(2, 2, 5, 5)), r.normal(size=(3, 2, 3, 3)),
                              r.normal(size=3), {"stride": 2, "pad": 1})),
    "max_pool_naive": (C.max_pool_forward_naive, C.max_pool_backward_naive,
                       lambda r: (r.normal(size=(2, 2, 4, 4)),
                                  {"pool_height": 2, "pool_width": 2, "stride": 2})),
    "batchnorm": (C.batchnorm_forward, C.batchnorm_backward,
                  lambda r: (r.normal(size=(6, 4)), r.normal(size=4), r.normal(size=4),
                             {"mode": "train"})),
}


@pytest.mark.parametrize("name", PAIRS)
def test_cs231n_pairs_pass_judged_by_their_own_forward(name):
    forward, backward, make = PAIRS[name]
    report = check_pair(forward, backward, *make(_rng()))
    assert report.ok, report
    _own_forward_judged(report, forward.__qualname__)


def test_the_softmax_loss_passes_judged_by_its_own_forward():
    x, y = _rng().normal(size=(5, 4)), np.array([0, 3, 1, 3, 2])
    report = check_loss_fn(C.softmax_loss, x, y)
    assert report.ok, report
    _own_forward_judged(report, "softmax_loss")


# ---- planted backward bugs fail at the right parameter ----------------------------------

def _failing(report) -> list[str]:
    """The parameters (or "dL/dinput") of the failing entries, each once."""
    return sorted({e.param or e.label for e in report.entries if not e.ok})


def _layer_failures(layer, n_in):
    report = check_layer(layer, x=_rng().normal(size=(5, n_in)))
    _own_forward_judged(report, type(layer).__qualname__)
    return report, _failing(report)


@pytest.mark.parametrize(("layer", "n_in", "failing"), [
    (lambda: _lecture(P.SigmoidNoDerivative), 3, ["W"]),
    (lambda: P.DenseBiasNotSummed(3, 4), 3, ["b"]),
    (lambda: _square_softplus(P.SoftplusWeightTransposed), 4, ["weight"]),
    (lambda: P.FullyConnectedBiasTwice(3, 4), 3, ["b"]),
], ids=["sigmoid derivative missing", "db averaged", "dW transposed", "db added twice"])
def test_planted_layer_bugs_fail_at_the_parameter(layer, n_in, failing):
    report, failed = _layer_failures(layer(), n_in)
    assert failed == failing, report


def test_a_transposed_gradient_is_diagnosed_as_a_transpose():
    report, _ = _layer_failures(_square_softplus(P.SoftplusWeightTransposed), 4)
    assert any(h.kind == "transpose" for h in report.hints), report


@pytest.mark.parametrize(("forward", "backward", "name", "failing"), [
    (C.conv_forward_naive, P.conv_backward_flipped_dw, "conv_naive", ["dL/dw"]),
    (C.batchnorm_forward, P.batchnorm_backward_dgamma_from_x, "batchnorm", ["dL/dgamma"]),
])
def test_planted_pair_bugs_fail_at_the_argument(forward, backward, name, failing):
    report = check_pair(forward, backward, *PAIRS[name][2](_rng()))
    _own_forward_judged(report, forward.__qualname__)
    assert [e.label for e in report.entries if not e.ok] == failing, report


def test_a_loss_gradient_off_by_the_batch_size_fails_with_a_scale_hint():
    x, y = _rng().normal(size=(5, 4)), np.array([0, 3, 1, 3, 2])
    report = check_loss_fn(P.softmax_loss_no_mean, x, y)
    assert [e.label for e in report.entries if not e.ok] == ["dL/dx"], report
    assert any(h.kind == "scale" for h in report.hints), report


# ---- the fallback says why ---------------------------------------------------------------

def test_a_forward_beyond_the_array_api_falls_back_to_finite_differences_saying_why():
    W = _rng().normal(size=(3, 4))
    x = _rng().normal(size=(5, 3)) + 0.05  # no entry of x @ W sits on the kink at 0
    report = check_layer(beyond.VectorizedLeakyDense(W.copy()), x=x, probe_kinks=False)
    assert report.ok, report
    assert report.expected_name == "finite differences"
    why = [n for n in report.notes if n.startswith("reference: finite differences")]
    assert why and "own forward could not run on torch: numpy.vectorize is not in torch's " \
        "NumPy-compatible API" in why[0] and "beyond_the_api.py" in why[0]
    assert CANNOT_SEE in report.notes
    buggy = check_layer(beyond.VectorizedLeakyDenseNoSlope(W.copy()), x=x, probe_kinks=False)
    assert _failing(buggy) == ["W"], buggy


def test_a_pair_beyond_the_array_api_falls_back_saying_why():
    r = _rng()
    report = check_pair(beyond.scipy_sigmoid_forward, _sigmoid_backward, r.normal(size=(4, 3)),
                        r.normal(size=(3, 2)))
    assert report.ok, report
    assert report.expected_name == "finite differences"
    assert "own forward could not run on torch: TypeError: ufunc 'expit'" in report.notes[0]


def _sigmoid_backward(dout, cache):
    x, w = cache
    s = 1 / (1 + np.exp(-(x @ w)))
    dz = dout * s * (1 - s)
    return dz @ w.T, x.T @ dz


def test_without_torch_numpy_it_falls_back_and_names_the_torch_version(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch._numpy", None)
    report = check_pair(C.affine_forward, C.affine_backward, *PAIRS["affine"][2](_rng()))
    assert report.ok, report
    assert "own forward could not run on torch: torch " in report.notes[0]
    assert "has no usable torch._numpy" in report.notes[0]


# ---- what stays as it was ----------------------------------------------------------------

def test_a_scratch_layer_with_no_reference_still_uses_its_torch_twin():
    layer = scratch.Linear(3, 2, rng=_rng())
    report = check_layer(layer, x=_rng().normal(size=(4, 3)))
    assert report.ok and report.expected_name == "torch", report


def test_a_forward_that_raises_is_reported_and_numpy_is_restored():
    layer = beyond.ExplodingDense(_rng().normal(size=(3, 2)))
    report = check_layer(layer, x=np.ones((4, 3)), params=["W"], grads=["W_grad"])
    assert not report.ok
    assert "forward exploded on purpose" in str(report)


def test_a_stateful_layer_gets_the_stateful_verdict_not_a_wrong_formula():
    report = check_layer(beyond.RunningSumCell(_rng().normal(size=(3, 2))),
                         x=_rng().normal(size=(4, 3)), probe_kinks=False)
    assert not report.ok
    assert any(n.startswith("stateful:") for n in report.notes), report


def test_the_pytest_fixture_needs_no_reference_either(twinnet):
    report = twinnet.check_layer(book_dense.Dense(3, 4), x=_rng().normal(size=(5, 3)))
    _own_forward_judged(report, "Dense")


def test_the_fixture_checks_pairs_and_losses_with_no_reference(twinnet):
    report = twinnet.check_pair(C.affine_forward, C.affine_backward, *PAIRS["affine"][2](_rng()))
    _own_forward_judged(report, "affine_forward")
    x, y = _rng().normal(size=(5, 4)), np.array([0, 3, 1, 3, 2])
    _own_forward_judged(twinnet.check_loss_fn(C.softmax_loss, x, y), "softmax_loss")
    with pytest.raises(pytest.fail.Exception, match="dL/dx"):
        twinnet.check_loss_fn(P.softmax_loss_no_mean, x, y)


def test_a_forward_that_differs_on_torch_is_not_trusted_and_says_why():
    r = _rng()
    report = check_pair(beyond.counting_forward, beyond.counting_backward,
                        r.normal(size=(3, 2)), r.normal(size=(2, 2)))
    assert report.expected_name == "finite differences"
    assert "on torch the forward computed other values than on NumPy" in report.notes[0]


def _sqrt_forward(x):
    return np.sqrt(x), x


def _sqrt_backward(dout, x):
    return dout / (2 * np.sqrt(x))


def test_nan_the_forward_makes_keeps_the_own_forward_as_oracle():
    """NaN where the NumPy run has NaN too is the same function: judged as a reference would."""
    x = np.abs(_rng().normal(size=(4, 3))) + 0.1
    x[0, 0] = -1.0  # sqrt of a negative: NaN on both runs
    with np.errstate(invalid="ignore"):
        report = check_pair(_sqrt_forward, _sqrt_backward, x)
    assert report.expected_name == EXPECTED_NAME, report.notes
    assert {e.status for e in report.entries if e.label == "dL/dx"} == {"nan-both"}

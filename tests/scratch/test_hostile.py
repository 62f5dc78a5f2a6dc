"""Hostile inputs: scratch matches torch, or raises a clear scratch error. Never a silent NaN.

Property-based (hypothesis, derandomized so CI sees the same examples every run)
over shapes, float32/float64 and extreme values: +-1e308 (and the largest
finite float), subnormals, exact 0 and -0.0, probabilities exactly 0 and 1,
logits of +-1000, NaN and inf. The oracle is torch (autograd for gradients).

Where an operation can overflow (a matmul or a sum of huge values) the rule is:
when an exact bound (computed in extended precision from absolute values) shows
nothing can overflow, scratch must return torch's numbers; otherwise scratch may
instead raise ``NonFiniteError``. Whatever scratch returns is finite. pytest turns
any RuntimeWarning into an error, so a leaked NumPy warning fails these tests.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import scratch
from twinnet.mutants.layer_bugs import ReLUGradAtZero

SETTINGS = settings(max_examples=40, derandomize=True, deadline=None, database=None)
# For the tests that plant a bug: stop at the first failure, no shrinking (only speed).
FIND_BUG = settings(SETTINGS, phases=[Phase.explicit, Phase.generate], report_multiple_bugs=False)
DTYPES = [np.float64, np.float32]
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}


def eps(dtype):
    return float(np.finfo(dtype).eps)


def extremes(dtype):
    """Values that break naive formulas, for either dtype."""
    fi = np.finfo(dtype)
    vals = [0.0, -0.0, 1.0, -1.0, 1000.0, -1000.0, 40.0, -40.0, 800.0, -800.0,
            float(fi.max), -float(fi.max), float(fi.tiny), float(fi.smallest_subnormal),
            -float(fi.smallest_subnormal), 1e-300 if dtype == np.float64 else 1e-40]
    if dtype == np.float64:
        vals += [1e308, -1e308]
    return vals


def hostile(dtype, *, min_value=None, max_value=None, specials=None):
    """Elements: the extremes above (or ``specials``) mixed with arbitrary finite floats."""
    width = 64 if dtype == np.float64 else 32
    picks = specials if specials is not None else extremes(dtype)
    if min_value is not None:
        picks = [v for v in picks if min_value <= v <= max_value]
    floats = st.floats(min_value=min_value, max_value=max_value, allow_nan=False,
                       allow_infinity=False, width=width)
    return st.one_of(st.sampled_from(picks), floats)


def matrices(dtype, elements):
    return st.tuples(st.integers(1, 4), st.integers(1, 4)).flatmap(
        lambda rc: hnp.arrays(dtype, rc, elements=elements))


def to_t(a, grad=False):
    return torch.tensor(a, requires_grad=grad)


def assert_close(actual, expected, dtype, *, scale=None, what=""):
    """|actual - expected| <= 4 eps (|expected| + scale) + tiny, elementwise; both finite.

    ``scale`` is the magnitude a rounding error is relative to when it exceeds
    |expected| (e.g. |upstream gradient| for 1 - tanh**2, sum|x||W| for a matmul).
    The tiny absolute term absorbs differences inside the subnormal range.
    """
    # extended precision, so the tolerance arithmetic itself cannot overflow near 1e308
    actual, expected = (np.asarray(a, dtype=np.longdouble) for a in (actual, expected))
    assert np.isfinite(actual).all(), f"{what}: scratch returned non-finite {actual}"
    ref = np.abs(expected) if scale is None else np.abs(expected) + np.abs(scale)
    allowed = 4 * eps(dtype) * ref + float(np.finfo(dtype).tiny)
    bad = np.abs(actual - expected) > allowed
    assert not bad.any(), (f"{what}: scratch {actual[bad]} vs torch {expected[bad]} "
                           f"(allowed {allowed[bad]})")


# -- element-wise activations: no overflow is possible, so always torch's numbers ------------

ACTIVATIONS = {
    "Sigmoid": (scratch.Sigmoid, torch.sigmoid),
    "Tanh": (scratch.Tanh, torch.tanh),
    "ReLU": (scratch.ReLU, torch.relu),
    "Identity": (scratch.Identity, lambda t: t * 1),
    # Step's twin: a 0/1 output with zero gradient, as documented in scratch.
    "Step": (scratch.Step, lambda t: (t > 0).to(t.dtype) + 0 * t),
}
EXACT = {"ReLU", "Identity", "Step"}  # no rounding: bit-for-bit equal to torch


def activation_case(dtype):
    return matrices(dtype, hostile(dtype)).flatmap(
        lambda x: st.tuples(st.just(x), hnp.arrays(dtype, x.shape, elements=hostile(dtype))))


def activation_property(make, torch_fn, dtype, exact, config=SETTINGS):
    """The hypothesis check: ``make()``'s forward and backward equal torch's at extremes."""

    @config
    @given(activation_case(dtype))
    def check(case):
        x, g = case
        layer = make()
        y = layer.forward(x)
        dx = layer.backward(g)
        xt = to_t(x, grad=True)
        yt = torch_fn(xt)
        yt.backward(to_t(g))
        assert y.dtype == dtype and dx.dtype == dtype
        if exact:
            np.testing.assert_array_equal(y, yt.detach().numpy())
            np.testing.assert_array_equal(dx, xt.grad.numpy())
        else:
            assert_close(y, yt.detach().numpy(), dtype, what="forward")
            # 1 - y**2 loses every digit near saturation: the error scales with |g|
            assert_close(dx, xt.grad.numpy(), dtype, scale=np.abs(g), what="backward")

    return check


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_torch_at_extremes(name, dtype):
    make, torch_fn = ACTIVATIONS[name]
    activation_property(make, torch_fn, dtype, exact=name in EXACT)()


class NaiveSigmoid(scratch.Sigmoid):
    """Planted bug: e^x / (1 + e^x) is inf / inf = NaN for x > 709."""

    def _forward(self, x):
        return np.exp(x) / (1 + np.exp(x))


@pytest.mark.parametrize("make, torch_fn, exact, exc", [
    (NaiveSigmoid, torch.sigmoid, False, scratch.NonFiniteError),
    (ReLUGradAtZero, torch.relu, True, AssertionError),
])
def test_activation_property_catches_planted_bugs(make, torch_fn, exact, exc):
    with pytest.raises(exc):
        activation_property(make, torch_fn, np.float64, exact, FIND_BUG)()


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_and_tanh_saturate_exactly_like_torch(dtype):
    big = [-float(np.finfo(dtype).max), -1000.0, 1000.0, float(np.finfo(dtype).max)]
    x = np.array([big], dtype=dtype)
    for make, fn in (ACTIVATIONS["Sigmoid"], ACTIVATIONS["Tanh"]):
        layer = make()
        y = layer.forward(x)
        np.testing.assert_array_equal(y, fn(to_t(x)).numpy())
        np.testing.assert_array_equal(layer.backward(np.ones_like(x)), 0)


NONFINITE = st.sampled_from([np.nan, np.inf, -np.inf])


def with_one_nonfinite(dtype):
    """A hostile matrix with one entry replaced by NaN or +-inf."""
    return matrices(dtype, hostile(dtype)).flatmap(lambda x: st.tuples(
        st.just(x), st.integers(0, x.size - 1), NONFINITE))


def plant(case):
    x, i, bad = case
    x = x.copy()
    x.flat[i] = bad
    return x


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(ACTIVATIONS) + ["Linear"])
def test_nonfinite_input_is_refused_naming_the_layer(name, dtype):
    @SETTINGS
    @given(with_one_nonfinite(dtype))
    def check(case):
        x = plant(case)
        layer = (scratch.Linear(x.shape[1], 2, rng=0, dtype=dtype) if name == "Linear"
                 else ACTIVATIONS[name][0]())
        with pytest.raises(scratch.NonFiniteError, match=rf"{name}.*input.*non-finite"):
            layer.forward(x)

    check()


@pytest.mark.parametrize("dtype", DTYPES)
def test_nonfinite_grad_out_is_refused(dtype):
    @SETTINGS
    @given(with_one_nonfinite(dtype))
    def check(case):
        g = plant(case)
        layer = scratch.Tanh()
        layer.forward(np.zeros_like(g))
        with pytest.raises(scratch.NonFiniteError, match=r"Tanh.*grad_out.*non-finite"):
            layer.backward(g)

    check()


# -- Linear and LinearSigmoid: matmuls that may overflow -------------------------------------

def abs_matmul_bound(a, b):
    """sum_k |a_ik| |b_kj| in extended precision: the largest any partial sum of a @ b can be."""
    return np.abs(a).astype(np.longdouble) @ np.abs(b).astype(np.longdouble)


def may_overflow(bound, dtype):
    return bool((bound >= float(np.finfo(dtype).max) / 2).any())


def linear_case(dtype):
    def build(dims):
        batch, n_in, n_out = dims
        el = hostile(dtype)
        return st.tuples(hnp.arrays(dtype, (batch, n_in), elements=el),
                         hnp.arrays(dtype, (n_in, n_out), elements=el),
                         hnp.arrays(dtype, (n_out,), elements=el),
                         hnp.arrays(dtype, (batch, n_out), elements=el))
    return st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)).flatmap(build)


def run_or_overflow(fn):
    """fn() or None when scratch refused with a NonFiniteError that says overflow."""
    try:
        return fn()
    except scratch.NonFiniteError as exc:
        assert "overflow" in str(exc)
        return None


def linear_property(make, dtype, config=SETTINGS):
    """The hypothesis check for a ``Linear``-like ``make(n_in, n_out, rng=, dtype=)``."""

    @config
    @given(linear_case(dtype))
    def check(case):
        x, W, b, g = case
        layer = make(W.shape[0], W.shape[1], rng=0, dtype=dtype)
        layer.W, layer.b = W, b
        fwd_bound = abs_matmul_bound(x, W) + np.abs(b).astype(np.longdouble)
        y = run_or_overflow(lambda: layer.forward(x))
        if y is None:
            assert may_overflow(fwd_bound, dtype), "refused a forward that cannot overflow"
            return
        xt, Wt, bt = to_t(x, True), to_t(W, True), to_t(b, True)
        yt = xt @ Wt + bt
        if torch.isfinite(yt).all():
            assert_close(y, yt.detach().numpy(), dtype, scale=fwd_bound.astype(np.float64),
                         what="Linear forward")
        grads = run_or_overflow(lambda: (layer.backward(g), layer.grads["W"], layer.grads["b"]))
        bounds = (abs_matmul_bound(g, W.T), abs_matmul_bound(x.T, g),
                  np.abs(g).astype(np.longdouble).sum(axis=0))
        if grads is None:  # dL/dx overflowed: refused by backward
            assert may_overflow(bounds[0], dtype), "refused a backward that cannot overflow"
            return
        yt.backward(to_t(g))
        for name, mine, ref, bd in zip(("dx", "dW", "db"), grads, (xt.grad, Wt.grad, bt.grad),
                                       bounds, strict=True):
            if not np.isfinite(mine).all():
                # an overflowed parameter gradient is left as torch leaves it, and SGD
                # refuses to step with it, touching no parameter
                assert name != "dx" and may_overflow(bd, dtype), f"non-finite Linear {name}"
                before = {k: v.copy() for k, v in layer.params.items()}
                with pytest.raises(scratch.NonFiniteError, match="SGD: gradient"):
                    scratch.SGD(layer, lr=0.1).step()
                for k, v in before.items():
                    np.testing.assert_array_equal(layer.params[k], v)
            elif torch.isfinite(ref).all():
                assert_close(mine, ref.numpy(), dtype, scale=bd.astype(np.float64),
                             what=f"Linear {name}")

    return check


@pytest.mark.parametrize("dtype", DTYPES)
def test_linear_matches_torch_or_reports_overflow(dtype):
    linear_property(scratch.Linear, dtype)()


class LinearClipsOutput(scratch.Linear):
    """Planted bug: silently clips huge outputs instead of matching torch or raising."""

    def _forward(self, x):
        return np.clip(super()._forward(x), -1e300, 1e300)


def test_linear_property_catches_silent_clipping():
    with pytest.raises(AssertionError, match="Linear forward"):
        linear_property(LinearClipsOutput, np.float64, FIND_BUG)()


@pytest.mark.parametrize("dtype", DTYPES)
def test_linear_sigmoid_matches_torch_or_reports_overflow(dtype):
    @SETTINGS
    @given(linear_case(dtype))
    def check(case):
        x, W, _, g = case
        layer = scratch.LinearSigmoid(W.shape[0], W.shape[1], rng=0, dtype=dtype)
        layer.W = W
        # x @ W = +-inf is fine (sigmoid saturates, as in torch); inf - inf = NaN is not
        y = run_or_overflow(lambda: layer.forward(x))
        if y is None:
            assert may_overflow(abs_matmul_bound(x, W), dtype)
            return
        xt, Wt = to_t(x, True), to_t(W, True)
        yt = torch.sigmoid(xt @ Wt)
        ok = torch.isfinite(yt).all() and not may_overflow(abs_matmul_bound(x, W), dtype)
        if ok:
            # sigmoid's slope is at most 1/4, so the matmul's rounding scales by 1/4
            assert_close(y, yt.detach().numpy(), dtype,
                         scale=abs_matmul_bound(x, W).astype(np.float64) / 4,
                         what="LinearSigmoid forward")
        grads = run_or_overflow(lambda: (layer.backward(g), layer.W_grad))
        if grads is None or not ok:
            return  # overflowing products: covered by the Linear test's rule
        yt.backward(to_t(g))
        # y (1 - y) carries y's error, which the matmul's rounding (~ eps |x||W|) dominates
        # near saturation; the local gradient's error is then ~ eps |g| (1 + |x||W|) and
        # each backward matmul adds up such errors through |x| or |W|
        local_err = np.abs(g).astype(np.longdouble) * (1 + abs_matmul_bound(x, W))
        for name, mine, ref, scale in (("dx", grads[0], xt.grad, abs_matmul_bound(local_err, W.T)),
                                       ("dW", grads[1], Wt.grad, abs_matmul_bound(x.T, local_err))):
            if torch.isfinite(ref).all() and not may_overflow(scale, dtype):
                assert_close(mine, ref.numpy(), dtype, scale=scale, what=f"LinearSigmoid {name}")

    check()


def test_linear_overflow_message_names_the_layer():
    layer = scratch.Linear(2, 1, rng=0)
    layer.W = np.array([[2.0], [2.0]])
    with pytest.raises(scratch.NonFiniteError, match=r"Linear\(2, 1\): output \(overflow"):
        layer.forward(np.array([[1e308, -1e308]]))  # inf + (-inf): NaN in numpy and torch
    with pytest.raises(scratch.BackwardBeforeForwardError):
        layer.backward(np.ones((1, 1)))  # the failed forward left nothing to differentiate


# -- losses -----------------------------------------------------------------------------------

PROBS = {np.float64: [0.0, 1.0, 0.5, 5e-324, 1e-300, 1e-12, 1 - 1e-12, 1 - 2**-53],
         np.float32: [0.0, 1.0, 0.5, 1e-45, 1e-38, 1e-12, 1 - 2**-24]}


def loss_case(dtype, pred_el, target_el):
    return st.tuples(st.integers(1, 4), st.integers(1, 3)).flatmap(lambda s: st.tuples(
        hnp.arrays(dtype, s, elements=pred_el), hnp.arrays(dtype, s, elements=target_el),
        st.sampled_from(["mean", "sum"])))


def torch_loss(fn, pred, target, reduction):
    pt = to_t(pred, True)
    loss = fn(pt, to_t(target), reduction=reduction)
    loss.backward()
    return loss.item(), pt.grad.numpy()


def bce_property(make, dtype, config=SETTINGS):
    """The hypothesis check for a ``BCELoss``-like ``make(reduction)`` at p, y in {0, 1}."""
    probs = hostile(dtype, min_value=0.0, max_value=1.0, specials=PROBS[dtype])

    @config
    @given(loss_case(dtype, probs, probs))
    def check(case):
        p, y, reduction = case
        loss = make(reduction)
        value, grad = loss.forward(p, y), loss.backward()
        t_value, t_grad = torch_loss(torch.nn.functional.binary_cross_entropy, p, y, reduction)
        # per-element terms are at most 100 (the log clamp); a sum of n of them rounds
        # with at most n eps relative error
        assert_close(value, t_value, dtype, scale=p.size * abs(t_value), what="BCE loss")
        assert_close(grad, t_grad, dtype, what="BCE gradient")

    return check


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_matches_torch_at_probabilities_0_and_1(dtype):
    bce_property(scratch.BCELoss, dtype)()


class BCEDoubleEps(scratch.BCELoss):
    """Planted bug (scratch's own, found by this test): clamp at 1e-12 in double precision."""

    def _backward(self):
        p, y = self._cache
        return (p - y) / np.maximum(p * (1 - p), 1e-12) * self._scale(p.size)


class BCENoLogClamp(scratch.BCELoss):
    """Planted bug: log(0) = -inf is not clamped at -100."""

    def _forward(self, pred, target):
        self._cache = (pred, target)
        with np.errstate(divide="ignore"):
            return -self._reduce(target * np.log(pred) + (1 - target) * np.log1p(-pred))


@pytest.mark.parametrize("make, exc", [(BCEDoubleEps, AssertionError),
                                       (BCENoLogClamp, scratch.NonFiniteError)])
def test_bce_property_catches_planted_bugs(make, exc):
    with pytest.raises(exc):
        bce_property(make, np.float64, FIND_BUG)()


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_logits_matches_torch_or_reports_overflow(dtype):
    probs = hostile(dtype, min_value=0.0, max_value=1.0, specials=PROBS[dtype])

    @SETTINGS
    @given(loss_case(dtype, hostile(dtype), probs))
    def check(case):
        z, y, reduction = case
        loss = scratch.BCEWithLogitsLoss(reduction)
        # each term is at most |z| + log 2, so the sum is at most this
        bound = float(np.sum(np.abs(z).astype(np.longdouble) + 1))
        value = run_or_overflow(lambda: loss.forward(z, y))
        if value is None:
            assert bound >= float(np.finfo(dtype).max) / 2
            return
        grad = loss.backward()
        t_value, t_grad = torch_loss(torch.nn.functional.binary_cross_entropy_with_logits,
                                     z, y, reduction)
        if np.isfinite(t_value) and bound < float(np.finfo(dtype).max) / 2:
            assert_close(value, t_value, dtype, scale=z.size * bound, what="BCEWithLogits loss")
        # sigmoid(z) - y cancels: its rounding is relative to 1 / N, not to the result
        assert_close(grad, t_grad, dtype, scale=np.full(z.shape, loss._scale(z.size)),
                     what="BCEWithLogits gradient")

    check()


@pytest.mark.parametrize("dtype", DTYPES)
def test_mse_matches_torch_or_reports_overflow(dtype):
    @SETTINGS
    @given(loss_case(dtype, hostile(dtype), hostile(dtype)))
    def check(case):
        p, y, reduction = case
        loss = scratch.MSELoss(reduction)
        diff_bound = np.abs(p).astype(np.longdouble) + np.abs(y)
        bound = float(np.sum(diff_bound ** 2))
        value = run_or_overflow(lambda: loss.forward(p, y))
        if value is None:
            assert bound >= float(np.finfo(dtype).max) / 2
            return
        grad = run_or_overflow(loss.backward)
        if grad is None:
            assert float(diff_bound.max()) * 2 >= float(np.finfo(dtype).max) / 2
            return
        t_value, t_grad = torch_loss(torch.nn.functional.mse_loss, p, y, reduction)
        if np.isfinite(t_value):
            assert_close(value, t_value, dtype, scale=p.size * bound, what="MSE loss")
        assert_close(grad, t_grad, dtype, scale=2 * diff_bound,
                     what="MSE gradient")

    check()


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_matches_torch_or_reports_overflow(dtype):
    def case(s):
        batch, classes = s
        return st.tuples(hnp.arrays(dtype, (batch, classes), elements=hostile(dtype)),
                         hnp.arrays(np.int64, (batch,), elements=st.integers(0, classes - 1)),
                         st.sampled_from(["mean", "sum"]))

    @SETTINGS
    @given(st.tuples(st.integers(1, 4), st.integers(1, 4)).flatmap(case))
    def check(c):
        z, labels, reduction = c
        loss = scratch.CrossEntropyLoss(reduction)
        zl = z.astype(np.longdouble)
        # logsumexp(z) - z[label] <= max(z) - z[label] + log C, summed over the batch
        spread = zl.max(axis=1) - zl.min(axis=1) + np.log(z.shape[1])
        bound = float(np.sum(spread))
        value = run_or_overflow(lambda: loss.forward(z, labels))
        if value is None:
            assert bound >= float(np.finfo(dtype).max) / 2
            return
        grad = loss.backward()
        t_value, t_grad = torch_loss(torch.nn.functional.cross_entropy, z, labels, reduction)
        if np.isfinite(t_value) and bound < float(np.finfo(dtype).max) / 2:
            assert_close(value, t_value, dtype, scale=z.shape[0] * bound, what="CE loss")
        # softmax - onehot cancels at the label: rounding is relative to 1 / batch
        assert_close(grad, t_grad, dtype, scale=np.full(z.shape, loss._scale(z.shape[0])),
                     what="CE gradient")

    check()


@pytest.mark.parametrize("make", [scratch.MSELoss, scratch.BCELoss, scratch.BCEWithLogitsLoss])
@pytest.mark.parametrize("dtype", DTYPES)
def test_nonfinite_loss_input_is_refused(make, dtype):
    @SETTINGS
    @given(with_one_nonfinite(dtype), st.booleans())
    def check(case, in_target):
        bad = plant(case)
        good = np.full_like(bad, 0.5)
        pred, target = (good, bad) if in_target else (bad, good)
        with pytest.raises(scratch.NonFiniteError,
                           match=rf"{make.__name__}.*{'target' if in_target else 'pred'}"):
            make().forward(pred, target)

    check()


def test_bce_log_clamp_and_gradient_clamp_at_exact_0_and_1():
    # torch: log clamped at -100, so a confident wrong answer costs exactly 100;
    # gradient (p - y) / max(p (1 - p), eps) with eps = float32(1e-12) = 9.999999960e-13
    # (torch keeps it in single precision), so -+1 / eps = -+1000000003995.8029
    p = np.array([[0.0], [1.0]])
    y = np.array([[1.0], [0.0]])
    loss = scratch.BCELoss("sum")
    assert loss.forward(p, y) == 200.0
    np.testing.assert_array_equal(loss.backward(), [[-1000000003995.8029], [1000000003995.8029]])


def test_bce_with_logits_is_stable_at_plus_minus_1000():
    z = np.array([[1000.0], [-1000.0], [1000.0], [-1000.0]])
    y = np.array([[1.0], [0.0], [0.0], [1.0]])
    loss = scratch.BCEWithLogitsLoss("sum")
    # right answers cost 0, wrong ones |z| = 1000 each (log1p(exp(-1000)) = 0)
    assert loss.forward(z, y) == 2000.0
    np.testing.assert_array_equal(loss.backward(), [[0.0], [0.0], [1.0], [-1.0]])


def test_overflowed_weight_gradient_is_left_as_torch_leaves_it_and_sgd_refuses_it():
    layer = scratch.Linear(1, 1, rng=0)
    layer.W, layer.b = np.array([[1e-300]]), np.array([0.0])
    x = np.array([[1e308], [-1e308]])
    layer.forward(x)
    g = np.array([[2.0], [2.0]])
    dx = layer.backward(g)  # dx = 2e-300: fine; dW = 2e308 - 2e308 overflows (inf or NaN)
    xt, Wt = to_t(x), to_t(layer.W, True)
    (xt @ Wt).backward(to_t(g))
    assert not np.isfinite(layer.grads["W"]).any() and not torch.isfinite(Wt.grad).any()
    np.testing.assert_array_equal(dx, [[2e-300], [2e-300]])
    before = layer.W.copy(), layer.b.copy()
    with pytest.raises(scratch.NonFiniteError, match=r"SGD: gradient 'W'.*non-finite"):
        scratch.SGD(layer, lr=0.1).step()
    np.testing.assert_array_equal(layer.W, before[0])  # nothing half-updated
    np.testing.assert_array_equal(layer.b, before[1])

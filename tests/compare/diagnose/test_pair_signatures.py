"""Each signature, planted on a pair of arrays, is named with its evidence.

The reference ``b`` is random; scratch's ``a`` is ``b`` with one bug applied
by hand, so the expected hint follows from the construction.
"""

import numpy as np
import pytest

from compare.diagnose import diagnose_pair


@pytest.fixture
def b():
    return np.random.default_rng(7).normal(size=(6, 4))


def only(hints):
    assert len(hints) == 1, hints
    return hints[0]


def test_matching_pair_gives_no_hint(b):
    assert diagnose_pair(b + 1e-12, b) == []


@pytest.mark.parametrize("factor, words", [
    (6.0, "the batch size N = 6"),          # sum where torch takes the mean over 6 samples
    (1 / 6, "1/N with N = 6"),               # an extra mean
    (2.0, "differentiating a square"),
    (0.5, "1/2"),
    (12.0, "the batch size N = 6 x 2"),      # 6 * 2: missing mean and a squared-loss 2
])
def test_named_scale_factor(b, factor, words):
    hint = only(diagnose_pair(factor * b, b, batch_size=6, name="grad 0.W"))
    assert hint.kind == "scale"
    assert hint.where == "grad 0.W"
    assert hint.evidence["ratio"] == pytest.approx(factor, rel=1e-12)
    assert words.split()[0] in hint.message
    assert f"{factor:.6g}".rstrip("0") in hint.message or str(int(factor)) in hint.message


def test_factor_two_says_squared_loss_and_double_accumulation(b):
    msg = only(diagnose_pair(2 * b, b)).message
    assert "square" in msg and "added twice" in msg


def test_batch_of_two_reads_factor_both_ways(b):
    hint = only(diagnose_pair(2 * b, b, batch_size=2))
    assert set(hint.evidence["factor"]) == {"2", "N"}


def test_mean_over_all_elements(b):
    # MSE averages over batch * features = 24 elements.
    hint = only(diagnose_pair(24 * b, b, batch_size=6, n_reduced=24))
    assert hint.evidence["factor"] == ["M"] and "24" in hint.message


def test_unnamed_constant_factor_is_printed(b):
    hint = only(diagnose_pair(3.7 * b, b))
    assert hint.kind == "scale" and "3.7 x reference" in hint.message
    assert "not one of the usual" in hint.message


def test_sign_flip(b):
    hint = only(diagnose_pair(-b, b))
    assert hint.kind == "sign_flip" and "-1" in hint.message


def test_scale_needs_enough_elements_unless_named():
    b = np.array([0.3, -1.2])
    assert only(diagnose_pair(3.7 * b, b)).kind == "unexplained"   # 2 elements, odd factor
    assert only(diagnose_pair(2 * b, b)).kind == "scale"            # exactly 2: named


def test_scale_needs_every_element():
    b = np.random.default_rng(1).normal(size=20)
    a = 2 * b
    a[3] += 0.1  # one element breaks the constant ratio
    assert only(diagnose_pair(a, b)).kind != "scale"


def test_transpose_square(b):
    w = b[:4]
    hint = only(diagnose_pair(w.T.copy(), w))
    assert hint.kind == "transpose" and "(in, out)" in hint.message


def test_transpose_non_square_shape(b):
    hint = only(diagnose_pair(b.T.copy(), b))
    assert hint.kind == "transpose" and hint.evidence["scratch_shape"] == [4, 6]


def test_conv_channels_swapped():
    w = np.random.default_rng(2).normal(size=(3, 3, 2, 2))  # (out, in, kh, kw)
    hint = only(diagnose_pair(w.transpose(1, 0, 2, 3).copy(), w))
    assert hint.kind == "permutation" and "channels are exchanged" in hint.message
    assert hint.evidence["axes"] == [1, 0, 2, 3]


def test_kernel_flipped():
    w = np.random.default_rng(3).normal(size=(2, 3, 3, 3))
    hint = only(diagnose_pair(w[:, :, ::-1, ::-1].copy(), w))
    assert hint.kind == "flip" and hint.evidence["axes"] == [2, 3]
    assert "convolution" in hint.message


def test_reshape_for_transpose(b):
    hint = only(diagnose_pair(b.T.reshape(b.shape), b))
    assert hint.kind == "reshape"


def test_all_zeros(b):
    hint = only(diagnose_pair(np.zeros_like(b), b))
    assert hint.kind == "zeros" and hint.evidence["side"] == "scratch"


def test_gradient_where_reference_has_none(b):
    hint = only(diagnose_pair(b, np.zeros_like(b)))
    assert hint.kind == "zeros" and hint.evidence["side"] == "reference"


def test_never_written_sees_stale_value(b):
    stale = np.full_like(b, 0.25)
    hint = only(diagnose_pair(stale.copy(), b, before=stale))
    assert hint.kind == "never_written"


def test_kink_positions_and_inputs_listed():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(5, 3))
    x[1, 2] = x[4, 0] = 0.0
    grad_out = rng.normal(size=(5, 3))
    reference = np.where(x > 0, grad_out, 0.0)    # torch: ReLU'(0) = 0
    scratch = np.where(x >= 0, grad_out, 0.0)     # planted: ReLU'(0) = 1
    hint = only(diagnose_pair(scratch, reference, layer_input=x, name="dx layer 1"))
    assert hint.kind == "kink"
    assert hint.evidence["positions"] == [[1, 2], [4, 0]]
    assert hint.evidence["inputs"] == [0.0, 0.0]
    assert "(1, 2): input 0" in hint.message and "not a wrong formula" in hint.message


def test_wrong_formula_is_not_called_a_kink():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(5, 3))
    x[0, 0] = 0.0
    reference = np.where(x > 0, 1.0, 0.0)
    scratch = reference.copy()
    scratch[0, 0] = 1.0      # at the kink
    scratch[2, 1] += 0.5     # and away from it
    assert only(diagnose_pair(scratch, reference, layer_input=x)).kind != "kink"


def test_one_sample_of_batch(b):
    a = b.copy()
    a[3] *= 1.5
    hint = only(diagnose_pair(a, b, batch_axis=0))
    assert hint.kind == "localized"
    assert hint.evidence == {"axis": 0, "index": 3, "length": 6, "differing": 4,
                             "max_abs_diff": pytest.approx(0.5 * np.abs(b[3]).max())}
    assert "sample 3 of 6" in hint.message


def test_last_time_step_names_loop_bound():
    seq = np.random.default_rng(6).normal(size=(7, 2, 3))  # (time, batch, hidden)
    a = seq.copy()
    a[6] = 0.3
    hint = only(diagnose_pair(a, seq, time_axis=0, batch_axis=1))
    assert hint.kind == "localized" and "time step 6 of 7" in hint.message
    assert "loop bound" in hint.message


def test_gradient_stops_flowing_back_through_time():
    seq = np.random.default_rng(8).normal(size=(6, 2))
    a = seq.copy()
    a[:3] = 0.0  # steps 0..2 never receive their gradient
    hint = only(diagnose_pair(a, seq, time_axis=0))
    assert hint.kind == "localized" and hint.evidence["first"] == 0
    assert hint.evidence["last"] == 2 and "step 3" in hint.message


def test_single_element(b):
    a = b.copy()
    a[2, 1] = 9.0
    hint = only(diagnose_pair(a, b))
    assert hint.kind == "localized" and hint.evidence["index"] == [2, 1]


def test_off_by_one_shift_in_time():
    seq = np.random.default_rng(9).normal(size=(6, 3))
    a = np.empty_like(seq)
    a[1:] = seq[:-1]  # step t reads step t-1
    a[0] = 0.0
    hint = only(diagnose_pair(a, seq, time_axis=0))
    assert hint.kind == "shift" and hint.evidence["offset"] == 1
    assert "time step t equals the reference's time step t - 1" in hint.message


@pytest.mark.parametrize("where", ["scratch", "reference"])
def test_nonfinite_side_and_input_range(where):
    x = np.array([[-800.0, 1.0, 2.0], [0.5, -3.0, 4.0]])
    ok = np.array([[0.0, 0.7, 0.9], [0.6, 0.05, 0.98]])
    bad = ok.copy()
    bad[0, 0] = np.nan
    a, b = (bad, ok) if where == "scratch" else (ok, bad)
    hint = only(diagnose_pair(a, b, layer_input=x))
    assert hint.kind == "nonfinite"
    assert hint.evidence["side"].endswith("only") and where in hint.evidence["side"]
    assert hint.evidence["inputs_there"] == [-800.0]
    assert hint.evidence["input_range"] == [-800.0, 4.0]
    assert "overflow exp()" in hint.message and "709.78" in hint.message


def test_same_infinity_on_both_sides_is_a_match():
    a = np.array([1.0, np.inf, 2.0])
    assert diagnose_pair(a, a.copy()) == []


def test_nan_on_both_sides_is_still_reported():
    a = np.array([1.0, np.nan, 2.0])
    hint = only(diagnose_pair(a, a.copy(), layer_input=np.array([0.0, 1e3, 1.0])))
    assert hint.kind == "nonfinite" and hint.evidence["side"] == "both sides"
    assert hint.evidence["inputs_there"] == [1000.0]


def test_float32_rounding_level():
    b = np.random.default_rng(10).normal(size=(8, 8)).astype(np.float32)
    a = b * np.float32(1 + 2e-5)  # ~170 ulps, beyond float32's rtol 1.3e-6 where |b| is big
    hint = only(diagnose_pair(a, b))
    assert hint.kind == "float32_rounding" and "rerun_float64=True" in hint.message


def test_float32_cast_inside_float64_scratch():
    steps = np.random.default_rng(11).normal(size=(4, 300))
    b = np.cumsum(steps, axis=1)
    # planted: the running sum is kept in float32, then cast back
    a = np.cumsum(steps.astype(np.float32), axis=1).astype(np.float64)
    hint = only(diagnose_pair(a, b))
    assert hint.kind == "float32_cast"


def test_large_float32_error_is_not_rounding():
    b = np.random.default_rng(12).normal(size=(8, 8)).astype(np.float32)
    a = b + np.float32(0.01) * np.random.default_rng(13).normal(size=b.shape).astype(np.float32)
    assert only(diagnose_pair(a, b)).kind == "unexplained"


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


@pytest.mark.parametrize("wrong, form", [
    (lambda x, y: np.ones_like(y), "1 (no local derivative)"),
    (lambda x, y: x * (1 - x), "x (1 - x)"),
    (lambda x, y: y, "y (the output itself)"),
    (lambda x, y: _sigmoid(y) * (1 - _sigmoid(y)), "sigmoid'(y)"),
])
def test_wrong_local_derivative_of_sigmoid_is_named(wrong, form):
    rng = np.random.default_rng(20)
    x = rng.normal(size=(5, 3))
    y = _sigmoid(x)
    g = rng.normal(size=x.shape)
    reference = g * y * (1 - y)
    hint = only(diagnose_pair(g * wrong(x, y), reference, role="input_grad", grad_out=g,
                              layer_input=x, layer_output=y))
    assert hint.kind == "derivative" and hint.evidence["form"].startswith(form)


def test_tanh_derivative_on_the_input_is_named():
    rng = np.random.default_rng(21)
    x = rng.normal(size=(4, 3))
    y, g = np.tanh(x), rng.normal(size=(4, 3))
    hint = only(diagnose_pair(g * (1 - x ** 2), g * (1 - y ** 2), role="input_grad",
                              grad_out=g, layer_input=x, layer_output=y))
    assert hint.kind == "derivative" and "from the input x instead of the" in hint.message


def test_constant_offset_at_one_hot_positions():
    rng = np.random.default_rng(22)
    probs = rng.dirichlet(np.ones(3), size=5)
    labels = np.array([0, 2, 1, 1, 0])
    onehot = np.eye(3)[labels]
    reference = (probs - onehot) / 5
    hint = only(diagnose_pair(probs / 5, reference, batch_size=5))
    assert hint.kind == "offset" and hint.evidence["offset"] == pytest.approx(0.2)
    assert "columns [0, 2, 1, 1, 0]" in hint.message and "1/N with N = 5" in hint.message


def test_bias_gradient_summed_over_the_wrong_axis():
    g = np.random.default_rng(23).normal(size=(4, 4))  # square: no shape error to catch it
    hint = only(diagnose_pair(g.sum(axis=1), g.sum(axis=0), role="weight_grad", grad_out=g))
    assert hint.kind == "wrong_axis" and "sum(axis=1)" in hint.message


def test_weight_not_transposed_in_input_gradient():
    rng = np.random.default_rng(24)
    W = rng.normal(size=(3, 3))
    u = rng.normal(size=(5, 3))
    hint = only(diagnose_pair(u @ W, u @ W.T, role="input_grad", weight=W))
    assert hint.kind == "transpose" and "not transposed" in hint.message


def test_upstream_gradient_not_multiplied_in():
    rng = np.random.default_rng(25)
    x = rng.normal(size=(4, 3))
    y, g = _sigmoid(x), rng.normal(size=(4, 3))
    hint = only(diagnose_pair(y * (1 - y), g * y * (1 - y), role="input_grad", grad_out=g,
                              layer_input=x, layer_output=y))
    assert hint.kind == "derivative" and hint.evidence["form"] == "upstream ignored"


@pytest.mark.parametrize("role", ["weight_grad", "input_grad"])
def test_fused_layer_without_its_activation_derivative(role):
    rng = np.random.default_rng(26)
    x, W, g = rng.normal(size=(5, 3)), rng.normal(size=(3, 2)), rng.normal(size=(5, 2))
    y = _sigmoid(x @ W)
    local = g * y * (1 - y)
    right = x.T @ local if role == "weight_grad" else local @ W.T
    wrong = x.T @ g if role == "weight_grad" else g @ W.T     # the sigmoid forgotten
    hint = only(diagnose_pair(wrong, right, role=role, weight=W, layer_input=x,
                              layer_output=y, grad_out=g))
    assert hint.kind == "derivative" and hint.evidence["form"].startswith("1 (no activation")


def test_weight_gradient_from_the_output_instead_of_the_input():
    rng = np.random.default_rng(27)
    x, W, g = rng.normal(size=(5, 3)), rng.normal(size=(3, 3)), rng.normal(size=(5, 3))
    y = x @ W
    hint = only(diagnose_pair(y.T @ g, x.T @ g, role="weight_grad", layer_input=x,
                              layer_output=y, grad_out=g))
    assert hint.kind == "operand" and "output y where its input x belongs" in hint.message


def test_bias_gradient_from_the_first_sample():
    g = np.random.default_rng(28).normal(size=(5, 3))
    hint = only(diagnose_pair(g[0], g.sum(axis=0), role="weight_grad", grad_out=g))
    assert hint.kind == "wrong_axis" and "first sample" in hint.message


def test_divided_by_every_element_instead_of_the_batch():
    b = np.random.default_rng(29).normal(size=(6, 4))
    hint = only(diagnose_pair(b / 4, b, batch_size=6, n_features=4))
    assert hint.kind == "scale" and hint.evidence["factor"] == ["1/C"]
    assert "every element" in hint.message


def test_bias_gradient_averaged_over_output_positions():
    # 3 channels only: too few elements for an unnamed factor, but 1/16 = 1/(Ho * Wo) is named.
    b = np.array([0.23, 0.09, -0.03])
    hint = only(diagnose_pair(b / 16, b, role="weight_grad", n_positions=16))
    assert hint.kind == "scale" and hint.evidence["factor"] == ["1/P"]
    assert "output positions" in hint.message

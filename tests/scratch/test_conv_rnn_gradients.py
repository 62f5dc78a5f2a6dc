"""Conv2d, MaxPool2d, Flatten, Softmax and RNN backward against central finite differences.

Every case uses L = sum(upstream * layer(x)), a random linear functional of
the output, so dL/d(anything) is exactly what backward must return for that
upstream gradient. Tolerance as for the dense layers: rel_error <= 1e-7 in float64.
"""

import numpy as np
import pytest

import scratch
from tests.scratch.layer_gradcheck import distinct_values, gradient_errors

TOL = 1e-7

# (in_channels, out_channels, kernel_size, stride, padding, bias, (N, H, W))
CONV_CASES = {
    "3x3-pad1": (1, 3, 3, 1, 1, True, (2, 6, 6)),
    "odd-image-stride2-pad1": (2, 3, 3, 2, 1, True, (2, 7, 5)),
    "non-square-kernel-pad2": (2, 2, (2, 3), 1, 2, True, (2, 5, 4)),
    "pair-stride-pair-pad": (3, 2, (3, 2), (2, 3), (1, 2), True, (1, 7, 8)),
    "stride-leaves-edge-unread": (2, 3, 2, 3, 0, True, (2, 7, 6)),
    "1x1-kernel-no-bias": (3, 4, 1, 1, 0, False, (2, 3, 5)),
    "kernel-equals-image": (2, 3, (4, 3), 1, 0, True, (3, 4, 3)),
    "stride-beyond-kernel": (1, 2, 2, (3, 4), 1, False, (2, 6, 9)),
}


def check_all_grads(layer, x, upstream, extra=None):
    """Assert dx, every extra input's and every parameter's gradient match finite differences."""
    errors = gradient_errors(layer, x, upstream, extra)
    bad = {name: err for name, err in errors.items() if not err <= TOL}
    assert not bad, f"{layer.describe()}: gradients off by {bad}"


@pytest.mark.parametrize("case", sorted(CONV_CASES))
def test_conv2d_gradients(case):
    c_in, c_out, kernel, stride, padding, bias, (n, h, w) = CONV_CASES[case]
    rng = np.random.default_rng(sorted(CONV_CASES).index(case))
    layer = scratch.Conv2d(c_in, c_out, kernel, stride, padding, bias, rng=rng)
    x = rng.normal(size=(n, c_in, h, w))
    upstream = rng.normal(size=layer.forward(x).shape)
    check_all_grads(layer, x, upstream)


def test_conv2d_output_size_follows_torch_formula():
    # floor((H + 2p - k) / s) + 1: (7 + 2 - 3)//2 + 1 = 4 and (5 + 4 - 2)//3 + 1 = 3
    layer = scratch.Conv2d(1, 2, (3, 2), stride=(2, 3), padding=(1, 2), rng=0)
    assert layer.forward(np.ones((1, 1, 7, 5))).shape == (1, 2, 4, 3)


def test_conv2d_matches_a_hand_computed_cross_correlation():
    # one 2x2 filter [[1, 2], [3, 4]] with bias 10 on the 3x3 image 0..8, stride 1:
    # top-left output = 1*0 + 2*1 + 3*3 + 4*4 + 10 = 37, and each step right adds
    # (1+2+3+4)*1 = 10, each step down adds (1+2+3+4)*3 = 30.
    layer = scratch.Conv2d(1, 1, 2, rng=0)
    layer.W = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    layer.b = np.array([10.0])
    out = layer.forward(np.arange(9.0).reshape(1, 1, 3, 3))
    np.testing.assert_array_equal(out, [[[[37.0, 47.0], [67.0, 77.0]]]])
    # dL/dx with upstream all ones: each pixel sums the filter taps that read it
    np.testing.assert_array_equal(layer.backward(np.ones((1, 1, 2, 2)))[0, 0],
                                  [[1, 3, 2], [4, 10, 6], [3, 7, 4]])


# (kernel_size, stride, (N, C, H, W))
POOL_CASES = {
    "2x2-default-stride": (2, None, (2, 3, 4, 6)),
    "odd-image-drops-edge": (2, None, (2, 2, 5, 7)),
    "3x3-stride2-overlap": (3, 2, (2, 2, 7, 7)),
    "non-square-stride1-overlap": ((2, 3), 1, (1, 2, 4, 5)),
    "pair-stride": ((3, 2), (1, 2), (2, 1, 5, 6)),
    "stride-beyond-kernel": (2, 3, (1, 2, 8, 7)),
}


@pytest.mark.parametrize("case", sorted(POOL_CASES))
def test_maxpool2d_gradients(case):
    kernel, stride, shape = POOL_CASES[case]
    rng = np.random.default_rng(100 + sorted(POOL_CASES).index(case))
    layer = scratch.MaxPool2d(kernel, stride)
    x = distinct_values(rng, shape)
    upstream = rng.normal(size=layer.forward(x).shape)
    check_all_grads(layer, x, upstream)


def test_maxpool2d_ties_route_to_the_first_maximum_in_row_major_order():
    pool = scratch.MaxPool2d(2)
    x = np.array([[[[5.0, 5.0, 1.0, 7.0],
                    [5.0, 5.0, 7.0, 7.0]]]])
    np.testing.assert_array_equal(pool.forward(x), [[[[5.0, 7.0]]]])
    # window 1: all four tie -> top-left; window 2: three 7s tie -> the top-right one
    np.testing.assert_array_equal(pool.backward(np.array([[[[2.0, 3.0]]]])),
                                  [[[[2.0, 0.0, 0.0, 3.0], [0.0, 0.0, 0.0, 0.0]]]])


def test_maxpool2d_overlapping_windows_accumulate_on_a_shared_maximum():
    # 1x3 image [1, 9, 2], kernel (1, 2), stride 1: both windows pick the 9,
    # so it receives the sum of both upstream gradients, 0.5 + 0.25.
    pool = scratch.MaxPool2d((1, 2), stride=1)
    pool.forward(np.array([[[[1.0, 9.0, 2.0]]]]))
    np.testing.assert_array_equal(pool.backward(np.array([[[[0.5, 0.25]]]])),
                                  [[[[0.0, 0.75, 0.0]]]])


def test_flatten_gradient_and_shape():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 2, 3, 4))
    layer = scratch.Flatten()
    assert layer.forward(x).shape == (3, 24)
    check_all_grads(layer, x, rng.normal(size=(3, 24)))


@pytest.mark.parametrize("axis, shape", [(-1, (4, 5)), (0, (4, 5)), (1, (2, 3, 4)),
                                         (-1, (3, 1)), (2, (2, 2, 3, 2))])
def test_softmax_gradients(axis, shape):
    rng = np.random.default_rng(abs(axis) + len(shape))
    x = rng.normal(size=shape) * 3
    layer = scratch.Softmax(axis)
    check_all_grads(layer, x, rng.normal(size=shape))


def test_softmax_is_stable_and_normalised():
    with np.errstate(over="raise", invalid="raise"):
        y = scratch.Softmax().forward(np.array([[1000.0, 1000.0], [-1000.0, 0.0]]))
    # equal logits -> 1/2 each; a gap of 1000 -> exp(-1000) underflows to exactly 0
    np.testing.assert_array_equal(y, [[0.5, 0.5], [0.0, 1.0]])


# (input_size, hidden_size, (batch, time), with_h0)
RNN_CASES = {
    "T1-no-h0": (3, 4, (2, 1), False),
    "T1-h0": (3, 4, (2, 1), True),
    "T5-no-h0": (2, 3, (3, 5), False),
    "T6-h0": (3, 2, (2, 6), True),
    "hidden1-T4-h0": (1, 1, (1, 4), True),
}


@pytest.mark.parametrize("case", sorted(RNN_CASES))
def test_rnn_gradients_through_time(case):
    n_in, n_hidden, (batch, steps), with_h0 = RNN_CASES[case]
    rng = np.random.default_rng(200 + sorted(RNN_CASES).index(case))
    layer = scratch.RNN(n_in, n_hidden, rng=rng)
    x = rng.normal(size=(batch, steps, n_in))
    upstream = rng.normal(size=(batch, steps, n_hidden))
    if with_h0:
        h0 = rng.normal(size=(batch, n_hidden)) * 0.5
        check_all_grads(layer, x, upstream, {"h0": (h0, lambda: layer.grad_h0)})
    else:
        check_all_grads(layer, x, upstream)
        assert layer.grad_h0.shape == (batch, n_hidden)


def test_rnn_grad_h0_without_h0_is_the_gradient_at_zero_state():
    rng = np.random.default_rng(9)
    layer = scratch.RNN(2, 3, rng=rng)
    x, g = rng.normal(size=(2, 4, 2)), rng.normal(size=(2, 4, 3))
    layer.forward(x)
    layer.backward(g)
    implicit = layer.grad_h0.copy()
    layer.forward(x, np.zeros((2, 3)))
    layer.backward(g)
    np.testing.assert_array_equal(implicit, layer.grad_h0)


def test_rnn_recurrence_by_hand():
    # 1 input, 1 hidden, all parameters 0.5 except b_hh = 0: h1 = tanh(0.5*1 + 0.5) = tanh(1),
    # h2 = tanh(0.5*2 + 0.5 + 0.5*h1)
    layer = scratch.RNN(1, 1, rng=0)
    for key in layer.params:
        layer.params[key][...] = 0.0 if key == "b_hh" else 0.5
    h = layer.forward(np.array([[[1.0], [2.0]]]))
    h1 = np.tanh(1.0)
    np.testing.assert_allclose(h[0, :, 0], [h1, np.tanh(1.5 + 0.5 * h1)], rtol=1e-15)


@pytest.mark.parametrize("make, shape", [
    (lambda dt: scratch.Conv2d(2, 3, 3, stride=2, padding=1, rng=0, dtype=dt), (2, 2, 5, 6)),
    (lambda dt: scratch.MaxPool2d(2), (2, 3, 4, 5)),
    (lambda dt: scratch.Flatten(), (2, 3, 4, 5)),
    (lambda dt: scratch.Softmax(1), (2, 3, 4)),
    (lambda dt: scratch.RNN(3, 4, rng=0, dtype=dt), (2, 5, 3)),
])
def test_float32_works_keeps_dtype_and_agrees_with_float64(make, shape):
    rng = np.random.default_rng(11)
    x64 = distinct_values(rng, shape) - 0.5
    g64 = rng.normal(size=make(np.float64).forward(x64).shape)
    results = {}
    for dtype in (np.float32, np.float64):
        layer = make(dtype)
        out = layer.forward(x64.astype(dtype))
        dx = layer.backward(g64.astype(dtype))
        assert out.dtype == dtype and dx.dtype == dtype
        assert all(p.dtype == dtype for p in layer.params.values())
        assert all(g.dtype == dtype for g in layer.grads.values())
        results[dtype] = (out, dx, layer.grads)
    (out32, dx32, grads32), (out64, dx64, grads64) = results[np.float32], results[np.float64]
    # float32 keeps ~7 significant digits; the float64 run is the finite-difference-checked one
    np.testing.assert_allclose(out32, out64, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dx32, dx64, rtol=1e-4, atol=1e-5)
    for key in grads64:
        np.testing.assert_allclose(grads32[key], grads64[key], rtol=1e-4, atol=1e-5)

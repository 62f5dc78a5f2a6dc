"""Bad input to Conv2d, MaxPool2d, Flatten, Softmax and RNN: clear errors naming the layer."""

import numpy as np
import pytest

import scratch

CONV = "Conv2d\\(3, 8, kernel_size=\\(3, 5\\)\\)"


def conv():
    return scratch.Conv2d(3, 8, (3, 5), rng=0)


@pytest.mark.parametrize("layer, x, exc, match", [
    (conv, np.ones((2, 3, 8)), scratch.ShapeError,
     CONV + r": expected input of shape \(batch, 3, height, width\), got \(2, 3, 8\)"),
    (conv, np.ones((2, 4, 8, 8)), scratch.ShapeError,
     CONV + r": expected input of shape \(batch, 3, height, width\), got \(2, 4, 8, 8\)"),
    (conv, np.ones((2, 3, 8, 4)), scratch.ShapeError,
     CONV + r": input width 4 is smaller than the kernel width 5"),
    (conv, np.ones((2, 3, 2, 8)), scratch.ShapeError,
     CONV + r": input height 2 is smaller than the kernel height 3"),
    (lambda: scratch.Conv2d(3, 8, 5, padding=1, rng=0), np.ones((2, 3, 2, 8)),
     scratch.ShapeError, r"input height 2 \(with padding 1 on each side\) is smaller than the "
                         r"kernel height 5"),
    (conv, np.ones((2, 3, 8, 8), np.float32), scratch.DTypeError, CONV + r".*float64.*float32"),
    (conv, np.full((2, 3, 8, 8), np.inf), scratch.NonFiniteError, CONV + r".*non-finite"),
    (conv, np.ones((0, 3, 8, 8)), scratch.EmptyBatchError, CONV + r".*empty batch"),
    (lambda: scratch.MaxPool2d(3), np.ones((2, 3, 2, 8)), scratch.ShapeError,
     r"MaxPool2d\(kernel_size=\(3, 3\)\): input height 2 is smaller than the kernel height 3"),
    (lambda: scratch.MaxPool2d(2), np.ones((3, 4, 4)), scratch.ShapeError,
     r"MaxPool2d.*\(batch, channels, height, width\), got \(3, 4, 4\)"),
    (lambda: scratch.MaxPool2d(2), np.ones((1, 1, 4, 4), np.int64), scratch.DTypeError,
     r"MaxPool2d.*int64"),
    (lambda: scratch.MaxPool2d(2), np.full((1, 1, 2, 2), np.nan), scratch.NonFiniteError,
     r"MaxPool2d.*non-finite"),
    (scratch.Flatten, np.ones(3), scratch.ShapeError,
     r"Flatten\(\): .*at least 2 dimensions, got \(3,\)"),
    (lambda: scratch.Softmax(2), np.ones((3, 2)), scratch.ShapeError,
     r"Softmax\(axis=2\): axis 2 is out of range for input of shape \(3, 2\)"),
    (lambda: scratch.Softmax(-3), np.ones((3, 2)), scratch.ShapeError, r"axis -3 is out of range"),
    (lambda: scratch.RNN(3, 4, rng=0), np.ones((2, 3)), scratch.ShapeError,
     r"RNN\(3, 4\): expected input of shape \(batch, time, 3\), got \(2, 3\)"),
    (lambda: scratch.RNN(3, 4, rng=0), np.ones((2, 5, 2)), scratch.ShapeError,
     r"RNN\(3, 4\): expected input of shape \(batch, time, 3\), got \(2, 5, 2\)"),
    (lambda: scratch.RNN(3, 4, rng=0), np.ones((2, 0, 3)), scratch.ShapeError,
     r"RNN\(3, 4\): input has no time steps"),
    (lambda: scratch.RNN(3, 4, rng=0, dtype=np.float32), np.ones((2, 5, 3)), scratch.DTypeError,
     r"RNN\(3, 4\).*float32.*float64"),
])
def test_bad_input(layer, x, exc, match):
    with pytest.raises(exc, match=match):
        layer().forward(x)


def test_errors_inside_sequential_name_the_position():
    model = scratch.Sequential(scratch.Conv2d(1, 2, 3, rng=0), scratch.MaxPool2d(2),
                               scratch.Flatten())
    with pytest.raises(scratch.ShapeError,
                       match=r"layer 1 \(MaxPool2d\(kernel_size=\(2, 2\)\)\): input height 1 is "
                             r"smaller than the kernel height 2"):
        model.forward(np.ones((1, 1, 3, 6)))  # conv leaves a 1x4 map, too small to pool


@pytest.mark.parametrize("h0, exc, match", [
    (np.ones((3, 4)), scratch.ShapeError,
     r"RNN\(3, 4\): h0 must have shape \(2, 4\), got \(3, 4\)"),
    (np.ones(4), scratch.ShapeError, r"h0 must have shape \(2, 4\), got \(4,\)"),
    (np.ones((1, 2, 4)), scratch.ShapeError, r"h0 must be \(batch, hidden_size\).*num_layers"),
    (np.ones((2, 4), np.float32), scratch.DTypeError, r"RNN\(3, 4\): h0.*float64.*float32"),
    (np.full((2, 4), np.nan), scratch.NonFiniteError, r"RNN\(3, 4\): h0.*non-finite"),
    ([[0.0] * 4] * 2, scratch.DTypeError, r"h0 must be a numpy array"),
])
def test_bad_h0(h0, exc, match):
    with pytest.raises(exc, match=match):
        scratch.RNN(3, 4, rng=0).forward(np.ones((2, 5, 3)), h0)


@pytest.mark.parametrize("make, exc, match", [
    (lambda: scratch.Conv2d(3, 8, 0), ValueError, r"Conv2d: kernel_size must be >= 1, got 0"),
    (lambda: scratch.Conv2d(3, 8, 2.0), TypeError, r"kernel_size must be an int or a pair"),
    (lambda: scratch.Conv2d(3, 8, (2, 2, 2)), TypeError, r"kernel_size.*\(2, 2, 2\)"),
    (lambda: scratch.Conv2d(3, 8, 2, stride=(1, 0)), ValueError, r"stride must be >= 1"),
    (lambda: scratch.Conv2d(3, 8, 2, padding=-1), ValueError, r"padding must be >= 0, got -1"),
    (lambda: scratch.Conv2d(0, 8, 2), ValueError, r"in_channels must be >= 1, got 0"),
    (lambda: scratch.Conv2d(3, True, 2), TypeError, r"out_channels must be an int, got True"),
    (lambda: scratch.Conv2d(3, 8, 2, dtype=np.int32), scratch.DTypeError, r"Conv2d: dtype"),
    (lambda: scratch.MaxPool2d(2, stride=0), ValueError, r"MaxPool2d: stride must be >= 1"),
    (lambda: scratch.MaxPool2d(None), TypeError, r"MaxPool2d: kernel_size"),
    (lambda: scratch.Softmax(1.0), TypeError, r"Softmax: axis must be an int, got 1.0"),
    (lambda: scratch.RNN(0, 4), ValueError, r"RNN: input_size must be >= 1"),
    (lambda: scratch.RNN(3, 2.5), TypeError, r"RNN: hidden_size must be an int"),
])
def test_bad_constructor_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


@pytest.mark.parametrize("layer, x", [
    (lambda: scratch.Conv2d(1, 2, 3, rng=0), np.ones((2, 1, 5, 5))),
    (lambda: scratch.MaxPool2d(2), np.ones((2, 1, 4, 4))),
    (scratch.Flatten, np.ones((2, 1, 4, 4))),
    (scratch.Softmax, np.ones((2, 3))),
    (lambda: scratch.RNN(3, 2, rng=0), np.ones((2, 4, 3))),
])
def test_backward_checks_grad_out_and_needs_forward(layer, x):
    fresh = layer()
    with pytest.raises(scratch.BackwardBeforeForwardError, match="before forward"):
        fresh.backward(np.ones((1,)))
    out = fresh.forward(x)
    wrong = np.ones(out.shape[:-1] + (out.shape[-1] + 1,))
    with pytest.raises(scratch.ShapeError, match=r"grad_out must have shape"):
        fresh.backward(wrong)  # must not broadcast or truncate
    with pytest.raises(scratch.DTypeError, match=r"grad_out.*float64.*float32"):
        fresh.backward(np.ones(out.shape, np.float32))

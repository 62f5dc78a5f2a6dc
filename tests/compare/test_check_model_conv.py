"""check_model on conv and recurrent nets: passes the real layers, and pins each planted
backprop bug on the layer that has it (and, for parameters, on the right gradient)."""

import numpy as np
import pytest

import compare
import scratch
import torch_ref
from twinnet.mutants.deep_bugs import (
    Conv2dInputGradChannelsReshaped,
    Conv2dInputGradFlippedKernel,
    Conv2dWeightGradReshapedNotTransposed,
    MaxPoolGradToWindowCorner,
    MaxPoolTiesToLastMax,
    RNNBackpropOneStepShort,
)


def cnn(rng, conv1=scratch.Conv2d, conv2=scratch.Conv2d, pool=scratch.MaxPool2d):
    """Conv -> ReLU -> pool -> Conv -> Tanh -> Flatten -> Linear, on (N, 2, 7, 6) images.

    Sizes: conv1 (3, 2) kernel, padding 1: (7 + 2 - 3 + 1, 6 + 2 - 2 + 1) = (7, 7); the
    2x2 stride-1 pool: (6, 6); conv2 3x3, stride 2, padding (1, 0): ((6 + 2 - 3)//2 + 1,
    (6 - 3)//2 + 1) = (3, 2); so Flatten gives 2 * 3 * 2 = 12 features.
    """
    return scratch.Sequential(
        conv1(2, 3, (3, 2), stride=1, padding=1, rng=rng), scratch.ReLU(), pool(2, 1),
        conv2(3, 2, 3, stride=2, padding=(1, 0), rng=rng), scratch.Tanh(), scratch.Flatten(),
        scratch.Linear(2 * 3 * 2, 3, rng=rng))


def rnn_net(rng, rnn1=scratch.RNN, rnn2=scratch.RNN):
    return scratch.Sequential(rnn1(3, 4, rng=rng), rnn2(4, 2, rng=rng), scratch.Flatten(),
                              scratch.Linear(2 * 5, 3, rng=rng))


def run(model, x, rng):
    return compare.check_model(model, x, rng.integers(0, 3, x.shape[0]), loss="cross_entropy")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_real_layers_pass(dtype):
    rng = np.random.default_rng(0)
    for make, shape in ((cnn, (4, 2, 7, 6)), (rnn_net, (3, 5, 3))):
        model = make(rng)
        if dtype == np.float32:  # an exact float32 copy, through the twin round trip
            model = torch_ref.from_torch(torch_ref.to_torch(model, dtype=np.float32))
        report = run(model, rng.normal(size=shape).astype(dtype), rng)
        assert report.ok, str(report)


@pytest.mark.parametrize("kwargs, layer, wrong", [
    ({"conv1": Conv2dInputGradFlippedKernel}, 0, ["dL/dinput"]),
    ({"conv2": Conv2dInputGradFlippedKernel}, 3, ["dL/dinput"]),
    ({"conv2": Conv2dInputGradChannelsReshaped}, 3, ["dL/dinput"]),
    ({"conv1": Conv2dWeightGradReshapedNotTransposed}, 0, ["dL/dW"]),
    ({"conv2": Conv2dWeightGradReshapedNotTransposed}, 3, ["dL/dW"]),
    ({"pool": MaxPoolGradToWindowCorner}, 2, ["dL/dinput"]),
])
def test_check_model_pins_conv_and_pool_bugs(kwargs, layer, wrong):
    rng = np.random.default_rng(1)
    report = run(cnn(rng, **kwargs), rng.normal(size=(4, 2, 7, 6)), rng)
    div = report.first_divergence
    assert div is not None and div.phase == "backward", str(report)
    assert div.layer == layer, div.message
    assert [e.label for e in div.entries] == wrong, div.message


def test_check_model_pins_the_tie_rule_where_ties_are_exact():
    # A zero filter makes one channel exact zeros after ReLU: every pooling window
    # of it is a tie, which torch breaks at the first element and the bug at the last.
    rng = np.random.default_rng(2)
    model = cnn(rng, pool=MaxPoolTiesToLastMax)
    model[0].params["W"][1] = 0
    model[0].params["b"][1] = 0
    report = run(model, rng.normal(size=(4, 2, 7, 6)), rng)
    div = report.first_divergence
    assert div is not None and (div.layer, div.entry.label) == (2, "dL/dinput"), str(report)
    assert report.entry("layer 2", "forward").ok  # the pooled values themselves agree


@pytest.mark.parametrize("position", [0, 1])
def test_check_model_pins_bptt_one_step_short(position):
    rng = np.random.default_rng(3)
    broken = RNNBackpropOneStepShort
    kwargs = {"rnn1": broken} if position == 0 else {"rnn2": broken}
    report = run(rnn_net(rng, **kwargs), rng.normal(size=(3, 5, 3)), rng)
    div = report.first_divergence
    assert div is not None and div.layer == position, str(report)
    # dL/dW_hh is right by luck: the missing first step's term is h0^T (...) with h0 = 0
    assert {e.label for e in div.entries} == {"dL/dW_ih", "dL/db_ih", "dL/db_hh",
                                              "dL/dinput"}, div.message


@pytest.mark.parametrize("make, shape, broken_cls", [
    (lambda rng, cls=scratch.Conv2d: scratch.Sequential(
        cls(2, 3, 3, stride=2, padding=1, rng=rng), scratch.Tanh(), scratch.MaxPool2d(2, 1),
        scratch.Flatten()), (2, 2, 7, 7), Conv2dInputGradFlippedKernel),
    (lambda rng, cls=scratch.RNN: cls(3, 4, rng=rng), (2, 4, 3), RNNBackpropOneStepShort),
])
def test_gradcheck_takes_image_and_sequence_inputs_and_flags_the_bug(make, shape, broken_cls):
    x = np.random.default_rng(4).normal(size=shape)
    assert compare.gradcheck(make(np.random.default_rng(5)), x).ok
    broken = compare.gradcheck(make(np.random.default_rng(5), broken_cls), x)
    assert not broken.ok and "dL/dinput" in [e.label for e in broken.failures]

"""Conv2d, MaxPool2d, Flatten, Softmax and RNN follow the layer contract; init follows torch."""

import numpy as np
import pytest

import scratch


def layers_and_inputs(rng):
    return {
        "Conv2d": (scratch.Conv2d(2, 3, (3, 2), stride=2, padding=1, rng=rng),
                   rng.normal(size=(2, 2, 5, 6))),
        "MaxPool2d": (scratch.MaxPool2d(3, 2), rng.normal(size=(2, 2, 5, 6))),
        "Flatten": (scratch.Flatten(), rng.normal(size=(2, 2, 5, 6))),
        "Softmax": (scratch.Softmax(1), rng.normal(size=(2, 4, 3))),
        "RNN": (scratch.RNN(3, 4, rng=rng), rng.normal(size=(2, 5, 3))),
    }


@pytest.mark.parametrize("name", ["Conv2d", "MaxPool2d", "Flatten", "Softmax", "RNN"])
def test_backward_overwrites_and_leaves_inputs_alone(name):
    rng = np.random.default_rng(0)
    layer, x = layers_and_inputs(rng)[name]
    x_before = x.copy()
    out = layer.forward(x)
    g = rng.normal(size=out.shape)
    dx1 = layer.backward(g).copy()
    first = {k: v.copy() for k, v in layer.grads.items()}
    dx2 = layer.backward(g)
    np.testing.assert_array_equal(dx1, dx2)
    for key in first:
        np.testing.assert_array_equal(layer.grads[key], first[key])  # not doubled
    np.testing.assert_array_equal(x, x_before)
    assert layer.grads.keys() == layer.params.keys()
    for key in layer.params:
        assert layer.grads[key].shape == layer.params[key].shape
    layer.zero_grad()
    assert all(not g.any() for g in layer.grads.values())


def test_parameter_shapes_and_names():
    conv = scratch.Conv2d(2, 5, (3, 4), rng=0)
    assert conv.params["W"].shape == (5, 2, 3, 4)  # torch's weight layout, not transposed
    assert conv.params["b"].shape == (5,)
    assert list(scratch.Conv2d(2, 5, 3, bias=False, rng=0).params) == ["W"]
    rnn = scratch.RNN(3, 7, rng=0)
    assert {k: v.shape for k, v in rnn.params.items()} == {
        "W_ih": (3, 7), "W_hh": (7, 7), "b_ih": (7,), "b_hh": (7,)}
    model = scratch.Sequential(conv, scratch.ReLU(), scratch.MaxPool2d(2), scratch.Flatten(),
                               scratch.Linear(5, 2, rng=0))
    assert list(model.params) == ["0.W", "0.b", "4.W", "4.b"]
    assert [p for p in (scratch.MaxPool2d(2), scratch.Flatten(), scratch.Softmax())
            if p.params] == []


@pytest.mark.parametrize("make, fan", [
    (lambda rng: scratch.Conv2d(4, 64, (3, 5), rng=rng), 4 * 3 * 5),  # fan_in = C*kH*kW
    (lambda rng: scratch.RNN(5, 36, rng=rng), 36),  # torch's RNN bound uses hidden_size
])
def test_init_is_uniform_within_torch_bound(make, fan):
    layer = make(np.random.default_rng(0))
    bound = 1 / np.sqrt(fan)
    for key, p in layer.params.items():
        assert np.abs(p).max() <= bound, key
        if p.size >= 36:  # enough draws to come near both ends of U(-bound, bound)
            assert p.max() > 0.8 * bound and p.min() < -0.8 * bound, key
    again = make(np.random.default_rng(0))
    for key in layer.params:
        np.testing.assert_array_equal(layer.params[key], again.params[key])


def test_setters_refuse_wrong_shapes():
    conv = scratch.Conv2d(2, 3, 3, rng=0)
    with pytest.raises(scratch.ShapeError, match=r"parameter 'W' must have shape \(3, 2, 3, 3\)"):
        conv.W = np.ones((2, 3, 3, 3))


def test_a_small_cnn_learns_with_sgd():
    # two classes of 6x6 images: a bright vertical bar vs a bright horizontal bar
    rng = np.random.default_rng(0)
    x = rng.normal(scale=0.1, size=(32, 1, 6, 6))
    labels = np.arange(32) % 2
    x[labels == 0, 0, :, 2] += 1.0
    x[labels == 1, 0, 2, :] += 1.0
    model = scratch.Sequential(scratch.Conv2d(1, 4, 3, padding=1, rng=rng), scratch.ReLU(),
                               scratch.MaxPool2d(2), scratch.Flatten(),
                               scratch.Linear(4 * 3 * 3, 2, rng=rng))
    loss, opt = scratch.CrossEntropyLoss(), scratch.SGD(model, lr=0.5)
    losses = []
    for _ in range(30):
        losses.append(loss.forward(model.forward(x), labels))
        model.backward(loss.backward())
        opt.step()
    assert losses[-1] < 0.1 * losses[0]
    assert (model.forward(x).argmax(1) == labels).all()


def test_rnn_last_state_feeds_the_next_chunk():
    # running a sequence in two chunks, passing the last state as h0, equals one run
    rng = np.random.default_rng(1)
    rnn = scratch.RNN(2, 3, rng=rng)
    x = rng.normal(size=(2, 6, 2))
    whole = rnn.forward(x)
    first = rnn.forward(x[:, :4])
    second = rnn.forward(x[:, 4:], first[:, -1])
    np.testing.assert_array_equal(np.concatenate([first, second], axis=1), whole)

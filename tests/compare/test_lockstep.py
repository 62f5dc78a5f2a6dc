"""compare.lockstep: agrees on correct code, and names the step and parameter of a planted bug.

Expected trajectories come from independent training loops written here (plain
NumPy arithmetic for scratch, plain torch autograd for torch), or from the
lecture's printed loss.
"""

import numpy as np
import pytest
import torch

import scratch
import torch_ref
from compare.lockstep_run import LockstepDivergence, assert_lockstep, lockstep
from compare.tolerances import tolerance_for

LECTURE_W = np.array([[1.0, -1.0, 3.0], [2.0, 2.0, -1.0]])
LECTURE_V = np.array([[0.1], [0.5], [-0.1]])
LECTURE_X = np.array([[5.0, 3.0]])


def mlp(seed=0, dtype=np.float64, hidden_act=scratch.Tanh, out=1, last=scratch.Sigmoid):
    rng = np.random.default_rng(seed)
    layers = [scratch.Linear(3, 4, rng=rng, dtype=dtype), hidden_act(),
              scratch.Linear(4, out, rng=rng, dtype=dtype)]
    return scratch.Sequential(*layers, *([last()] if last else []))


def data(seed=1, dtype=np.float64, n=6):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(dtype)
    y = (rng.random((n, 1)) > 0.5).astype(dtype)
    return x, y


def lecture_net():
    net = scratch.Net(2, 3, rng=0)
    net.l1.W, net.l2.W = LECTURE_W.copy(), LECTURE_V.copy()
    return net


# -- agreement on correct code ------------------------------------------------------
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sequential_bce_agrees_and_matches_an_independent_torch_loop(momentum):
    model = mlp()
    reference = torch_ref.to_torch(model)  # taken before lockstep trains `model` in place
    x, y = data()
    result = lockstep(model, x, y, "bce", steps=20, lr=0.5, momentum=momentum)
    assert result.ok, result.message
    assert result.steps_run == 20 and len(result.history) == 20

    # The torch side must really have trained: replay it with a plain torch loop.
    opt = torch.optim.SGD(reference.parameters(), lr=0.5, momentum=momentum)
    expected = []
    for _ in range(20):
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy(reference(torch.from_numpy(x)),
                                                        torch.from_numpy(y))
        loss.backward()
        opt.step()
        expected.append(loss.item())
    loss_s, loss_t = result.losses()
    np.testing.assert_allclose(loss_t, expected, rtol=0, atol=1e-14)
    np.testing.assert_allclose(loss_s, expected, rtol=0, atol=1e-12)
    assert loss_s[-1] < loss_s[0]  # it trained, so agreement is not two frozen copies
    np.testing.assert_allclose(model.params["0.W"], reference[0].weight.detach().numpy().T,
                               rtol=0, atol=1e-12)


def test_scratch_side_follows_plain_sgd_arithmetic():
    # One Linear layer with MSE: dL/dW = 2 x^T (xW + b - y) / n, written out here.
    rng = np.random.default_rng(3)
    layer = scratch.Linear(3, 1, rng=rng)
    W, b = layer.W.copy(), layer.b.copy()
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 1))
    result = lockstep(layer, x, y, "mse", steps=3, lr=0.1)
    assert result.ok, result.message
    for _ in range(3):
        r = x @ W + b - y
        W, b = W - 0.1 * 2 * x.T @ r / 5, b - 0.1 * 2 * r.sum(axis=0) / 5
    np.testing.assert_allclose(layer.W, W, rtol=0, atol=1e-14)
    np.testing.assert_allclose(layer.b, b, rtol=0, atol=1e-14)


def test_cross_entropy_float32_uses_the_float32_tolerances():
    model = mlp(dtype=np.float32, hidden_act=scratch.ReLU, out=3, last=None)
    x, _ = data(dtype=np.float32)
    labels = np.array([0, 2, 1, 1, 0, 2])
    result = lockstep(model, x, labels, "cross_entropy", steps=30, lr=0.1, momentum=0.5)
    assert result.ok, result.message
    table = tolerance_for(np.float32, "forward")
    assert (result.rtol, result.atol) == (table.rtol, table.atol) == (1.3e-6, 1e-5)


def test_lecture_net_starts_at_the_lecture_loss_and_agrees_for_100_steps():
    result = lockstep(lecture_net(), LECTURE_X, 1, None, steps=100, lr=0.1)
    assert result.ok, result.message
    loss_s, loss_t = result.losses()
    assert loss_s[0] == pytest.approx(0.52699227, abs=5e-9)  # cell [85] prints 0.52699227
    assert np.max(np.abs(loss_s - loss_t)) <= 1e-10
    assert result.max_param_diff <= 1e-10
    assert set(result.history[-1].param_diff) == {"l1.W", "l2.W"}


def test_lecture_net_momentum_uses_scratch_sgd_and_agrees():
    result = lockstep(lecture_net(), np.array([[5.0, 3.0], [1.0, -2.0]]), np.array([1, 0]),
                      None, steps=25, lr=0.1, momentum=0.9)
    assert result.ok, result.message


# -- planted bugs -----------------------------------------------------------------
class SigmoidMissingFactor(scratch.Sigmoid):
    """Planted bug: dy/dx = y instead of y (1 - y)."""

    def _backward(self, grad_out):
        return grad_out * self._out


class SigmoidWrongFromThirdCall(scratch.Sigmoid):
    """Correct for two backward calls, then off by 1% (a bug that shows up late)."""

    calls = 0

    def _backward(self, grad_out):
        self.calls += 1
        good = super()._backward(grad_out)
        return good * 1.01 if self.calls >= 3 else good


def test_wrong_gradient_fails_at_step_1_naming_only_the_layers_below_it():
    model = mlp(hidden_act=SigmoidMissingFactor)  # layer 1; layers 0 and 2 are Linear
    x, y = data()
    result = lockstep(model, x, y, "bce", steps=10, lr=0.1)
    assert not result.ok
    assert result.failed_step == 1 and result.steps_run == 1
    assert result.failure.kind == "gradient"
    assert result.failure.name in ("0.W", "0.b")
    # Only layer 0 sits below the broken activation; layer 2's gradients are right.
    assert {m.name for m in result.failures} == {"0.W", "0.b"}
    assert "at step 1 of 10" in result.message
    assert f"'{result.failure.name}'" in result.message
    assert f"torch '{result.failure.torch_name}'" in result.message


def test_bug_that_appears_late_is_reported_at_its_step():
    model = mlp(hidden_act=SigmoidWrongFromThirdCall)
    x, y = data()
    result = lockstep(model, x, y, "bce", steps=10, lr=0.1)
    assert not result.ok
    assert result.failed_step == 3
    assert result.failure.kind == "gradient" and result.failure.name in ("0.W", "0.b")
    assert len(result.history) == 3 and all(r.max_param_diff < 1e-12 for r in result.history[:2])


def test_broken_lecture_layer_names_l1():
    class ScaledGrad(scratch.LinearSigmoid):
        def _backward(self, grad_out):
            dx = super()._backward(grad_out)
            self.grads["W"] *= 1.001
            return dx

    net = lecture_net()
    broken = ScaledGrad(2, 3, rng=0)
    broken.W = LECTURE_W.copy()
    net.l1 = broken
    result = lockstep(net, LECTURE_X, 1, None, steps=5, lr=0.1)
    assert not result.ok and result.failed_step == 1
    assert result.failure.name == "l1.W" and result.failure.kind == "gradient"
    assert "l2.W" not in {m.name for m in result.failures}


def test_torch_twin_with_a_different_lr_fails_at_step_1_on_the_update():
    model = mlp()
    x, y = data()
    result = lockstep(model, x, y, "bce", steps=10, lr=0.1,
                      torch_optimizer=lambda p: torch.optim.SGD(p, lr=0.1001))
    assert not result.ok and result.failed_step == 1
    assert result.failure.kind == "parameter"  # gradients agreed; the step did not
    assert all(m.kind == "parameter" for m in result.failures)
    assert "update itself differs" in result.message


def test_torch_twin_without_momentum_fails_at_step_2():
    # With momentum the first step is buf = g, the same as plain SGD; the second differs.
    model = mlp()
    x, y = data()
    result = lockstep(model, x, y, "bce", steps=10, lr=0.1, momentum=0.9,
                      torch_optimizer=lambda p: torch.optim.SGD(p, lr=0.1))
    assert not result.ok and result.failed_step == 2
    assert result.failure.kind == "parameter"


def test_twin_with_different_starting_weights_fails_before_training():
    model = mlp()
    twin = torch_ref.to_torch(model)
    with torch.no_grad():
        twin[2].bias[0] += 1e-3
    x, y = data()
    result = lockstep(model, x, y, "bce", steps=10, lr=0.1, twin=twin)
    assert not result.ok and result.failed_step == 0 and result.steps_run == 0
    assert result.failure.name == "2.b" and result.failure.torch_name == "2.bias"
    assert "before training" in result.message


def test_non_finite_values_count_as_divergence():
    model = mlp()
    twin = torch_ref.to_torch(model)
    with torch.no_grad():
        twin[0].weight[1, 2] = float("nan")
    x, y = data()
    result = lockstep(model, x, y, "bce", steps=3, lr=0.1, twin=twin)
    assert not result.ok and result.failed_step == 0
    # torch's weight[1, 2] is scratch's W[2, 1]: the index is reported in scratch's layout.
    assert result.failure.name == "0.W" and result.failure.index == (2, 1)
    assert "NaN on one side" in result.message


def test_zero_tolerance_accepts_exact_equality():
    # The starting weights are copies, so they match exactly; 0/0 must not count as drift.
    x, y = data()
    result = lockstep(mlp(), x, y, "bce", steps=2, lr=0.1, rtol=0.0, atol=0.0)
    assert result.failed_step != 0
    assert (result.rtol, result.atol) == (0.0, 0.0)


def test_assert_lockstep_raises_with_the_result_and_passes_quietly():
    x, y = data()
    with pytest.raises(LockstepDivergence, match="at step 1") as err:
        assert_lockstep(mlp(hidden_act=SigmoidMissingFactor), x, y, "bce", 5, 0.1)
    assert isinstance(err.value, AssertionError)
    assert err.value.result.failed_step == 1
    assert assert_lockstep(mlp(), x, y, "bce", 5, 0.1).ok


def test_record_false_keeps_only_the_last_step():
    x, y = data()
    result = lockstep(mlp(), x, y, "bce", 7, 0.1, record=False)
    assert result.ok and len(result.history) == 1 and result.history[0].step == 7
    with pytest.raises(ValueError, match="record=True"):
        result.losses()


@pytest.mark.parametrize("kwargs, match", [
    (dict(rtol=1e-3), "rtol and atol travel together"),
    (dict(loss=None), "needs a loss"),
    (dict(steps=0), "steps >= 1"),
])
def test_bad_arguments_raise(kwargs, match):
    x, y = data()
    args = dict(model=mlp(), x=x, y=y, loss="bce", steps=3, lr=0.1) | kwargs
    with pytest.raises(ValueError, match=match):
        lockstep(**args)


def test_net_refuses_a_separate_loss():
    with pytest.raises(ValueError, match="loss built in"):
        lockstep(lecture_net(), LECTURE_X, 1, "bce", 3, 0.1)


def test_exported_from_compare():
    import compare

    assert compare.lockstep is lockstep
    assert compare.assert_lockstep is assert_lockstep

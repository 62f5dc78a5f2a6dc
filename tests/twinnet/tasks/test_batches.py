"""lockstep_batches: minibatch lockstep agrees with a plain torch loop, numbers steps globally,
and reports drift at the step it happens."""

import numpy as np
import pytest
import torch

import scratch
import torch_ref
from twinnet.tasks import epoch_batches, lockstep_batches


def test_each_epoch_is_a_permutation_cut_into_near_equal_batches():
    batches = epoch_batches(10, 4, steps=7, rng=np.random.default_rng(0))
    assert len(batches) == 7
    # ceil(10 / 4) = 3 batches per epoch, sizes 4, 3, 3 (array_split puts the extra first)
    for epoch in (batches[0:3], batches[3:6]):
        assert [len(b) for b in epoch] == [4, 3, 3]
        assert sorted(np.concatenate(epoch).tolist()) == list(range(10))
    assert not np.array_equal(np.concatenate(batches[0:3]), np.concatenate(batches[3:6]))


@pytest.mark.parametrize("batch_size", [None, 10, 50])
def test_full_batch_uses_every_sample_every_step(batch_size):
    x = np.arange(10)
    for rows in epoch_batches(10, batch_size, steps=3, rng=np.random.default_rng(0)):
        assert np.array_equal(x[rows], x)


@pytest.mark.parametrize("kwargs", [{"steps": 0}, {"n_samples": 0}, {"batch_size": 0}])
def test_epoch_batches_refuses_empty_requests(kwargs):
    args = {"n_samples": 5, "batch_size": 2, "steps": 3, **kwargs}
    with pytest.raises(ValueError, match="epoch_batches"):
        epoch_batches(rng=np.random.default_rng(0), **args)


def small_problem(seed=0):
    rng = np.random.default_rng(seed)
    model = scratch.Sequential(scratch.Linear(3, 5, rng=rng), scratch.Tanh(),
                               scratch.Linear(5, 3, rng=rng))
    x = rng.normal(size=(12, 3))
    y = rng.integers(0, 3, 12)
    return model, x, y


def test_agrees_with_a_plain_torch_minibatch_loop():
    model, x, y = small_problem()
    reference = torch_ref.to_torch(model)  # before training
    batches = epoch_batches(12, 5, steps=9, rng=np.random.default_rng(1))
    result = lockstep_batches(model, x, y, batches, "cross_entropy", lr=0.4)
    assert result.ok, result.message
    assert result.steps_run == result.steps == 9
    assert [r.step for r in result.history] == list(range(1, 10))

    expected = []
    for rows in batches:
        reference.zero_grad()
        loss = torch.nn.functional.cross_entropy(reference(torch.from_numpy(x[rows])),
                                                 torch.from_numpy(y[rows]))
        loss.backward()
        with torch.no_grad():
            for p in reference.parameters():
                p -= 0.4 * p.grad
        expected.append(loss.item())
    loss_s, loss_t = result.losses()
    np.testing.assert_allclose(loss_t, expected, rtol=0, atol=1e-14)
    np.testing.assert_allclose(loss_s, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(model.params["2.W"], reference[2].weight.detach().numpy().T,
                               rtol=0, atol=1e-12)
    assert result.max_param_diff == max(r.max_param_diff for r in result.history)


class TanhWrongOnThirdBackward(scratch.Tanh):
    """Right for two backward passes, then forgets the derivative (a bug that waits)."""

    calls = 0

    def _backward(self, grad_out):
        self.calls += 1
        return grad_out if self.calls >= 3 else super()._backward(grad_out)


def test_a_late_bug_is_reported_at_its_global_step():
    rng = np.random.default_rng(0)
    model = scratch.Sequential(scratch.Linear(3, 5, rng=rng), TanhWrongOnThirdBackward(),
                               scratch.Linear(5, 3, rng=rng))
    _, x, y = small_problem()
    batches = epoch_batches(12, 4, steps=6, rng=np.random.default_rng(1))
    result = lockstep_batches(model, x, y, batches, "cross_entropy", lr=0.4)
    assert not result.ok
    assert result.failed_step == 3 and result.steps_run == 3
    # Only the layer below the broken Tanh has a wrong gradient.
    assert {m.name for m in result.failures if m.kind == "gradient"} == {"0.W", "0.b"}
    assert "at step 3 of 6" in result.message and "'0." in result.message


def test_the_twin_is_never_rebuilt_so_drift_between_steps_shows():
    model, x, y = small_problem()
    batches = epoch_batches(12, 4, steps=6, rng=np.random.default_rng(1))

    def nudge(step):
        if step == 2:
            model.params["2.b"][1] += 1e-3  # scratch only

    result = lockstep_batches(model, x, y, batches, "cross_entropy", lr=0.4, after_step=nudge)
    assert not result.ok and result.failed_step == 2
    assert (result.failure.kind, result.failure.name) == ("parameter", "2.b")
    assert result.failure.index == (1,)


def test_needs_a_batch():
    model, x, y = small_problem()
    with pytest.raises(ValueError, match="at least one batch"):
        lockstep_batches(model, x, y, [], "cross_entropy", lr=0.1)

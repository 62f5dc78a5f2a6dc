"""run_task: both tasks learn and stay in lockstep; the numbers it reports match a plain
torch replay of the same training; planted bugs stop the digits run at step 1 on the right
parameter."""

import numpy as np
import pytest
import torch

import compare
import scratch
from twinnet.mutants.deep_bugs import (
    Conv2dInputGradFlippedKernel,
    Conv2dWeightGradReshapedNotTransposed,
    MaxPoolGradToWindowCorner,
)
from twinnet.tasks import TASKS, digits_cnn, epoch_batches, run_task
from twinnet.tasks.runs import torch_threads

from .conftest import DIGITS_STEPS, DIGITS_SUBSET, IRIS_STEPS


def torch_replay(model: torch.nn.Module, x, y, batches, lr):
    """Plain torch SGD (autograd, p -= lr * grad) over the batches: per-step losses (K,)."""
    losses = []
    for rows in batches:
        model.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x[rows])),
                                                 torch.from_numpy(y[rows]))
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        losses.append(loss.item())
    return np.array(losses)


def torch_accuracy(model, x, y) -> float:
    with torch.no_grad():
        return float((model(torch.from_numpy(x)).argmax(dim=1).numpy() == y).mean())


def replay_and_compare(run, initial_twin, batches):
    split = run.split
    x, y = split.x_train[:run.n_fit], split.y_train[:run.n_fit]
    with torch_threads(1):  # tiny tensors: one thread is far quicker on a busy machine
        expected_loss = torch_replay(initial_twin, x, y, batches, run.lr)
    loss_s, loss_t = run.result.losses()
    np.testing.assert_allclose(loss_t, expected_loss, rtol=0, atol=1e-13)
    np.testing.assert_allclose(loss_s, expected_loss, rtol=0, atol=1e-12)
    for part, xs, ys in (("train", split.x_train, split.y_train),
                         ("test", split.x_test, split.y_test)):
        expected = torch_accuracy(initial_twin, xs, ys)
        assert run.accuracy[("torch", part)] == expected
        assert run.accuracy[("scratch", part)] == expected  # same predictions, in lockstep


def test_digits_cnn_stays_in_lockstep_for_50_steps_and_learns(digits_run):
    run, _ = digits_run
    assert run.ok, run.result.message
    assert run.result.steps_run == DIGITS_STEPS == 50
    assert run.result.max_param_diff < 1e-12  # float64 roundoff only
    assert run.result.max_loss_diff < 1e-12
    # 10 classes: chance is 0.1. After 50 steps on 256 images it is ~0.75-0.85 (seeds 0-2).
    assert run.accuracy[("scratch", "test")] > 0.5
    assert run.prediction_disagreements == 0
    loss_s, _ = run.result.losses()
    assert loss_s[-5:].mean() < 0.5 * loss_s[:5].mean()


def test_digits_numbers_match_a_plain_torch_replay(digits_run):
    run, initial_twin = digits_run
    # The batch order the run documents: the third of default_rng(seed).spawn(3).
    batch_rng = np.random.default_rng(run.seed).spawn(3)[2]
    batches = epoch_batches(DIGITS_SUBSET, TASKS["digits"].batch_size, DIGITS_STEPS, batch_rng)
    replay_and_compare(run, initial_twin, batches)


def test_iris_mlp_learns_in_lockstep_and_matches_a_plain_torch_replay(iris_run):
    run, initial_twin = iris_run
    assert run.ok, run.result.message
    assert run.result.steps_run == IRIS_STEPS
    # 3 classes: chance is 1/3; after 50 full-batch steps seeds 0-3 give 0.9-1.0.
    assert run.accuracy[("scratch", "test")] > 0.8
    replay_and_compare(run, initial_twin, [slice(None)] * IRIS_STEPS)


def test_accuracy_curve_starts_untrained_and_ends_at_the_final_accuracy(iris_run):
    run, _ = iris_run
    every = TASKS["iris"].eval_every
    assert run.curve.steps == list(range(0, IRIS_STEPS + 1, every))
    for key, final in run.accuracy.items():
        assert run.curve.values[key][-1] == final
    assert run.curve.values[("scratch", "train")][0] < run.accuracy[("scratch", "train")]


@pytest.mark.parametrize("pool, conv, wrong", [
    (scratch.MaxPool2d, Conv2dWeightGradReshapedNotTransposed, {"0.W"}),
    (MaxPoolGradToWindowCorner, scratch.Conv2d, {"0.W", "0.b"}),
])
def test_a_planted_conv_or_pool_bug_fails_the_digits_run_at_step_1(pool, conv, wrong):
    run = run_task("digits", steps=20, train_limit=64,
                   build=lambda rng, dtype: digits_cnn(rng, dtype, conv=conv, pool=pool))
    res = run.result
    assert not res.ok and res.failed_step == 1 and res.steps_run == 1
    assert {m.name for m in res.failures if m.kind == "gradient"} == wrong
    assert res.failure.kind == "gradient" and res.failure.name in wrong
    assert "at step 1 of 20" in res.message
    assert f"gradient of '{res.failure.name}'" in res.message


def test_a_first_layer_input_gradient_bug_is_invisible_to_training_but_not_to_check_model():
    # dL/dx of the first layer feeds nothing (x is data), so training cannot see it...
    build = lambda rng, dtype: digits_cnn(rng, dtype, conv=Conv2dInputGradFlippedKernel)  # noqa: E731
    run = run_task("digits", steps=3, train_limit=64, build=build)
    assert run.ok, run.result.message
    # ...while check_model compares every layer's dL/dinput and pins it on layer 0.
    x, y = run.split.x_train[:8], run.split.y_train[:8]
    report = compare.check_model(build(np.random.default_rng(0), np.float64), x, y,
                                 loss="cross_entropy")
    assert report.first_divergence is not None and report.first_divergence.layer == 0


def test_unknown_task_is_refused():
    with pytest.raises(ValueError, match="unknown task 'mnist'"):
        run_task("mnist")


def test_training_runs_on_one_torch_thread_and_restores_the_setting():
    before = torch.get_num_threads()
    seen = []
    with torch_threads(1):
        seen.append(torch.get_num_threads())
    assert seen == [1] and torch.get_num_threads() == before
    with pytest.raises(ValueError, match="n >= 1"), torch_threads(0):
        pass

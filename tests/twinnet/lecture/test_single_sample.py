"""Cell [95]: 100 single-sample steps, scratch and torch in lockstep to <= 1e-10.

Independent witness: the lecture's loop replayed with plain torch autograd here.
"""

import re

import numpy as np
import pytest
import torch

from twinnet.cli import main
from twinnet.lecture.reference import example_arrays
from twinnet.lecture.single_sample import format_single_sample, run_single_sample


def plain_torch_trajectory(label, W, V, steps=100, lr=0.1):
    """(loss, score) before each update of the lecture's loop, by torch autograd alone."""
    x = torch.tensor([[5.0, 3.0]], dtype=torch.float64)
    W = torch.tensor(W, requires_grad=True)
    V = torch.tensor(V, requires_grad=True)
    losses, scores = [], []
    for _ in range(steps):
        y = torch.sigmoid(torch.sigmoid(x @ W) @ V)
        J = (-torch.log(y) if label == 1 else -torch.log(1 - y)).sum()
        W.grad = V.grad = None
        J.backward()
        with torch.no_grad():
            W -= lr * W.grad
            V -= lr * V.grad
        losses.append(J.item())
        scores.append(y.item())
    return np.array(losses), np.array(scores)


@pytest.fixture(scope="module")
def runs():
    return run_single_sample()


def test_both_labels_agree_to_1e_10_over_100_steps(runs):
    assert [r.label for r in runs] == [1, 0]
    for run in runs:
        assert run.result.ok, run.result.message
        assert run.result.steps_run == 100
        assert run.max_trajectory_diff <= 1e-10


def test_trajectories_equal_the_lecture_loop_in_plain_torch(runs):
    _, W, V = example_arrays()
    for run in runs:
        losses, scores = plain_torch_trajectory(run.label, W, V)
        np.testing.assert_allclose(run.loss_scratch, losses, rtol=1e-12, atol=0)
        np.testing.assert_allclose(run.score_scratch, scores, rtol=1e-12, atol=0)
        np.testing.assert_allclose(run.loss_torch, losses, rtol=1e-12, atol=0)


def test_label_1_starts_at_the_lecture_loss_and_both_approach_zero(runs):
    assert runs[0].loss_scratch[0] == pytest.approx(0.52699227, abs=5e-9)  # cell [85]
    for run in runs:
        assert run.loss_scratch[-1] < run.loss_scratch[0] / 5
        assert np.all(np.diff(run.loss_scratch) < 0)


def test_other_weights_give_other_trajectories(runs):
    _, W, V = example_arrays()
    V[1, 0] = -0.5
    moved = run_single_sample(labels=(1,), steps=10, W=W, V=V)[0]
    losses, _ = plain_torch_trajectory(1, W, V, steps=10)
    np.testing.assert_allclose(moved.loss_scratch, losses, rtol=1e-12)
    assert moved.loss_scratch[0] != runs[0].loss_scratch[0]


def test_printed_table_comes_from_the_runs(runs):
    text = format_single_sample(runs, every=25)
    for run in runs:
        for k in (0, 25, 50, 75, 99):
            assert f"{run.loss_scratch[k]:.17g}" in text
            assert f"{run.score_torch[k]:.17g}" in text
    worst = max(r.max_trajectory_diff for r in runs)
    assert f"trajectories agree to {worst:.3e} <= 1e-10" in text


def test_cli_reports_the_measured_bound(capsys):
    assert main(["lecture", "single-sample", "--every", "50"]) == 0
    out = capsys.readouterr().out
    measured = float(re.search(r"trajectories agree to (\S+) <= 1e-10", out).group(1))
    assert 0 <= measured <= 1e-10
    assert out.count("lockstep ok: 100 steps agree") == 2

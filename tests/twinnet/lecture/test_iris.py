"""Cell [75]: the Iris neuron, checked against a literal transcription of the lecture's loop."""

import numpy as np
import pytest
from sklearn.datasets import load_iris

from twinnet.cli import main
from twinnet.lecture import iris
from twinnet.lecture.iris import format_iris, iris_training_set, run_iris
from twinnet.lecture.reference import IRIS_PRINTED_ITERATIONS


def lecture_loop(max_iter=None):
    """Cell [75] as written (integer counter), with sklearn's data arranged as the lecture does."""
    data = load_iris()
    X_train = np.column_stack([data.data[:, 0], data.data[:, 1], np.ones(150)])
    y_train = np.where(data.target == 2, 1, data.target)  # rename class two to class one

    def neuron(X, theta):
        return 1 / (1 + np.exp(-X.dot(theta)))

    def gradient(theta, X, y):
        return np.mean((y - neuron(X, theta)) * X.T, axis=1)

    it, theta, theta_prev, printed = 0, np.ones((3,)), 0, []
    while np.linalg.norm(theta - theta_prev) > 5e-5 and (max_iter is None or it < max_iter):
        if it % 50000 == 0:
            printed.append(it)
        theta_prev = theta
        theta = theta_prev + 1e-1 * gradient(theta, X_train, y_train)
        it += 1
    return it, theta, printed


def test_training_set_is_sepal_length_sepal_width_and_ones():
    X, y = iris_training_set()
    data = load_iris()
    assert data.feature_names[:2] == ["sepal length (cm)", "sepal width (cm)"]
    assert list(iris.FEATURE_NAMES) == data.feature_names[:2]
    np.testing.assert_array_equal(X[:, :2], data.data[:, :2])
    np.testing.assert_array_equal(X[:, 2], 1.0)
    np.testing.assert_array_equal(y, data.target != 0)


def test_scratch_loop_follows_the_lecture_loop():
    run = run_iris(max_iter=3000, lockstep_iters=0, print_every=1000)
    n, theta, _ = lecture_loop(max_iter=3000)
    assert run.n_iter == n == 3000 and not run.converged
    np.testing.assert_allclose(run.theta, theta, rtol=1e-12, atol=0)
    assert run.progress == [0, 1000, 2000]


def test_torch_follows_scratch_in_lockstep():
    run = run_iris(max_iter=400, lockstep_iters=150)
    assert run.lockstep_iterations == 150 and len(run.divergence) == 151
    assert run.divergence[0] == 0.0  # both start at ones
    assert run.max_divergence < 1e-12 and run.within_tolerance
    # After 150 torch steps, torch's theta equals the lecture loop's after 150 iterations.
    np.testing.assert_allclose(run.theta_torch, lecture_loop(max_iter=150)[1], rtol=1e-12)


def test_lockstep_longer_than_the_run_compares_the_final_theta():
    run = run_iris(max_iter=40, lockstep_iters=100)
    assert len(run.divergence) == 41
    np.testing.assert_allclose(run.theta_torch, run.theta, rtol=1e-12)


def test_a_torch_twin_with_another_step_size_is_caught(monkeypatch):
    original = iris.TorchIrisTwin.__init__

    def wrong_lr(self, X, y, theta0, step_size):
        original(self, X, y, theta0, step_size * 1.01)

    monkeypatch.setattr(iris.TorchIrisTwin, "__init__", wrong_lr)
    run = run_iris(max_iter=20, lockstep_iters=20)
    assert not run.within_tolerance and run.first_beyond_tolerance == 1
    assert "BEYOND tolerance from iteration 1" in format_iris(run)


def test_report_prints_computed_values():
    run = run_iris(max_iter=500, lockstep_iters=100)
    text = format_iris(run)
    assert "iterations taken: 500 (stopped by max_iter" in text
    assert f"{run.theta[0]:.10g}" in text and f"{run.theta[2]:.10g}" in text
    accuracy = np.mean((iris_training_set()[0] @ run.theta >= 0) == iris_training_set()[1])
    assert f"training accuracy: {accuracy:.4f}" in text
    assert f"{run.max_divergence:.3e}" in text


def test_cli_prints_iteration_lines(capsys):
    assert main(["lecture", "iris", "--max-iter", "2500", "--lockstep-iters", "50",
                 "--print-every", "1000"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Iteration 0.\nIteration 1000.\nIteration 2000.\n")
    assert "iterations taken: 2500" in out


@pytest.mark.slow
def test_full_run_matches_the_lecture_loop_and_its_printout():
    run = run_iris(lockstep_iters=10)
    n, theta, printed = lecture_loop()
    assert run.n_iter == n and run.converged
    np.testing.assert_allclose(run.theta, theta, rtol=1e-9)
    # The lecture printed Iteration 0 ... 200000 and no more: 200000 < n <= 250000.
    assert tuple(run.progress) == tuple(printed) == IRIS_PRINTED_ITERATIONS
    assert 200_000 < run.n_iter <= 250_000
    X, y = iris_training_set()
    assert run.accuracy == np.mean((X @ theta >= 0) == y)


def test_cached_neuron_is_the_same_loop_as_run_iris():
    iris._FITTED.pop(700, None)
    fresh = iris.fitted_neuron(700)
    iris._FITTED.pop(700)
    run = run_iris(max_iter=700, lockstep_iters=0)
    assert iris.fitted_neuron(700) == (700, tuple(run.theta), run.accuracy) == fresh

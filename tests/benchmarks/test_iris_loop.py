"""The lecture's Iris loop, kept in the benchmark, against scratch's LogisticRegression."""

import numpy as np

import scratch
from benchmarks import iris_loop
from benchmarks.iris_loop import gradient, iris_arrays, lecture_loop, neuron
from benchmarks.suite import SMOKE_SETTINGS


def test_lecture_code_and_scratch_take_the_same_path():
    X_train, y_lecture, y_scratch = iris_arrays()
    assert X_train.shape == (150, 3) and np.all(X_train[:, 2] == 1)
    iters, theta = lecture_loop(X_train, y_lecture, threshold=1e-2)
    model = scratch.LogisticRegression(threshold=1e-2)
    n_iter, history = model.fit(X_train, y_scratch)
    assert n_iter == iters and len(history) == n_iter
    np.testing.assert_allclose(model.theta, theta, rtol=1e-12)


def test_lecture_gradient_is_the_mean_log_likelihood_gradient():
    X_train, y, _ = iris_arrays()
    theta = np.array([0.5, -1.0, 0.2])
    # d/dtheta mean(y log p + (1 - y) log(1 - p)) = mean((y - p) x), written out per sample
    p = 1 / (1 + np.exp(-(X_train @ theta)))
    expected = sum((y[i] - p[i]) * X_train[i] for i in range(150)) / 150
    np.testing.assert_allclose(gradient(theta, X_train, y), expected, rtol=1e-12)
    np.testing.assert_allclose(neuron(X_train, theta), p, rtol=1e-15)


def test_benchmark_result_reports_both_iteration_counts():
    result = iris_loop.run(SMOKE_SETTINGS, threshold=1e-2)
    assert result.config["scratch_iterations"] == result.config["lecture_iterations"]
    assert result.config["max_abs_theta_difference"] < 1e-12
    assert set(result.timings) == {"scratch", "lecture code"}
    assert result.metric == "scratch/lecture" and result.target_value == 0.5

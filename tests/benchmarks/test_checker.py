"""The check_model and random-case benchmarks run, and refuse to time a failing check."""

import numpy as np
import pytest

import scratch
from benchmarks import checker
from benchmarks.suite import SMOKE_SETTINGS


def test_check_model_benchmark_runs_at_smoke_size():
    result = checker.run_check_model(SMOKE_SETTINGS, batch=4, width=6)
    assert result.status == "ok"
    assert set(result.timings) == {"check_model", "scratch+torch"}
    assert result.metric in result.metrics and result.target_value == 1.3


def test_random_case_benchmark_runs_at_smoke_size():
    result = checker.run_random_cases(SMOKE_SETTINGS, n_cases=3)
    assert result.status == "ok" and result.target_op == ">="
    assert result.metrics["cases/s"] == pytest.approx(1 / result.timings["per case"]["median_s"])


def broken_sigmoid_backward(self, grad_out):
    return grad_out * self._out  # forgets the (1 - y) factor


def test_a_failing_check_model_is_not_timed(monkeypatch):
    monkeypatch.setattr(scratch.Sigmoid, "_backward", broken_sigmoid_backward)
    with pytest.raises(AssertionError, match="mismatch while being timed"):
        checker.run_check_model(SMOKE_SETTINGS, batch=4, width=6)


def test_a_failing_random_case_is_not_timed(monkeypatch):
    def broken_linear_backward(self, grad_out):
        np.matmul(self._x.T, grad_out, out=self.grads["W"])
        if self.bias:
            self.grads["b"][...] = 0  # forgets the bias gradient
        return grad_out.dot(self.params["W"].T)

    monkeypatch.setattr(scratch.Linear, "_backward", broken_linear_backward)
    with pytest.raises(AssertionError, match="failed while being timed"):
        checker.run_random_cases(SMOKE_SETTINGS, n_cases=20)

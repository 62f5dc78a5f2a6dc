"""The check_model and random-case benchmarks run, and refuse to time a failing check."""

import numpy as np
import pytest

import scratch
from benchmarks import checker
from benchmarks.suite import SMOKE_SETTINGS, thread_limit


def test_check_model_benchmark_times_both_thread_settings():
    result = checker.run_check_model(SMOKE_SETTINGS, batch=4, width=6)
    assert result.status == "ok"
    one = {"check_model (1 thread)", "scratch+torch (1 thread)"}
    assert set(result.timings) == {"check_model", "scratch+torch"} | one
    assert result.metric in result.metrics and result.target_value == 1.3
    judged = [result.metrics["check_model/scratch+torch"],
              result.metrics["check_model (1 thread)/scratch+torch (1 thread)"]]
    assert result.metrics[result.metric] == max(judged)


def test_check_model_benchmark_at_one_thread_times_it_once():
    with thread_limit(1):
        result = checker.run_check_model(SMOKE_SETTINGS, batch=4, width=6)
    assert set(result.timings) == {"check_model", "scratch+torch"}
    assert result.config["threads"]["torch"] == 1


def test_random_case_benchmark_runs_at_smoke_size():
    result = checker.run_random_cases(SMOKE_SETTINGS, n_cases=3)
    assert result.status == "ok" and result.target_op == ">="
    assert result.metrics["cases/s"] == pytest.approx(1 / result.timings["per case"]["median_s"])
    assert result.config["dtypes"] == ["float64", "float32"]


def test_jobs_benchmark_runs_at_smoke_size():
    result = checker.run_jobs(SMOKE_SETTINGS, n_cases=3)
    assert set(result.timings) == {"1 job", "2 jobs"} and result.target_value == 1.6
    serial, pooled = (result.timings[k]["per_call_s"] for k in ("1 job", "2 jobs"))
    assert result.metrics["speed-up"] == pytest.approx(
        float(np.median([a / b for a, b in zip(serial, pooled, strict=True)])))


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

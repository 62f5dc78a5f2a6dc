"""The timing harness: interleaving, medians, ratios and target judging (no timings asserted)."""

import numpy as np
import pytest

from benchmarks.timing import (
    Result,
    Settings,
    Timing,
    paired_ratio,
    ratio,
    skipped,
    time_side_by_side,
    traced_peak_bytes,
)


def test_contenders_are_warmed_up_then_interleaved_in_alternating_order():
    calls = []
    contenders = {name: (lambda n=name: calls.append(n)) for name in "abc"}
    timings = time_side_by_side(contenders,
                                Settings(repeats=4, warmup=2, min_block_s=0.0, settle_s=0.0))
    # 2 warm-up calls each, one calibration call each, then one call per block:
    # repeats alternate a b c / c b a.
    assert calls == (["a"] * 2 + ["b"] * 2 + ["c"] * 2 + ["a", "b", "c"]
                     + ["a", "b", "c", "c", "b", "a"] * 2)
    assert list(timings) == ["a", "b", "c"]
    assert all(len(t.per_call_s) == 4 and t.calls_per_block == 1 for t in timings.values())


def test_block_length_is_capped_by_max_calls():
    timings = time_side_by_side({"x": lambda: None},
                                Settings(repeats=1, warmup=0, min_block_s=10.0, max_calls=7,
                                         settle_s=0.0))
    assert timings["x"].calls_per_block == 7


def test_ratios_of_medians_and_paired_ratio():
    t = {"s": Timing([1.0, 2.0, 9.0], 1), "t": Timing([4.0, 4.0, 3.0], 1)}
    assert t["s"].median_s == 2.0 and t["t"].median_s == 4.0
    assert ratio(t, "s", "t") == 0.5  # 2 / 4
    assert paired_ratio(t, "s", "t") == 0.5  # median of 1/4, 2/4, 9/3
    summary = t["s"].summary()
    assert summary["min_s"] == 1.0 and summary["median_s"] == 2.0
    assert summary["q1_s"] == 1.5 and summary["q3_s"] == 5.5  # inclusive quartiles


@pytest.mark.parametrize(("op", "value", "bound", "met"), [
    ("<=", 0.2, 0.25, True), ("<=", 0.3, 0.25, False),
    (">=", 600.0, 500.0, True), (">=", 400.0, 500.0, False),
])
def test_target_judging(op, value, bound, met):
    r = Result("x", "X", metrics={"m": value}, metric="m", target_op=op, target_value=bound)
    assert r.met is met
    assert r.to_dict()["met"] is met


def test_skipped_and_untargeted_results_are_not_judged():
    assert skipped("x", "X", "why").met is None
    assert Result("x", "X", metrics={"m": 1.0}, metric="m").met is None


def test_traced_peak_sees_a_numpy_allocation():
    n = 1_000_000
    peak = traced_peak_bytes(lambda: np.ones(n))  # 8 bytes per float64
    assert 8 * n <= peak < 2 * 8 * n

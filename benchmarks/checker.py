"""What checking costs: ``compare.check_model`` against the two models run alone, and
random cases checked per second. Each is skipped, with the reason, while
``compare`` lacks the function it times.
"""

from __future__ import annotations

import time

import numpy as np

from .models import mlp_pair
from .timing import (
    Result,
    Settings,
    ratios,
    skipped,
    time_side_by_side,
    traced_peak_bytes,
)

CHECK_TARGET = 1.3  # check_model at most 1.3x (scratch step + torch step)
CASES_TARGET = 800  # twinnet check's default mix, cases per second in one process, at least
JOBS_TARGET = 1.6  # twinnet check --jobs 2 at least 1.6x faster than one process

CHECK_METRIC = "worse of both thread settings"

CHECK_NAME, CHECK_TITLE = "check_model", "check_model overhead (mid MLP) vs both models alone"
CASES_NAME, CASES_TITLE = "random_cases", "twinnet check's case mix, cases per second"
JOBS_NAME = "check_jobs"


def _compare_function(name: str):
    import compare

    return getattr(compare, name, None)


def run_check_model(settings: Settings, batch: int = 256, width: int = 512,
                    depth: int = 3) -> Result:
    """check_model on a mid-size MLP against its scratch step plus its torch step.

    Timed twice in the same process, interleaved: with the threads the suite runs
    (each library's default unless ``--threads``) and with one thread for NumPy's
    BLAS and torch. Judged on the worse of the two ratios.
    """
    check_model = _compare_function("check_model")
    if check_model is None:
        return skipped(CHECK_NAME, CHECK_TITLE, "compare.check_model is not available yet")
    from .suite import limit_in_force, thread_limit

    pair = mlp_pair(batch, width, depth)
    model, x = pair.scratch_model, pair.x
    y = (np.random.default_rng(1).random((batch, 1)) < 0.5).astype(x.dtype)

    def both_alone():
        pair.scratch_step()
        pair.torch_step()

    def checked():
        report = check_model(model, x, y, loss="bce")
        if not report.ok:
            raise AssertionError(f"check_model found a mismatch while being timed:\n{report}")

    timings = time_side_by_side({"check_model": checked, "scratch+torch": both_alone}, settings)
    metrics = ratios(timings, "check_model", "scratch+torch")
    threads = _thread_counts()
    config = {"batch": batch, "width": width, "hidden_layers": depth, "dtype": "float64",
              "loss": "bce", "threads": threads}
    if limit_in_force() != 1:
        with thread_limit(1):
            one = time_side_by_side({"check_model (1 thread)": checked,
                                     "scratch+torch (1 thread)": both_alone}, settings)
        timings.update(one)
        metrics.update(ratios(one, "check_model (1 thread)", "scratch+torch (1 thread)"))
    worse = max(v for k, v in metrics.items() if not k.endswith("of medians"))
    metrics[CHECK_METRIC] = worse
    return Result(
        name=CHECK_NAME, title=CHECK_TITLE, config=config,
        timings={k: t.summary() for k, t in timings.items()},
        metrics=metrics, subject="check_model", baseline="scratch+torch", metric=CHECK_METRIC,
        target=f"check_model <= {CHECK_TARGET}x (scratch + torch), at both thread settings",
        target_value=CHECK_TARGET,
        memory={"check_model_traced_peak_bytes": traced_peak_bytes(checked)},
    )


def _thread_counts() -> dict:
    import torch
    from threadpoolctl import threadpool_info

    return {"numpy_blas": [i["num_threads"] for i in threadpool_info()
                           if i["user_api"] == "blas"], "torch": torch.get_num_threads()}


def _sweep(n_cases: int, seed: int, jobs: int) -> float:
    """Seconds for ``twinnet check``'s random cases (n per dtype, both dtypes), as the CLI
    runs them; AssertionError if any case failed."""
    from twinnet.sweep import run_sweep

    start = time.perf_counter()
    merged = run_sweep(["float64", "float32"], seed, n_cases, jobs=jobs)
    seconds = time.perf_counter() - start
    failed = [f for s in merged.values() for f in s.failed]
    if failed:
        raise AssertionError(f"random case {failed[0]['seed']} failed while being timed:\n"
                             f"{failed[0].get('detail') or failed[0].get('error')}")
    return seconds


def run_random_cases(settings: Settings, n_cases: int = 200, seed: int = 0) -> Result:
    """``twinnet check``'s default mix (``n_cases`` per dtype, both dtypes) in this process.

    The same code the command runs (``twinnet.sweep.run_sweep`` with one job):
    each case built from its seed, then ``case.check()``. A short untimed run
    first pays the one-off imports and caches.
    """
    _sweep(min(n_cases, 10), seed, 1)
    per_case = [_sweep(n_cases, seed, 1) / (2 * n_cases)
                for _ in range(max(1, min(settings.repeats, 3)))]
    median = float(np.median(per_case))
    return Result(
        name=CASES_NAME, title=CASES_TITLE,
        config={"cases_per_dtype": n_cases, "dtypes": ["float64", "float32"], "seed": seed,
                "what": "twinnet check's loop: random_case(seed, dtype) + case.check()",
                "threads": _thread_counts()},
        timings={"per case": {"median_s": median, "min_s": min(per_case),
                              "per_call_s": per_case, "calls_per_block": 2 * n_cases}},
        metrics={"cases/s": 1.0 / median},
        subject="per case", baseline="", metric="cases/s", target_op=">=",
        target=f">= {CASES_TARGET} cases/s", target_value=CASES_TARGET,
    )


def run_jobs(settings: Settings, n_cases: int = 750, jobs: int = 2, seed: int = 0) -> Result:
    """``twinnet check`` over ``jobs`` worker processes against one process, wall clock.

    ``n_cases`` per dtype (750: 1,500 cases in all). Each repeat times one
    process, then the pool (start-up of the workers included), in alternating
    order. The speed-up is the median over repeats of serial / pooled.
    """
    import os

    serial, pooled = [], []
    for r in range(max(1, min(settings.repeats, 3))):
        for kind in (("serial", "pool") if r % 2 == 0 else ("pool", "serial")):
            time.sleep(settings.settle_s)
            if kind == "serial":
                serial.append(_sweep(n_cases, seed, 1))
            else:
                pooled.append(_sweep(n_cases, seed, jobs))
    speedups = [a / b for a, b in zip(serial, pooled, strict=True)]
    name = f"{jobs} jobs"
    return Result(
        name=JOBS_NAME, title=f"twinnet check, {2 * n_cases} cases: {jobs} jobs vs 1",
        config={"cases": 2 * n_cases, "jobs": jobs, "cpu_count": os.cpu_count(),
                "serial_threads": _thread_counts(),
                "what": "run_sweep wall clock, worker start-up included"},
        timings={"1 job": {"median_s": float(np.median(serial)), "per_call_s": serial},
                 name: {"median_s": float(np.median(pooled)), "per_call_s": pooled}},
        metrics={"speed-up": float(np.median(speedups)),
                 "speed-up of medians": float(np.median(serial) / np.median(pooled))},
        subject=name, baseline="1 job", metric="speed-up", target_op=">=",
        target=f">= {JOBS_TARGET}x faster", target_value=JOBS_TARGET,
    )

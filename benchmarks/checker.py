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
CASES_TARGET = 500  # small random cases checked per second, at least

CHECK_NAME, CHECK_TITLE = "check_model", "check_model overhead (mid MLP) vs both models alone"
CASES_NAME, CASES_TITLE = "random_cases", "Small random cases checked per second"


def _compare_function(name: str):
    import compare

    return getattr(compare, name, None)


def run_check_model(settings: Settings, batch: int = 256, width: int = 512,
                    depth: int = 3) -> Result:
    check_model = _compare_function("check_model")
    if check_model is None:
        return skipped(CHECK_NAME, CHECK_TITLE, "compare.check_model is not available yet")
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
    return Result(
        name=CHECK_NAME, title=CHECK_TITLE,
        config={"batch": batch, "width": width, "hidden_layers": depth, "dtype": "float64",
                "loss": "bce"},
        timings={k: t.summary() for k, t in timings.items()},
        metrics=ratios(timings, "check_model", "scratch+torch"),
        subject="check_model", baseline="scratch+torch", metric="check_model/scratch+torch",
        target=f"check_model <= {CHECK_TARGET}x (scratch + torch)", target_value=CHECK_TARGET,
        memory={"check_model_traced_peak_bytes": traced_peak_bytes(checked)},
    )


def run_random_cases(settings: Settings, n_cases: int = 300, seed: int = 0) -> Result:
    """Draw and check ``n_cases`` random cases (``compare.random_cases``), per case.

    The rate counts what a user's loop does: build each case from its seed and
    run ``case.check()`` (check_model against a fresh torch twin). A short
    untimed run first pays the one-off imports and caches.
    """
    random_cases = _compare_function("random_cases")
    if random_cases is None:
        return skipped(CASES_NAME, CASES_TITLE, "compare.random_cases is not available yet")

    def checked(n: int) -> float:
        start = time.perf_counter()
        for case in random_cases(n, seed=seed):
            report = case.check()
            if not report.ok:
                raise AssertionError(f"random case {case.seed} failed while being timed:\n"
                                     f"{report}")
        return (time.perf_counter() - start) / n

    checked(min(n_cases, 20))
    per_case = [checked(n_cases) for _ in range(max(1, min(settings.repeats, 3)))]
    median = float(np.median(per_case))
    return Result(
        name=CASES_NAME, title=CASES_TITLE,
        config={"cases": n_cases, "seed": seed, "what": "random_case(seed) + case.check()"},
        timings={"per case": {"median_s": median, "min_s": min(per_case),
                              "per_call_s": per_case, "calls_per_block": n_cases}},
        metrics={"cases/s": 1.0 / median},
        subject="per case", baseline="", metric="cases/s", target_op=">=",
        target=f">= {CASES_TARGET} cases/s", target_value=CASES_TARGET,
    )

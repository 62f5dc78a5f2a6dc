"""Sigmoid MLPs with BCE: scratch against torch, and against the BLAS time of its own matmuls.

* mid: batch 256, three 512-wide hidden layers (float64 and float32);
* large: batch 1024, three 1024-wide hidden layers (float64 and float32).

The "gemm" contender performs exactly the matrix products of scratch's step
(see ``models.gemm_step``), timed in the same run, so ``scratch/gemm`` reads as
how far scratch is from the BLAS limit on this machine, right now.
"""

from __future__ import annotations

import numpy as np

from .models import gemm_flops, gemm_step, mlp_pair, verified
from .timing import Result, Settings, ratio, ratios, time_side_by_side, traced_peak_bytes

MID_TARGET = 0.9  # float64: scratch at most 0.9x torch's time
LARGE_TARGET = 1.10  # scratch within 10% of its GEMM-only time


def _run(name: str, title: str, settings: Settings, batch: int, width: int, depth: int,
         dtype) -> tuple[Result, dict]:
    dtype = np.dtype(dtype)
    pair = verified(mlp_pair(batch, width, depth, dtype))
    gemm = gemm_step(pair)
    timings = time_side_by_side(
        {"scratch": pair.scratch_step, "torch": pair.torch_step, "gemm": gemm}, settings)
    gflops = gemm_flops(pair) / timings["gemm"].median_s / 1e9
    result = Result(
        name=name, title=title,
        config={"batch": batch, "width": width, "hidden_layers": depth, "dtype": dtype.name,
                "activation": "sigmoid", "loss": "BCE mean", "torch_input_requires_grad": True,
                "twins_verified": True},
        timings={k: t.summary() for k, t in timings.items()},
        metrics={**ratios(timings, "scratch", "torch"), **ratios(timings, "scratch", "gemm"),
                 "torch/gemm": ratio(timings, "torch", "gemm"),
                 "fraction of BLAS limit": timings["gemm"].median_s
                 / timings["scratch"].median_s,
                 "gemm GFLOP/s": gflops},
        memory={"scratch_step_traced_peak_bytes": traced_peak_bytes(pair.scratch_step)},
    )
    return result, timings


def run_mid(settings: Settings, dtype=np.float64, batch: int = 256, width: int = 512,
            depth: int = 3) -> Result:
    dt = np.dtype(dtype).name
    result, _ = _run(f"mid_mlp_{dt}", f"Mid MLP {batch}x{width}x{depth} sigmoid+BCE, {dt}",
                     settings, batch, width, depth, dtype)
    if dt == "float64":
        result.metric, result.target_value = "scratch/torch", MID_TARGET
        result.target = f"scratch <= {MID_TARGET}x torch"
    else:
        result.metric, result.target = "scratch/torch", "(no target; reported)"
    return result


def run_large(settings: Settings, dtype=np.float64, batch: int = 1024, width: int = 1024,
              depth: int = 3) -> Result:
    dt = np.dtype(dtype).name
    result, _ = _run(f"large_mlp_{dt}", f"Large MLP {batch}x{width}x{depth} sigmoid+BCE, {dt}",
                     settings, batch, width, depth, dtype)
    result.subject, result.baseline = "scratch", "gemm"
    result.metric, result.target_value = "scratch/gemm", LARGE_TARGET
    result.target = f"scratch <= {LARGE_TARGET}x GEMM-only"
    return result

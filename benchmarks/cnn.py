"""The digits CNN: scratch's convolution against torch's, when scratch has one.

Conv2d(1, 8, 3, padding=1) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(128, 10),
cross-entropy on scikit-learn's 8x8 digits (NCHW, batch 256). Skipped, with the
reason, while ``scratch.Conv2d`` (or its torch twin) does not exist.
"""

from __future__ import annotations

import numpy as np

import scratch

from .models import StepPair, loss_step_pair, verified
from .timing import (
    Result,
    Settings,
    ratios,
    skipped,
    time_side_by_side,
    traced_peak_bytes,
)

NAME, TITLE = "digits_cnn", "Digits CNN conv-relu-pool-linear, cross-entropy"
NEEDED = ("Conv2d", "MaxPool2d", "Flatten")


def missing_layers() -> list[str]:
    return [name for name in NEEDED if not hasattr(scratch, name)]


def digits_pair(batch: int = 256, dtype=np.float64, seed: int = 0) -> StepPair:
    """The CNN, its torch twin (``torch_ref.to_torch``) and one training step on each."""
    from sklearn.datasets import load_digits


    rng = np.random.default_rng(seed)
    model = scratch.Sequential(
        scratch.Conv2d(1, 8, 3, padding=1, rng=rng, dtype=dtype), scratch.ReLU(),
        scratch.MaxPool2d(2), scratch.Flatten(), scratch.Linear(8 * 4 * 4, 10, rng=rng,
                                                                dtype=dtype))
    digits = load_digits()
    x = (digits.data[:batch] / 16.0).reshape(-1, 1, 8, 8).astype(dtype)
    y = digits.target[:batch].astype(np.int64)
    return loss_step_pair(model, x, y, scratch.CrossEntropyLoss())


def run(settings: Settings, batch: int = 256) -> Result:
    missing = missing_layers()
    if missing:
        return skipped(NAME, TITLE, f"scratch has no {', '.join(missing)} yet "
                                    "(convolution lands from the conv branch)")
    try:
        pair = digits_pair(batch)
        verified(pair)
    except TypeError as exc:  # to_torch names a layer it has no twin for
        return skipped(NAME, TITLE, f"no torch twin: {exc}")
    timings = time_side_by_side({"scratch": pair.scratch_step, "torch": pair.torch_step},
                                settings)
    return Result(
        name=NAME, title=TITLE,
        config={"batch": batch, "dtype": "float64", "input": "(batch, 1, 8, 8)",
                "torch_input_requires_grad": True, "twins_verified": True},
        timings={k: t.summary() for k, t in timings.items()},
        metrics=ratios(timings, "scratch", "torch"),
        metric="scratch/torch", target="(no target; reported)",
        memory={"scratch_step_traced_peak_bytes": traced_peak_bytes(pair.scratch_step)},
    )

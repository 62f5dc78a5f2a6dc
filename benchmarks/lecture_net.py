"""The lecture net (2-3-1, batch 1) against its torch twin, two ways.

* ``run``: ``scratch.Net``, the lecture's own class (``predict`` + ``backward``).
* ``run_sequential``: the general path a user writes, ``Sequential(Linear, Sigmoid,
  Linear, Sigmoid)`` + ``BCELoss``, on the lecture's net (no biases) and, timed in
  the same interleaved blocks, with ``Linear``'s default biases.
"""

from __future__ import annotations

from .models import lecture_pair, lecture_sequential_pair, verified
from .timing import Result, Settings, ratios, time_side_by_side, traced_peak_bytes

TARGET = 0.25  # scratch's step at most a quarter of torch's
SEQUENTIAL_TARGET = 0.30  # the general path: at most 0.30x torch (goal 0.20x)


def run(settings: Settings) -> Result:
    pair = verified(lecture_pair())
    timings = time_side_by_side({"scratch": pair.scratch_step, "torch": pair.torch_step},
                                settings)
    return Result(
        name="lecture_net",
        title="Lecture net 2-3-1, batch 1, forward+backward",
        config={"batch": 1, "layers": "2-3-1 LinearSigmoid", "dtype": "float64",
                "loss": "BCE summed (Net.backward)", "torch_input_requires_grad": True,
                "twins_verified": True},
        timings={k: t.summary() for k, t in timings.items()},
        metrics=ratios(timings, "scratch", "torch"),
        metric="scratch/torch", target=f"scratch <= {TARGET}x torch", target_value=TARGET,
        memory={"scratch_step_traced_peak_bytes": traced_peak_bytes(pair.scratch_step)},
    )


def run_sequential(settings: Settings) -> Result:
    """Sequential + BCELoss on the lecture's net; judged on the lecture's net (no biases)."""
    pair = verified(lecture_sequential_pair(bias=False))
    with_bias = verified(lecture_sequential_pair(bias=True))
    timings = time_side_by_side({"scratch": pair.scratch_step, "torch": pair.torch_step,
                                 "scratch (bias)": with_bias.scratch_step,
                                 "torch (bias)": with_bias.torch_step}, settings)
    return Result(
        name="lecture_sequential",
        title="Lecture net 2-3-1 as Sequential + BCELoss, batch 1",
        config={"batch": 1, "dtype": "float64", "twins_verified": True,
                "layers": "Sequential(Linear(2, 3), Sigmoid(), Linear(3, 1), Sigmoid())",
                "loss": "BCELoss() (mean)", "torch_input_requires_grad": True,
                "judged": "bias=False (the lecture's net); bias=True timed beside it"},
        timings={k: t.summary() for k, t in timings.items()},
        metrics={**ratios(timings, "scratch", "torch"),
                 **ratios(timings, "scratch (bias)", "torch (bias)")},
        metric="scratch/torch", target=f"scratch <= {SEQUENTIAL_TARGET}x torch",
        target_value=SEQUENTIAL_TARGET,
        memory={"scratch_step_traced_peak_bytes": traced_peak_bytes(pair.scratch_step)},
    )

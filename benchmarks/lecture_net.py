"""The lecture net (2-3-1, batch 1): ``Net.predict`` + ``Net.backward`` against its torch twin."""

from __future__ import annotations

from .models import lecture_pair, verified
from .timing import Result, Settings, ratios, time_side_by_side, traced_peak_bytes

TARGET = 0.25  # scratch's step at most a quarter of torch's


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

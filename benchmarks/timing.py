"""Side-by-side timing: every contender runs in the same process, interleaved.

A shared 2-core machine is noisy, so no single measurement means much. Each
contender is warmed up, then timed in ``repeats`` blocks; in each repeat every
contender runs one block, in alternating order (A B C, then C B A, ...), so a
burst of load from elsewhere hits all of them alike. Blocks are short (tens of
milliseconds) and many, because the load on a shared machine changes within
seconds. Each contender's result is the median of its per-call times; a ratio
is the median over repeats of the ratio within each repeat (the two blocks ran
next to each other), with the ratio of the two medians kept beside it.
"""

from __future__ import annotations

import gc
import math
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Settings:
    """How hard to time.

    Parameters
    ----------
    repeats : int
        Timed blocks per contender (the median is over these).
    warmup : int
        Untimed calls of each contender before timing (caches, allocator, BLAS threads).
    min_block_s : float
        Each block repeats the call until it lasts about this long, so that
        microsecond-scale calls are not lost in timer resolution.
    max_calls : int
        Upper bound on calls per block.
    settle_s : float
        Pause before each block. NumPy's OpenBLAS and torch's OpenMP keep their
        worker threads spinning for a while after a call; on a 2-core machine a
        block that starts while the other library's workers still spin runs at
        a fraction of its speed.
    """

    repeats: int = 15
    warmup: int = 3
    min_block_s: float = 0.02
    max_calls: int = 100_000
    settle_s: float = 0.1


@dataclass
class Timing:
    """Per-call seconds of one contender, one value per timed block."""

    per_call_s: list[float]
    calls_per_block: int

    @property
    def median_s(self) -> float:
        return statistics.median(self.per_call_s)

    def summary(self) -> dict:
        xs = sorted(self.per_call_s)
        q = statistics.quantiles(xs, n=4, method="inclusive") if len(xs) > 1 else [xs[0]] * 3
        return {"median_s": self.median_s, "min_s": xs[0], "q1_s": q[0], "q3_s": q[2],
                "per_call_s": self.per_call_s, "calls_per_block": self.calls_per_block}


def _block(fn: Callable[[], object], calls: int) -> float:
    """Seconds per call over one block of ``calls`` calls, garbage collector paused."""
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        return (time.perf_counter() - start) / calls
    finally:
        gc.enable()


def _calls_for(fn: Callable[[], object], settings: Settings) -> int:
    """How many calls make a block of about ``settings.min_block_s``."""
    one = _block(fn, 1)
    if one <= 0:
        return settings.max_calls
    return max(1, min(settings.max_calls, math.ceil(settings.min_block_s / one)))


def time_side_by_side(contenders: dict[str, Callable[[], object]],
                      settings: Settings) -> dict[str, Timing]:
    """Time every contender, interleaved; returns a Timing per name (same order).

    Parameters
    ----------
    contenders : name -> zero-argument callable doing one unit of work
    settings : Settings
    """
    names = list(contenders)
    for name in names:
        for _ in range(settings.warmup):
            contenders[name]()
    calls = {name: _calls_for(contenders[name], settings) for name in names}
    per_call: dict[str, list[float]] = {name: [] for name in names}
    for r in range(settings.repeats):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            time.sleep(settings.settle_s)
            per_call[name].append(_block(contenders[name], calls[name]))
    return {name: Timing(per_call[name], calls[name]) for name in names}


def ratio(timings: dict[str, Timing], num: str, den: str) -> float:
    """median(num) / median(den)."""
    return timings[num].median_s / timings[den].median_s


def paired_ratio(timings: dict[str, Timing], num: str, den: str) -> float:
    """Median over repeats of num/den measured in the same repeat (robust to slow drifts)."""
    pairs = zip(timings[num].per_call_s, timings[den].per_call_s, strict=True)
    return statistics.median(a / b for a, b in pairs)


def ratios(timings: dict[str, Timing], num: str, den: str) -> dict[str, float]:
    """``{"num/den": paired ratio, "num/den of medians": ratio of medians}``."""
    return {f"{num}/{den}": paired_ratio(timings, num, den),
            f"{num}/{den} of medians": ratio(timings, num, den)}


def traced_peak_bytes(fn: Callable[[], object]) -> int:
    """Peak bytes allocated during one call of ``fn``, as tracemalloc sees them.

    NumPy reports its array buffers to tracemalloc, so this is the NumPy side's
    working memory for one step; torch's allocator is invisible to it.
    """
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def max_rss_bytes() -> int:
    """This process's peak resident set size so far (getrusage; Linux reports KiB)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


@dataclass
class Result:
    """One benchmark's outcome, as written to the JSON file.

    ``metric`` names the entry of ``metrics`` the target is judged on;
    ``subject``/``baseline`` name the two timings shown side by side in the table.
    """

    name: str
    title: str
    status: str = "ok"  # "ok" or "skipped"
    reason: str = ""
    config: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    subject: str = "scratch"
    baseline: str = "torch"
    metric: str = ""
    target: str = ""
    target_op: str = "<="
    target_value: float | None = None
    memory: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    @property
    def met(self) -> bool | None:
        if self.status != "ok" or self.target_value is None:
            return None
        value = self.metrics[self.metric]
        return value <= self.target_value if self.target_op == "<=" else value >= self.target_value

    def to_dict(self) -> dict:
        d = asdict(self)
        d["met"] = self.met
        return d


def skipped(name: str, title: str, reason: str) -> Result:
    return Result(name=name, title=title, status="skipped", reason=reason)

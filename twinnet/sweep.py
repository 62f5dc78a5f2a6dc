"""Sweeps of random cases: one process or a pool of them, and results that merge.

``twinnet check`` and ``twinnet false-alarms`` both check random cases
``seed .. seed + n - 1`` per dtype. This module runs that loop
(:func:`run_seed_range`), splits it into seed shards over a process pool whose
workers each use one BLAS thread and one torch thread (:func:`run_sweep`), and
merges the per-shard :class:`DtypeSummary` objects into one. A merge keeps all
that the table and the JSON report show: the counts, every failure, the worst
``|diff| / allowed`` of the forward and of the gradient entries (with the case
that reached it), and every case's worst ratio over all its entries and probes
(for the percentiles). Every case runs at one BLAS thread and one torch thread,
in this process or in a worker, and shards are merged in seed order with ties
going to the later seed, as in one process: the merged summary is the same
whatever the number of jobs (timings apart).

Summaries turn into plain dicts (:meth:`DtypeSummary.to_dict`) and back, so
JSON shards written on several machines merge too (:func:`merge_documents`,
``twinnet merge``).
"""

from __future__ import annotations

import contextlib
import math
import os
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

GROUPS = {"forward": ("forward", "loss"), "gradient": ("param_grad", "input_grad")}
SHARDS_PER_JOB = 20  # many shards per worker even out cases of unequal cost
SERIAL_SHARDS = 100  # in one process shards cost nothing: one per percent of progress


@dataclass(frozen=True)
class Shard:
    """Cases ``start .. start + n - 1`` of one dtype."""

    dtype: str
    start: int
    n: int
    profile: str = "default"  # "default": compare.random_case; "hard": compare.cases_hard
    full_policy: bool = False  # ratios under the whole tolerance policy (envelope always)


@dataclass
class Worst:
    """The entry of a group that came closest to its tolerance, over some cases."""

    ratio: float
    diff: float
    allowed: float
    seed: int
    entry: str = ""

    def to_dict(self) -> dict:
        return {"ratio": self.ratio, "diff": self.diff, "allowed": self.allowed,
                "seed": self.seed, "entry": self.entry}

    @classmethod
    def from_dict(cls, d: dict) -> Worst:
        """Read :meth:`to_dict`'s output, also after ``jsonable`` wrote NaN/inf as strings."""
        return cls(float(d["ratio"]), float(d["diff"]), float(d["allowed"]), int(d["seed"]),
                   str(d.get("entry", "")))


@dataclass
class DtypeSummary:
    """What a run of cases of one dtype found.

    Attributes
    ----------
    dtype : str
    cases : int
        Cases run, crashed ones included.
    failed : list of dict
        One per failing or crashing case: ``seed``, ``dtype``, ``case`` (its
        description), and ``detail`` (the report as text, plus ``report``, the
        report as a dict, when the run was asked for dicts) or ``error`` (the
        traceback of a case that raised).
    worst : dict
        ``"forward"`` / ``"gradient"`` -> :class:`Worst`: the largest
        ``|diff| / allowed`` among the compared entries of that group (probes apart).
    ratios : list of float
        Every checked case's worst ratio over all its entries and passing probes,
        in seed order (a crashed case has none).
    closest : Worst or None
        The case with the largest of those ratios, naming the entry.
    seconds : float
        Time spent checking, summed over the shards (processes ran side by side).
    lines : list of str
        One ``ok``/``FAIL`` line per case, when the run was asked for them (not saved).
    """

    dtype: str
    cases: int = 0
    failed: list = field(default_factory=list)
    worst: dict = field(default_factory=dict)
    ratios: list = field(default_factory=list)
    closest: Worst | None = None
    seconds: float = 0.0
    lines: list = field(default_factory=list, repr=False)

    @property
    def passed(self) -> int:
        return self.cases - len(self.failed)

    def add_report(self, seed: int, report) -> None:
        """Count one checked case: its worst entries per group and its overall worst ratio."""
        from compare.probes import worst_ratio

        self.cases += 1
        for group, kinds in GROUPS.items():
            e = report.worst(kinds)
            if e is not None and e.ratio >= self.worst.get(group, _NONE).ratio:
                actual, expected = e.diff.values_at_worst()
                self.worst[group] = Worst(float(e.ratio), float(abs(actual - expected)),
                                          float(e.allowed), seed, e.name)
        ratio, name = worst_ratio(report)
        self.ratios.append(float(ratio))
        if self.closest is None or ratio > self.closest.ratio:
            self.closest = Worst(float(ratio), math.nan, math.nan, seed, name)

    def merge(self, later: DtypeSummary) -> DtypeSummary:
        """This summary followed by ``later`` (higher seeds), as one run would have counted them."""
        if later.dtype != self.dtype:
            raise ValueError(f"cannot merge {later.dtype} cases into {self.dtype} cases")
        worst = dict(self.worst)
        for group, w in later.worst.items():
            if w.ratio >= worst.get(group, _NONE).ratio:  # ties: the later seed, as in one run
                worst[group] = w
        closest = self.closest
        if later.closest is not None and (closest is None or later.closest.ratio > closest.ratio):
            closest = later.closest
        return DtypeSummary(self.dtype, self.cases + later.cases, self.failed + later.failed,
                            worst, self.ratios + later.ratios, closest,
                            self.seconds + later.seconds, self.lines + later.lines)

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile (0-100) of the cases' worst ratios; NaN before any case."""
        import numpy as np

        return float(np.percentile(self.ratios, q)) if self.ratios else math.nan

    def to_dict(self) -> dict:
        """Plain data for JSON; :meth:`from_dict` rebuilds the summary."""
        return {"dtype": self.dtype, "cases": self.cases, "passed": self.passed,
                "failed": len(self.failed),
                "worst": {g: w.to_dict() for g, w in self.worst.items()},
                "closest": None if self.closest is None else self.closest.to_dict(),
                "ratios": list(self.ratios), "seconds": self.seconds,
                # seeds and descriptions only: the document's "failures" holds the reports
                "failures": [{k: f[k] for k in ("seed", "dtype", "case")} for f in self.failed]}

    @classmethod
    def from_dict(cls, d: dict) -> DtypeSummary:
        """The summary :meth:`to_dict` wrote (its failures without their reports)."""
        return cls(d["dtype"], int(d["cases"]), list(d.get("failures", [])),
                   {g: Worst.from_dict(w) for g, w in d.get("worst", {}).items()},
                   [float(r) for r in d.get("ratios", [])],
                   None if d.get("closest") is None else Worst.from_dict(d["closest"]),
                   float(d.get("seconds", 0.0)))


_NONE = Worst(-1.0, math.nan, math.nan, -1)


def run_seed_range(shard: Shard, as_dict: bool = False, lines: bool = False) -> DtypeSummary:
    """Check the cases of ``shard`` in this process; a crash counts as a failure.

    Parameters
    ----------
    shard : Shard
    as_dict : bool
        Keep each failing report as a dict too (``failed[i]["report"]``), for JSON.
    lines : bool
        Keep one ``ok``/``FAIL`` line per case in ``lines`` (``twinnet check -v``).
    """
    from compare import model_check
    from compare.cases import random_case
    from compare.cases_hard import hard_case

    make = hard_case if shard.profile == "hard" else random_case
    saved, model_check.ENVELOPE_ALWAYS = model_check.ENVELOPE_ALWAYS, shard.full_policy
    try:
        return _run_seeds(shard, make, as_dict, lines)
    finally:
        model_check.ENVELOPE_ALWAYS = saved


def _run_seeds(shard: Shard, make, as_dict: bool, lines: bool) -> DtypeSummary:
    summary, start = DtypeSummary(shard.dtype), time.perf_counter()
    for seed in range(shard.start, shard.start + shard.n):
        description = f"case {seed} ({shard.dtype})"
        try:
            case = make(seed, shard.dtype)
            description = str(case)
            report = case.check()
        except Exception:  # a crash is a failure to report, not a reason to stop
            summary.cases += 1
            summary.failed.append({"seed": seed, "dtype": shard.dtype, "case": description,
                                   "error": traceback.format_exc()})
            continue
        summary.add_report(seed, report)
        if not report.ok:
            failure = {"seed": seed, "dtype": shard.dtype, "case": description,
                       "detail": str(report)}
            if as_dict:
                failure["report"] = report.to_dict()
            summary.failed.append(failure)
        if lines:
            worst = report.worst()
            summary.lines.append(f"{'ok  ' if report.ok else 'FAIL'} {description}" + (
                "" if worst is None else f"  [worst {worst.ratio:.2g} of allowed]"))
    summary.seconds = time.perf_counter() - start
    return summary


def plan_shards(dtypes: Iterable[str], seed: int, n: int, jobs: int, profile: str = "default",
                full_policy: bool = False) -> list[Shard]:
    """Seed shards for ``n`` cases per dtype, in seed order: ``SERIAL_SHARDS`` per dtype
    for one job, else about ``SHARDS_PER_JOB`` per job."""
    parts = SERIAL_SHARDS if jobs <= 1 else jobs * SHARDS_PER_JOB
    size = max(1, math.ceil(n / parts))
    return [Shard(dt, start, min(size, seed + n - start), profile, full_policy)
            for dt in dtypes for start in range(seed, seed + n, size)]


def pin_one_thread() -> None:
    """Limit this process to one BLAS thread and one torch thread (pool initializer).

    Two workers on two cores, each with a full-size thread pool, would fight
    for the cores; one thread each is what a sweep of small cases wants anyway.
    """
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    global _LIMITS  # kept alive: the limit lasts as long as the object
    _LIMITS = threadpool_limits(limits=1, user_api="blas")


_LIMITS = None


@contextlib.contextmanager
def one_thread():
    """One BLAS thread and one torch thread inside the block; the caller's settings after.

    The cases of a sweep are small: a second thread buys nothing, and on a busy
    machine BLAS and OpenMP threads that spin while waiting for a core cost a
    sweep several times its time (1,500 cases: 102 s at two threads, 14 s at one,
    on a 2-core machine at load 7-9). One thread also makes torch round the same
    way in this process as in the workers of ``--jobs``.
    """
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            yield
    finally:
        torch.set_num_threads(before)


def _run_shard_for_pool(args: tuple[Shard, bool, bool]) -> DtypeSummary:
    return run_seed_range(*args)


def run_sweep(dtypes: list[str], seed: int, n: int, jobs: int = 1, as_dict: bool = False,
              lines: bool = False, on_shard: Callable[[DtypeSummary], None] | None = None,
              profile: str = "default", full_policy: bool = False
              ) -> dict[str, DtypeSummary]:
    """Check ``n`` cases per dtype from ``seed`` on, over ``jobs`` processes; merged per dtype.

    Parameters
    ----------
    dtypes : list of str
        "float64" and/or "float32"; each gets cases ``seed .. seed + n - 1``.
    seed, n : int
    jobs : int
        1 runs here, in this process, at one thread (:func:`one_thread`). More
        start a pool of worker processes, each pinned to one thread
        (:func:`pin_one_thread`).
    as_dict, lines : bool
        Passed to :func:`run_seed_range`.
    on_shard : callable, optional
        Called with each shard's summary as it is merged, in seed order (progress).
    profile : {"default", "hard"}
        Which cases: ``compare.random_case`` or ``compare.cases_hard.hard_case``.
    full_policy : bool
        Measure every array's rounding envelope, so each case's ratio is taken
        under the whole tolerance policy (verdicts are the same either way).

    Returns
    -------
    dict
        dtype -> :class:`DtypeSummary`, the same whatever ``jobs`` is (timings apart).
    """
    merged = {dt: DtypeSummary(dt) for dt in dtypes}
    if n <= 0:
        return merged
    shards = plan_shards(dtypes, seed, n, jobs, profile, full_policy)
    for part in _shard_results(shards, jobs, as_dict, lines):
        merged[part.dtype] = merged[part.dtype].merge(part)
        if on_shard is not None:
            on_shard(part)
    return merged


def _shard_results(shards: list[Shard], jobs: int, as_dict: bool, lines: bool
                   ) -> Iterator[DtypeSummary]:
    if jobs <= 1:
        with one_thread():
            for shard in shards:
                part = run_seed_range(shard, as_dict, lines)
                yield part
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs, mp_context=_pool_context(),
                             initializer=pin_one_thread) as pool:
        yield from pool.map(_run_shard_for_pool, [(s, as_dict, lines) for s in shards])


def _pool_context():
    """``fork`` where there is one (workers inherit the imported modules: no second
    start-up of torch per worker), else ``spawn``. Forking after torch has run is
    safe here because each worker first limits torch to one thread."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods and os.name == "posix"
                                       else "spawn")


def merge_documents(documents: list[dict]) -> dict:
    """One ``twinnet check --json`` / ``false-alarms --json`` document from several shards.

    Parameters
    ----------
    documents : list of dict
        The parsed JSON documents, e.g. one per machine, each over its own seeds.

    Returns
    -------
    dict
        Same layout: ``ok`` (all shards ok), ``seeds`` (every shard's range, in
        order), ``summary`` merged per dtype in seed order (counts, failures,
        worst ratios, per-case ratios) and ``failures`` (every failing case).
        Shards that overlap in seeds are refused: they would count cases twice.
    """
    if not documents:
        raise ValueError("merge: no documents given")
    kinds = {doc.get("kind", "check") for doc in documents}
    if len(kinds) != 1:
        raise ValueError(f"merge: documents of different kinds {sorted(kinds)}")
    ordered = sorted(documents, key=lambda d: d["seeds"][0])
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b["seeds"][0] <= a["seeds"][1]:
            raise ValueError(f"merge: seed ranges {a['seeds']} and {b['seeds']} overlap")
    merged: dict[str, DtypeSummary] = {}
    for doc in ordered:
        for d in doc["summary"]:
            part = DtypeSummary.from_dict(d)
            merged[part.dtype] = merged[part.dtype].merge(part) if part.dtype in merged else part
    out = dict(ordered[0])
    out.update({"ok": all(doc["ok"] for doc in ordered),
                "seeds": [ordered[0]["seeds"][0], ordered[-1]["seeds"][1]],
                "shards": [doc["seeds"] for doc in ordered],
                "summary": [s.to_dict() for s in merged.values()],
                "failures": [f for doc in ordered for f in doc.get("failures", [])]})
    return out

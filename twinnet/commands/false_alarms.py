"""``twinnet false-alarms``: how often does compare flag *correct* code, and how close does it come?

Runs N random correct cases per dtype (``compare.random_cases``: random depth,
widths, activations, losses, reductions, batch sizes, inputs at and near kinks)
through check_model with every probe on. For each case it keeps the worst
|scratch - torch| / allowed over every compared element, the probes' included
(1 would fail). Prints,
per dtype, the number of failures (which must be 0) and the distribution of
that ratio: its maximum, 99.9th and 99th percentiles and median, with the case
that came closest. Then measures how much torch's intra-op thread count (1 vs 2)
moves torch's own results, against the same tolerances.
Exit status 1 on any failing case.
"""

from __future__ import annotations

import sys
import time
import traceback
from dataclasses import dataclass, field

import numpy as np

PERCENTILES = (50, 99, 99.9)


def register(sub) -> None:
    """Add the ``false-alarms`` subcommand to ``sub`` (argparse's subparsers), with ``func=run``."""
    p = sub.add_parser("false-alarms", help="run N random correct cases per dtype; "
                       "failures must be 0", description=__doc__)
    p.add_argument("-n", "--cases", type=int, default=1000, metavar="N",
                   help="random cases per dtype (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="first case's seed (default 0)")
    p.add_argument("--dtype", choices=("float64", "float32", "both"), default="both",
                   help="dtype of the random cases (default both)")
    p.add_argument("--profile", choices=("default", "hard"), default="default",
                   help="default: compare.random_case; hard: compare.cases_hard (inputs "
                        "x1e3/x1e-3, raw pixels, 10-16 layers, 2048 wide, batch 1, "
                        "saturated sigmoids)")
    p.add_argument("--no-threads", action="store_true",
                   help="skip the torch thread-count measurement")
    p.add_argument("--progress", action="store_true",
                   help="show progress on stderr even when it is not a terminal")
    p.set_defaults(func=run)


@dataclass
class Tally:
    """Per dtype: each case's worst ratio, and the failures."""

    dtype: str
    cases: int = 0
    ratios: list = field(default_factory=list)
    closest: tuple = (-1.0, "", -1)  # (ratio, entry name, seed)
    failed: list = field(default_factory=list)  # (description, detail)
    seconds: float = 0.0

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile (0-100) of the cases' worst ratios; NaN before any case."""
        return float(np.percentile(self.ratios, q)) if self.ratios else float("nan")


def run_cases(dtype: str, n: int, seed: int, progress: bool = False,
              profile: str = "default") -> Tally:
    """Check cases ``seed .. seed + n - 1`` of ``dtype``; a crash counts as a failure.

    Each case's ratio is taken under the whole tolerance policy (its rounding
    envelope measured even where the array's own-scale floor already passes).
    """
    from compare import model_check
    from compare.cases import random_case
    from compare.cases_hard import hard_case

    make = hard_case if profile == "hard" else random_case
    tally, start = Tally(dtype), time.perf_counter()
    saved, model_check.ENVELOPE_ALWAYS = model_check.ENVELOPE_ALWAYS, True
    try:
        _run_into(tally, make, dtype, n, seed, progress)
    finally:
        model_check.ENVELOPE_ALWAYS = saved
    tally.seconds = time.perf_counter() - start
    return tally


def _run_into(tally: Tally, make, dtype: str, n: int, seed: int, progress: bool) -> None:
    from compare.probes import worst_ratio

    for i in range(n):
        s = seed + i
        tally.cases += 1
        description = f"case {s} ({dtype})"
        try:
            case = make(s, dtype)
            description = str(case)
            report = case.check()
        except Exception:
            tally.failed.append((description, "raised:\n" + traceback.format_exc()))
            continue
        ratio, name = worst_ratio(report)  # probes that passed count too
        tally.ratios.append(ratio)
        if ratio > tally.closest[0]:
            tally.closest = (ratio, name, s)
        if not report.ok:
            tally.failed.append((description, str(report)))
        if progress and (i + 1) % max(1, n // 100) == 0:
            print(f"\r{dtype}: {i + 1}/{n} cases, {len(tally.failed)} failed", end="",
                  file=sys.stderr, flush=True)
    if progress and n:
        print(file=sys.stderr)


def run(args) -> int:
    """Run ``twinnet false-alarms`` with the parsed ``args``.

    Returns
    -------
    int
        Exit status: 0 when no correct case fails, 1 otherwise, 2 on bad arguments.
    """
    from compare.tolerances import GRADIENT, POLICY

    if args.cases < 1:
        print("twinnet false-alarms: -n must be >= 1", file=sys.stderr)
        return 2
    dtypes = ["float64", "float32"] if args.dtype == "both" else [args.dtype]
    progress = args.progress or sys.stderr.isatty()
    tallies = [run_cases(dt, args.cases, args.seed, progress, args.profile) for dt in dtypes]

    print(f"false alarms ({args.profile} profile): {args.cases} random correct cases per "
          f"dtype, seeds {args.seed}.."
          f"{args.seed + args.cases - 1}; per case the worst |diff| / allowed over every "
          "compared element (> 1 fails)\n")
    header = ("dtype", "cases", "failed", "max", "99.9th pct", "99th pct", "median", "time",
              "closest case")
    rows = [header]
    for t in tallies:
        ratio, name, seed = t.closest
        rows.append((t.dtype, str(t.cases), str(len(t.failed)), f"{max(t.ratios, default=0):.3g}",
                     f"{t.percentile(99.9):.3g}", f"{t.percentile(99):.3g}",
                     f"{t.percentile(50):.3g}", f"{t.seconds:.0f} s",
                     f"{seed}: {name}" if seed >= 0 else "-"))
    _print_rows(rows)
    print("\nallowed = atol + rtol * |torch| (gradients; see docs/tolerances.md): " + "; ".join(
        f"{dt}: {POLICY[np.dtype(dt)][GRADIENT]}" for dt in dtypes))
    if not args.no_threads:
        _print_threads(dtypes)
    for description, detail in [f for t in tallies for f in t.failed][:5]:
        print(f"\n=== FAILED {description}\n{detail}")
    return 1 if any(t.failed for t in tallies) else 0


def _print_threads(dtypes) -> None:
    import torch

    from compare.tolerances import FORWARD, TOLERANCES
    from twinnet.mutants.threads import thread_count_effect

    print("\ntorch intra-op threads 1 vs 2 (Linear-Tanh-Linear + MSE, batch 100000; "
          "reductions split across threads round differently):")
    for dt in dtypes:
        effect = thread_count_effect(getattr(torch, dt), threads=(1, 2))
        rtol = TOLERANCES[np.dtype(dt)][FORWARD].rtol
        print(f"  {dt}: max |diff| {effect.max_abs:.3g}, max relative {effect.max_rel:.3g} "
              f"(in {effect.worst}) = {effect.max_rel / rtol:.3g} of rtol {rtol:g}")


def _print_rows(rows) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())

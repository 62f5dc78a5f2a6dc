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

import json
import sys
import time

import numpy as np

from twinnet.progress import ShardProgress, add_progress_options, progress_wanted

from .check import add_jobs_argument, bad_arguments, dtypes_of, print_rows

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
                        "x1e3/x1e-3, raw 0..255 pixels, 10-16 layers, 2048 wide, batch 1, "
                        "saturated sigmoids with 0/1 labels)")
    add_jobs_argument(p)
    p.add_argument("--json", action="store_true",
                   help="print one JSON document (per dtype: counts, every case's worst ratio, "
                        "failures) instead of the table; `twinnet merge` joins such documents")
    p.add_argument("--no-threads", action="store_true",
                   help="skip the torch thread-count measurement")
    add_progress_options(p)
    p.set_defaults(func=run)


def run_cases(dtype: str, n: int, seed: int, progress: bool = False, jobs: int = 1,
              profile: str = "default"):
    """Check cases ``seed .. seed + n - 1`` of ``dtype``; a crash counts as a failure.

    Each case's ratio is taken under the whole tolerance policy (every array's
    rounding envelope measured); ``profile`` is "default" or "hard".

    Returns
    -------
    twinnet.sweep.DtypeSummary
        ``cases``, ``failed``, ``ratios`` (each case's worst ratio, probes included),
        ``closest`` and ``percentile(q)``.
    """
    return _sweep([dtype], n, seed, progress, jobs, profile)[0]


def _sweep(dtypes: list[str], n: int, seed: int, progress: bool, jobs: int,
           profile: str = "default") -> list:
    from twinnet.sweep import run_sweep

    bars = ShardProgress(n, progress)
    try:
        return list(run_sweep(dtypes, seed, n, jobs=jobs, on_shard=bars.update, profile=profile,
                              full_policy=True).values())
    finally:
        bars.close()


def run(args) -> int:
    """Run ``twinnet false-alarms`` with the parsed ``args``.

    Returns
    -------
    int
        Exit status: 0 when no correct case fails, 1 otherwise, 2 on bad arguments.
    """
    from compare.present.jsonable import jsonable
    from compare.tolerances import GRADIENT, POLICY

    problem = bad_arguments(args, "false-alarms", min_cases=1)
    if problem:
        print(problem.replace("--cases", "-n"), file=sys.stderr)
        return 2
    dtypes = dtypes_of(args)
    progress = not args.json and progress_wanted(args)
    start = time.perf_counter()
    tallies = _sweep(dtypes, args.cases, args.seed, progress, args.jobs, args.profile)
    wall = time.perf_counter() - start
    ok = not any(t.failed for t in tallies)
    if args.json:
        doc = {"kind": "false-alarms", "profile": args.profile, "ok": ok,
               "seeds": [args.seed, args.seed + args.cases - 1], "jobs": args.jobs,
               "summary": [t.to_dict() for t in tallies],
               "failures": [f for t in tallies for f in t.failed]}
        print(json.dumps(jsonable(doc), indent=2, allow_nan=False))
        return 0 if ok else 1

    print(f"false alarms ({args.profile} profile): {args.cases} random correct cases per "
          f"dtype, seeds {args.seed}.."
          f"{args.seed + args.cases - 1}; per case the worst |diff| / allowed over every "
          "compared element (> 1 fails)\n")
    print_rows([TABLE_HEADER] + [table_row(t) for t in tallies])
    if args.jobs > 1:
        print(f"\n{args.jobs} jobs: {wall:.0f} s wall clock; the time column adds up the jobs")
    print("\nallowed = atol + rtol * |torch| (gradients; see docs/tolerances.md): " + "; ".join(
        f"{dt}: {POLICY[np.dtype(dt)][GRADIENT]}" for dt in dtypes))
    if not args.no_threads:
        _print_threads(dtypes)
    for f in [f for t in tallies for f in t.failed][:5]:
        detail = f["detail"] if "detail" in f else "raised:\n" + f["error"]
        print(f"\n=== FAILED {f['case']}\n{detail}")
    return 0 if ok else 1


TABLE_HEADER = ("dtype", "cases", "failed", "max", "99.9th pct", "99th pct", "median", "time",
                "closest case")


def table_row(t) -> tuple:
    """One dtype's row of the table: counts, the ratio distribution, the closest case."""
    c = t.closest
    return (t.dtype, str(t.cases), str(len(t.failed)), f"{max(t.ratios, default=0):.3g}",
            f"{t.percentile(99.9):.3g}", f"{t.percentile(99):.3g}", f"{t.percentile(50):.3g}",
            f"{t.seconds:.0f} s", f"{c.seed}: {c.entry}" if c is not None else "-")


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

"""``twinnet check``: the lecture's worked example, then N random cases per dtype.

Prints a summary table (cases, passed, failed, the worst error seen against
what the tolerance allowed, time per dtype) and the full report of every
failing case with the line that replays it. Exit status 1 on any mismatch.
``--jobs N`` spreads the cases over N processes (:mod:`twinnet.sweep`); the
table and ``--json`` document are the same as with one.
"""

from __future__ import annotations

import json
import sys
import time

from compare.present.table import format_table
from twinnet.progress import ShardProgress, add_progress_options, progress_wanted

DTYPE_CHOICES = ("float32", "float64", "both")
SHOWN_FAILURES = 5


def register(sub) -> None:
    """Add the ``check`` subcommand to ``sub`` (argparse's subparsers), with ``func=run``."""
    p = sub.add_parser("check", help="lecture example + random cases, scratch against torch",
                       description=__doc__)
    p.add_argument("-n", "--cases", type=int, default=200, metavar="N",
                   help="random cases per dtype (default 200)")
    p.add_argument("--seed", type=int, default=0, help="first case's seed (default 0)")
    p.add_argument("--dtype", choices=DTYPE_CHOICES, default="both",
                   help="dtype of the random cases (default both)")
    add_jobs_argument(p)
    p.add_argument("-v", "--verbose", action="store_true",
                   help="print the lecture report and one line per case")
    add_progress_options(p)
    p.add_argument("--json", action="store_true",
                   help="print one JSON document (reports with their hints, worst ratios per "
                        "dtype) for scripts and CI; `twinnet merge` joins such documents")
    p.set_defaults(func=run)


def add_jobs_argument(parser) -> None:
    """``-j/--jobs N``, shared by ``check`` and ``false-alarms``."""
    parser.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                        help="check the cases in N worker processes (default 1: this process); "
                             "every case runs at one BLAS and one torch thread, so the results "
                             "do not depend on N")


def dtypes_of(args) -> list[str]:
    """The dtypes ``--dtype`` asks for, float64 first."""
    return ["float64", "float32"] if args.dtype == "both" else [args.dtype]


def bad_arguments(args, command: str, min_cases: int = 0) -> str | None:
    """The error message for ``-n`` or ``--jobs`` out of range, else None."""
    if args.cases < min_cases:
        return f"twinnet {command}: --cases must be >= {min_cases}"
    if args.jobs < 1:
        return f"twinnet {command}: --jobs must be >= 1"
    return None


def run(args) -> int:
    """Run ``twinnet check`` with the parsed ``args``.

    Returns
    -------
    int
        Exit status: 0 when the lecture example and every case pass, 1 on a
        failure, 2 on bad arguments.
    """
    from compare.cases import lecture_example

    problem = bad_arguments(args, "check")
    if problem:
        print(problem, file=sys.stderr)
        return 2
    if args.json:
        doc = check_document(args)
        print(json.dumps(_jsonable(doc), indent=2, allow_nan=False))
        return 0 if doc["ok"] else 1
    lecture = lecture_example()
    if args.verbose or not lecture.ok:
        print(_paint(str(lecture)), end="\n\n")
    start = time.perf_counter()
    summaries = _sweep(args, as_dict=False)
    wall = time.perf_counter() - start

    _print_summary(lecture, summaries, args, wall)
    failures = [f for s in summaries for f in s.failed]
    for f in failures[: None if args.verbose else SHOWN_FAILURES]:
        detail = f["detail"] if "detail" in f else "raised:\n" + f["error"]
        print(f"\n=== FAILED {f['case']}\n{_paint(detail)}")
    if len(failures) > SHOWN_FAILURES and not args.verbose:
        print(f"\n... {len(failures) - SHOWN_FAILURES} more failing case(s); -v shows all")
    return 0 if lecture.ok and not failures else 1


def _sweep(args, as_dict: bool) -> list:
    """Run the random cases of ``args``; one merged summary per dtype, in dtype order."""
    from twinnet.sweep import run_sweep

    bars = ShardProgress(args.cases, not as_dict and progress_wanted(args))
    verbose = getattr(args, "verbose", False) and not as_dict

    def on_shard(part) -> None:
        for line in part.lines:
            print(line)
        bars.update(part)

    try:
        merged = run_sweep(dtypes_of(args), args.seed, args.cases, jobs=args.jobs,
                           as_dict=as_dict, lines=verbose, on_shard=on_shard)
    finally:
        bars.close()
    return list(merged.values())


def check_document(args) -> dict:
    """The lecture example and ``args.cases`` random cases per dtype, as one JSON-ready dict.

    Returns
    -------
    dict
        ``kind`` ("check"), ``ok``, ``lecture`` (its report), ``seeds`` [first, last],
        ``jobs``, ``summary`` (per dtype: counts, the worst forward and gradient
        ``|diff| / allowed`` with the case that reached it, every case's worst ratio,
        time) and ``failures`` (each failing case with its report and hints, or the
        error it raised).
    """
    from compare.cases import lecture_example

    lecture = lecture_example()
    summaries = _sweep(args, as_dict=True)
    failures = [_failure_document(f) for s in summaries for f in s.failed]
    return {"kind": "check", "ok": lecture.ok and not failures, "lecture": lecture.to_dict(),
            "seeds": [args.seed, args.seed + args.cases - 1], "jobs": args.jobs,
            "summary": [s.to_dict() for s in summaries], "failures": failures}


def _failure_document(failure: dict) -> dict:
    out = {k: failure[k] for k in ("case", "seed", "dtype")}
    out.update({"report": failure["report"]} if "report" in failure
               else {"error": failure["error"]})
    return out


def _jsonable(doc):
    from compare.present.jsonable import jsonable

    return jsonable(doc)


def _print_summary(lecture, summaries, args, wall: float) -> None:
    twin = [e for e in lecture.entries if "printed" not in e.label]
    twin_max = max(e.max_abs for e in twin)
    print(f"lecture example: {'ok' if lecture.ok else 'FAILED'} (scratch vs torch max |diff| "
          f"{twin_max:.2g}, allowed 1e-12; y, loss, W and V gradients match the printout)")
    print(f"random cases: seeds {args.seed}..{args.seed + args.cases - 1}\n")
    print_rows(summary_rows(summaries))
    if args.jobs > 1:
        print(f"\n{args.jobs} jobs: {wall:.1f} s wall clock; the time column adds up the jobs")


def summary_rows(summaries) -> list[tuple]:
    """The table: a header, then per dtype its counts, worst ratios and time."""
    rows = [("dtype", "cases", "passed", "failed", "worst forward |diff| / allowed",
             "worst gradient |diff| / allowed", "time")]
    for s in summaries:
        rows.append((s.dtype, str(s.cases), str(s.passed), str(len(s.failed)),
                     _worst(s.worst.get("forward")), _worst(s.worst.get("gradient")),
                     f"{s.seconds:.1f} s"))
    return rows


def print_rows(rows) -> None:
    """Print ``rows`` (tuples of str) as left-aligned columns."""
    print(format_table(rows))


def _worst(w) -> str:
    if w is None:
        return "-"
    return f"{w.diff:.1e} / {w.allowed:.1e} = {w.ratio:.2g} (case {w.seed})"


def _paint(text: str) -> str:
    """ANSI colour for a rendered report, only when stdout is a terminal."""
    from compare.present.terminal import colourise, wants_colour
    return colourise(text) if wants_colour(sys.stdout) else text

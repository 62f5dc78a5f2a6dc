"""``twinnet check``: the lecture's worked example, then N random cases per dtype.

Prints a summary table (cases, passed, failed, the worst error seen against
what the tolerance allowed, time per dtype) and the full report of every
failing case with the line that replays it. Exit status 1 on any mismatch.
"""

from __future__ import annotations

import sys
import time
import traceback
from dataclasses import dataclass, field

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
    p.add_argument("-v", "--verbose", action="store_true",
                   help="print the lecture report and one line per case")
    p.add_argument("--progress", action="store_true",
                   help="show progress on stderr even when it is not a terminal")
    p.add_argument("--json", action="store_true",
                   help="print one JSON document (reports with their hints) for scripts and CI")
    p.set_defaults(func=run)


@dataclass
class Tally:
    """Results for one dtype."""

    dtype: str
    cases: int = 0
    failed: list = field(default_factory=list)  # (case description, report or error text)
    worst: dict = field(default_factory=dict)   # group -> (ratio, |diff|, allowed, case seed)
    seconds: float = 0.0

    def add(self, seed: int, report) -> None:
        """Count one case and keep its worst forward and gradient entries if they beat the tally's.

        Parameters
        ----------
        seed : int
            The case's seed (kept to name the case).
        report : compare.Report
            That case's report.
        """
        self.cases += 1
        for group, kinds in (("forward", ("forward", "loss")),
                             ("gradient", ("param_grad", "input_grad"))):
            e = report.worst(kinds)
            if e is not None and e.ratio >= self.worst.get(group, (-1,))[0]:
                actual, expected = e.diff.values_at_worst()
                self.worst[group] = (e.ratio, abs(actual - expected), e.allowed, seed)


def run(args) -> int:
    """Run ``twinnet check`` with the parsed ``args``.

    Returns
    -------
    int
        Exit status: 0 when the lecture example and every case pass, 1 on a
        failure, 2 on bad arguments.
    """
    from compare.cases import lecture_example

    if getattr(args, "json", False):
        from compare.diagnose.cli_json import run_json
        return run_json(args)
    if args.cases < 0:
        print("twinnet check: --cases must be >= 0", file=sys.stderr)
        return 2
    dtypes = ["float64", "float32"] if args.dtype == "both" else [args.dtype]
    show_progress = args.progress or sys.stderr.isatty()

    lecture = lecture_example()
    if args.verbose or not lecture.ok:
        print(_paint(str(lecture)), end="\n\n")
    tallies = [_run_dtype(dt, args, show_progress) for dt in dtypes]

    _print_summary(lecture, tallies, args)
    failures = [f for t in tallies for f in t.failed]
    for description, detail in failures[: None if args.verbose else SHOWN_FAILURES]:
        print(f"\n=== FAILED {description}\n{_paint(detail)}")
    if len(failures) > SHOWN_FAILURES and not args.verbose:
        print(f"\n... {len(failures) - SHOWN_FAILURES} more failing case(s); -v shows all")
    return 0 if lecture.ok and not failures else 1


def _run_dtype(dtype: str, args, show_progress: bool) -> Tally:
    from compare.cases import random_case

    tally, start = Tally(dtype), time.perf_counter()
    for i in range(args.cases):
        seed = args.seed + i
        description = f"case {seed} ({dtype})"
        try:
            case = random_case(seed, dtype)
            description = str(case)
            report = case.check()
        except Exception:  # a crash is a failure to report, not a reason to stop
            tally.cases += 1
            tally.failed.append((description, "raised:\n" + traceback.format_exc()))
            continue
        tally.add(seed, report)
        if not report.ok:
            tally.failed.append((description, str(report)))
        if args.verbose:
            worst = report.worst()
            print(f"{'ok  ' if report.ok else 'FAIL'} {description}"
                  + ("" if worst is None else f"  [worst {worst.ratio:.2g} of allowed]"))
        if show_progress and (i + 1) % max(1, args.cases // 100) == 0:
            print(f"\r{dtype}: {i + 1}/{args.cases} cases, {len(tally.failed)} failed",
                  end="", file=sys.stderr, flush=True)
    if show_progress and args.cases:
        print(file=sys.stderr)
    tally.seconds = time.perf_counter() - start
    return tally


def _print_summary(lecture, tallies, args) -> None:
    twin = [e for e in lecture.entries if "printed" not in e.label]
    twin_max = max(e.max_abs for e in twin)
    print(f"lecture example: {'ok' if lecture.ok else 'FAILED'} (scratch vs torch max |diff| "
          f"{twin_max:.2g}, allowed 1e-12; y, loss, W and V gradients match the printout)")
    print(f"random cases: seeds {args.seed}..{args.seed + args.cases - 1}\n")
    header = ("dtype", "cases", "passed", "failed", "worst forward |diff| / allowed",
              "worst gradient |diff| / allowed", "time")
    rows = [header]
    for t in tallies:
        rows.append((t.dtype, str(t.cases), str(t.cases - len(t.failed)), str(len(t.failed)),
                     _worst(t.worst.get("forward")), _worst(t.worst.get("gradient")),
                     f"{t.seconds:.1f} s"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def _worst(w) -> str:
    if w is None:
        return "-"
    ratio, diff, allowed, seed = w
    return f"{diff:.1e} / {allowed:.1e} = {ratio:.2g} (case {seed})"


def _paint(text: str) -> str:
    """ANSI colour for a rendered report, only when stdout is a terminal."""
    from compare.diagnose.terminal import colourise, wants_colour
    return colourise(text) if wants_colour(sys.stdout) else text

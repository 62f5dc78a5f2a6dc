"""``twinnet mutants``: run the mutation catalogue through compare's checkers.

Each catalogued bug (see ``twinnet.mutants``) is built from the seed, hosted in
a small model, and run through check_model, check_layer and gradcheck. Prints
the kill rate, the localization rate and a Markdown table, one row per mutant.
Exit status 1 unless every mutant is caught and at least 95% are localized.
"""

from __future__ import annotations

import sys
import time

from twinnet.progress import add_progress_options, progress_bar, progress_wanted

LOCALIZATION_TARGET = 0.95


def register(sub) -> None:
    """Add the ``mutants`` subcommand to ``sub`` (argparse's subparsers), with ``func=run``."""
    p = sub.add_parser("mutants", help="kill and localization rates over realistic backprop bugs",
                       description=__doc__)
    p.add_argument("--seed", type=int, default=0, help="seed of every case (default 0)")
    p.add_argument("--dtype", choices=("float64", "float32", "both"), default="float64",
                   help="dtype of the cases (default float64)")
    p.add_argument("--only", nargs="+", metavar="ID", help="run only these mutant ids")
    p.add_argument("--list", action="store_true", help="list the catalogue and exit")
    p.add_argument("--no-probes", action="store_true",
                   help="switch off compare's decoy-forward, exact-zero and extreme-prediction "
                        "probes (the figures before mutation testing added them)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="print each checker's verdict message per mutant")
    add_progress_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``twinnet mutants`` with the parsed ``args``.

    Returns
    -------
    int
        Exit status: 0 when every mutant is caught, enough are localized and no
        checker errored; 1 otherwise; 2 for an unknown mutant id.
    """
    from twinnet.mutants import MUTANTS, by_id, render_summary, render_table, summarize
    from twinnet.mutants.runner import run_mutant

    if args.list:
        for m in MUTANTS:
            print(f"{m.id:<36} {m.breaks.__name__:<18} flag {m.flag:<10} {m.description}")
        return 0
    try:
        chosen = MUTANTS if not args.only else [by_id(i) for i in args.only]
    except KeyError as err:
        print(f"twinnet mutants: {err.args[0]}", file=sys.stderr)
        return 2
    status = 0
    for dtype in (["float64", "float32"] if args.dtype == "both" else [args.dtype]):
        start = time.perf_counter()
        results = []
        with progress_bar(len(chosen), dtype, progress_wanted(args), unit="mutant") as bar:
            for mutant in chosen:
                results.append(run_mutant(mutant, args.seed, dtype, not args.no_probes))
                bar.update(1)
        seconds = time.perf_counter() - start
        probes = "without probes" if args.no_probes else "with compare's probes"
        print(f"## {dtype}, seed {args.seed}, {probes} ({seconds:.1f} s)\n")
        print(render_summary(results), end="\n\n")
        print(render_table(results), end="\n\n")
        if args.verbose:
            for r in results:
                for v in r.verdicts.values():
                    print(f"{r.mutant.id} / {v.checker}: {v.where}")
            print()
        s = summarize(results)
        if s.kill_rate < 1 or s.localization_rate < LOCALIZATION_TARGET or s.checker_errors:
            status = 1
    return status

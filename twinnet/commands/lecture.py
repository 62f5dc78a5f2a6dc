"""``twinnet lecture [NAME]``: reproduce one of Lecture 18's experiments, or all of them.

Names: worked-example, single-sample, iris, perceptron, figures, all (the
default when no name is given). Each
prints what it computed beside what the lecture prints, and exits non-zero if
scratch and torch disagree (or the lecture's numbers are not reproduced).
Everything heavy is imported inside ``run_*`` so ``twinnet --help`` stays fast
and matplotlib is loaded only by ``figures``.
"""

from __future__ import annotations

import argparse

from twinnet.lecture.reference import IRIS_PRINT_EVERY
from twinnet.progress import add_progress_options, progress_bar, progress_wanted

DEFAULT_FIGURES_DIR = "out/figures"
SINGLE_SAMPLE_BOUND = 1e-10  # the agreement the project promises for cell [95], float64


def register(sub) -> None:
    """Add the ``lecture`` subcommand to ``sub`` (argparse's subparsers), one per experiment."""
    p = sub.add_parser("lecture", help="reproduce Lecture 18's experiments and figures",
                       description=__doc__.split("\n\n")[0])
    names = p.add_subparsers(dest="experiment", metavar="[EXPERIMENT]",
                             help="one experiment; none runs them all")

    q = names.add_parser("worked-example", help="backprop by hand: every intermediate, "
                         "scratch vs torch vs the lecture")
    q.set_defaults(func=run_worked_example)

    q = names.add_parser("single-sample", help="cell [95]: 100 steps on one sample, labels 1 and 0,"
                         " scratch and torch in lockstep")
    q.add_argument("--every", type=int, default=10, help="print every N-th step (default 10)")
    q.set_defaults(func=run_single_sample)

    q = names.add_parser("iris", help="cell [75]: the Iris neuron, torch beside it")
    _iris_options(q)
    q.add_argument("--print-every", type=int, default=IRIS_PRINT_EVERY,
                   help=f"'Iteration N.' every N iterations (default {IRIS_PRINT_EVERY})")
    q.set_defaults(func=run_iris)

    q = names.add_parser("perceptron", help="perceptron vs the logistic neuron on Iris")
    q.add_argument("--epochs", type=int, default=1000, help="most perceptron epochs (1000)")
    q.add_argument("--max-iter", type=int, default=1_000_000,
                   help="cap on the neuron's loop (default 1,000,000; it needs ~238k)")
    q.set_defaults(func=run_perceptron)

    q = names.add_parser("figures", help="draw the lecture's figures (png, svg or pdf files)")
    _figure_options(q)
    q.set_defaults(func=run_figures)

    q = names.add_parser("all", help="every experiment above, then the figures (the default)")
    _figure_options(q)
    q.set_defaults(func=run_all)
    # `twinnet lecture` alone: `all` with its defaults.
    p.set_defaults(func=lambda _args, every=q: run_all(every.parse_args([])))


def _iris_options(q: argparse.ArgumentParser) -> None:
    q.add_argument("--max-iter", type=int, default=1_000_000,
                   help="cap on the loop (default 1,000,000; the lecture's run needs ~238k)")
    q.add_argument("--lockstep-iters", type=int, default=1000,
                   help="iterations torch runs beside scratch (default 1000)")


def _figure_options(q: argparse.ArgumentParser) -> None:
    add_figure_format_options(q)
    _iris_options(q)
    add_progress_options(q)


def add_figure_format_options(q: argparse.ArgumentParser) -> None:
    """``--out``, ``--format png|svg|pdf`` and ``--dpi``: where and how figures are written."""
    q.add_argument("--out", default=DEFAULT_FIGURES_DIR,
                   help=f"folder for the figure files (default {DEFAULT_FIGURES_DIR})")
    q.add_argument("--format", dest="fmt", choices=("png", "svg", "pdf"), default="png",
                   help="file format of the figures: png (default), svg or pdf (vector, "
                        "for slides and papers)")
    q.add_argument("--dpi", type=_positive_float, default=100,
                   help="resolution of png figures in dots per inch (default 100; 200 "
                        "for slides)")


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def run_worked_example(args) -> int:
    """Print the worked example; 0 when the twins agree and match the lecture's numbers, else 1."""
    from twinnet.lecture.worked_example import format_worked_example
    from twinnet.lecture.worked_example import run_worked_example as compute

    ex = compute()
    print("Backpropagation by hand (x = [5, 3], label 1): scratch.Net vs its torch twin\n")
    print(format_worked_example(ex))
    return 0 if ex.twins_agree and ex.matches_lecture else 1


def run_single_sample(args) -> int:
    """Print the single-sample runs; 0 when every trajectory stays within its bound, else 1."""
    from twinnet.lecture.single_sample import format_single_sample
    from twinnet.lecture.single_sample import run_single_sample as compute

    runs = compute()
    print(format_single_sample(runs, every=args.every))
    ok = all(r.result.ok for r in runs)
    return 0 if ok and max(r.max_trajectory_diff for r in runs) <= SINGLE_SAMPLE_BOUND else 1


def run_iris(args) -> int:
    """Print the Iris run; 0 when scratch and torch stay within tolerance, else 1."""
    from twinnet.lecture.iris import format_iris
    from twinnet.lecture.iris import run_iris as compute

    run = compute(max_iter=args.max_iter, lockstep_iters=args.lockstep_iters,
                  print_every=getattr(args, "print_every", IRIS_PRINT_EVERY),
                  on_progress=lambda it: print(f"Iteration {it}.", flush=True))
    print(format_iris(run))
    return 0 if run.within_tolerance else 1


def run_perceptron(args) -> int:
    """Print the perceptron comparison; always 0 (it reports, it does not judge)."""
    from twinnet.lecture.perceptron import format_perceptron
    from twinnet.lecture.perceptron import run_perceptron as compute

    print(format_perceptron(compute(epochs=args.epochs, neuron_max_iter=args.max_iter)))
    return 0


def run_figures(args) -> int:
    """Write the lecture's figures under ``args.out``; 0."""
    from twinnet.lecture.figures import FIGURES, make_figures

    with progress_bar(len(FIGURES), "figures", progress_wanted(args), unit="figure") as bar:
        made = make_figures(args.out, neuron_max_iter=args.max_iter,
                            lockstep_iters=args.lockstep_iters, fmt=args.fmt, dpi=args.dpi,
                            on_figure=lambda _name: bar.update(1))
    print(f"wrote {len(made)} figures:")
    for path in made.values():
        print(f"  {path}")
    return 0


def run_all(args) -> int:
    """Every experiment in turn; the worst (largest) of their exit statuses."""
    codes = []
    for title, run in (("worked-example", run_worked_example),
                       ("single-sample", run_single_sample), ("iris", run_iris),
                       ("perceptron", run_perceptron), ("figures", run_figures)):
        print(f"\n=== twinnet lecture {title} ===\n", flush=True)
        codes.append(run(argparse.Namespace(every=10, epochs=1000, **vars(args))))
    return max(codes)

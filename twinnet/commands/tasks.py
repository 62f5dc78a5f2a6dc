"""``twinnet tasks NAME``: train a real task in lockstep, scratch beside torch.

Names: digits (a small CNN on scikit-learn's 8x8 digits), iris (a 3-class MLP),
all. Prints a table (steps run, whether lockstep held, loss and accuracy of
each side, the largest loss and parameter differences, time), writes the
figures, and exits non-zero if lockstep diverged. Everything heavy is
imported inside ``run`` so ``twinnet --help`` stays fast.
"""

from __future__ import annotations

from twinnet.commands.lecture import add_figure_format_options
from twinnet.progress import add_progress_options, progress_bar, progress_wanted

TASK_NAMES = ("digits", "iris")


def register(sub) -> None:
    """Add the ``tasks`` subcommand to ``sub`` (argparse's subparsers), with ``func=run``."""
    p = sub.add_parser("tasks", help="train the digits CNN and the Iris MLP in lockstep with torch",
                       description=__doc__.split("\n\n")[0])
    names = p.add_subparsers(dest="task", required=True)
    helps = {"digits": "CNN on the 8x8 digits: minibatch SGD, 460 steps by default",
             "iris": "Linear-Tanh-Linear on Iris: full-batch GD, 300 steps by default",
             "all": "both tasks"}
    for name, text in helps.items():
        q = names.add_parser(name, help=text)
        q.add_argument("--steps", type=_positive, default=None,
                       help="SGD steps (default: the task's own, shown above)")
        q.add_argument("--seed", type=int, default=0,
                       help="seeds the split, the initial weights and the batch order (default 0)")
        add_figure_format_options(q)
        q.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                       help="precision of both sides (default float64)")
        q.add_argument("--threads", type=_positive, default=1,
                       help="torch intra-op threads while training (default 1: the tensors "
                            "are tiny, more threads only add overhead)")
        q.add_argument("--no-figures", action="store_true", help="skip drawing the figures")
        add_progress_options(q)
        q.set_defaults(func=run)


def _positive(text: str) -> int:
    import argparse

    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def run(args) -> int:
    """Run ``twinnet tasks`` with the parsed ``args``.

    Returns
    -------
    int
        Exit status: 0 when every task run passes, 1 otherwise.
    """
    import numpy as np

    from twinnet.tasks import format_runs, run_task
    from twinnet.tasks.runs import TASKS

    names = TASK_NAMES if args.task == "all" else (args.task,)
    runs = []
    for name in names:
        print(f"training {name} in lockstep ...", flush=True)
        total = TASKS[name].steps if args.steps is None else args.steps
        with progress_bar(total, name, progress_wanted(args), unit="step") as bar:
            runs.append(run_task(name, steps=args.steps, seed=args.seed,
                                 dtype=np.dtype(args.dtype).type, threads=args.threads,
                                 on_step=lambda _step, bar=bar: bar.update(1)))
    print()
    print(format_runs(runs))
    if not args.no_figures:
        from twinnet.tasks.figures import make_task_figures

        made = make_task_figures(runs, args.out, fmt=args.fmt, dpi=args.dpi)
        print(f"\nwrote {len(made)} figures:")
        for path in made.values():
            print(f"  {path}")
    return 0 if all(r.ok for r in runs) else 1

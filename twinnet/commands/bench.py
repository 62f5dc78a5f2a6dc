"""``twinnet bench``: time scratch against torch (the suite in ``benchmarks/``).

The benchmarks live in the source checkout, beside the packages, and are not
installed; this command finds them next to ``compare/``. OpenBLAS reads
``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` when NumPy is imported, which has
already happened here, so when either is set the suite is rerun in a fresh
Python without them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
MISSING_SUITE = (
    "twinnet bench: the benchmark suite is not installed with twinnet (a wheel carries the\n"
    "packages only; no benchmarks/ folder was found in {where}). To run it, take the\n"
    "source checkout of twinnet (git clone of its repository, or unpack its sdist) and,\n"
    "inside it, run:  bash benchmarks/run.sh          (sets up .venv, then runs the suite)\n"
    "or, with twinnet already installed from that checkout:  twinnet bench")


def _import_suite():
    if not (CHECKOUT / "benchmarks" / "suite.py").is_file():
        return None
    if str(CHECKOUT) not in sys.path:
        sys.path.insert(0, str(CHECKOUT))
    from benchmarks import suite

    return suite


def register(sub) -> None:
    """Add the ``bench`` subcommand to ``sub`` (argparse's subparsers), with ``func=run``."""
    p = sub.add_parser(
        "bench", help="time scratch against torch, side by side (JSON + PNG results)",
        description="Time scratch against torch side by side: the lecture net, MLPs against "
                    "torch and against the BLAS limit, check_model, the lecture's Iris loop. "
                    "Prints medians and ratios, writes JSON and a PNG chart.")
    suite = _import_suite()
    if suite is not None:
        suite.add_arguments(p)
    p.set_defaults(func=run)


def clean_environment(env: dict[str, str]) -> dict[str, str]:
    """``env`` without the OpenBLAS overrides, with the checkout importable."""
    clean = {k: v for k, v in env.items() if k not in OPENBLAS_OVERRIDES}
    clean["PYTHONPATH"] = os.pathsep.join(p for p in (str(CHECKOUT), env.get("PYTHONPATH"))
                                          if p)
    return clean


def rerun_command(suite, args) -> list[str]:
    """The argv that reruns the benchmark suite with ``args`` in a fresh interpreter."""
    return [sys.executable, "-m", "benchmarks", *suite.argv_from_args(args)]


def run(args) -> int:
    """Run ``twinnet bench`` with the parsed ``args``.

    Returns
    -------
    int
        Exit status: the suite's own (0 when every run completes), 2 without a
        ``benchmarks/`` folder.
    """
    suite = _import_suite()
    if suite is None:
        print(MISSING_SUITE.format(where=CHECKOUT), file=sys.stderr)
        return 2
    set_overrides = [k for k in OPENBLAS_OVERRIDES if k in os.environ]
    if set_overrides:
        print(f"twinnet bench: {', '.join(set_overrides)} set; rerunning without them so "
              "OpenBLAS picks its own kernel", flush=True)
        return subprocess.call(rerun_command(suite, args), cwd=CHECKOUT,
                               env=clean_environment(dict(os.environ)))
    return suite.run_from_args(args)

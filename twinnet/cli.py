"""The ``twinnet`` command line (also ``python -m twinnet``).

Each subcommand lives in its own module under ``twinnet.commands`` and exposes
``register(subparsers)``, which adds its parser and sets ``func(args) -> int``.
``twinnet`` with no subcommand runs ``check``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Order is the order shown in --help.
COMMAND_MODULES = [
    "twinnet.commands.check",
    "twinnet.commands.lecture",
    "twinnet.commands.tasks",
    "twinnet.commands.mutants",
    "twinnet.commands.false_alarms",
    "twinnet.commands.merge",
    "twinnet.commands.bench",
]

DEFAULT_COMMAND = "check"


def build_parser() -> argparse.ArgumentParser:
    """The ``twinnet`` parser, with one subcommand per module in ``COMMAND_MODULES``."""
    parser = argparse.ArgumentParser(
        prog="twinnet",
        description="Check hand-written NumPy backprop (scratch) against torch autograd.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``twinnet``; no command (or an unknown first word) means ``check``.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        The command's exit status (0 when it returns None).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    known = set(parser._subparsers._group_actions[0].choices)  # noqa: SLF001
    if not argv or (argv[0] not in known and argv[0] not in ("-h", "--help")):
        argv.insert(0, DEFAULT_COMMAND)
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)

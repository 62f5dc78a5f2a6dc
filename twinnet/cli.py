"""The ``twinnet`` command line (also ``python -m twinnet``).

Each subcommand lives in its own module under ``twinnet.commands`` and exposes
``register(subparsers)``, which adds its parser and sets ``func(args) -> int``.
``twinnet`` with no subcommand (or with only options) runs ``check``; a bare
word that is not a subcommand is a typo, answered with the closest names.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import re
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
TOP_LEVEL_ONLY = ("-h", "--help", "--version")
# reST markup in docstrings used as help: ``literal``, :role:`target`, `text`.
_REST_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")


def plain_text(text: str) -> str:
    """``text`` without reST markup: ``x`` and `x` become x, :func:`a.b` becomes a.b."""
    return _REST_ROLE.sub(r"\1", text).replace("``", "").replace("`", "")


class PlainHelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, with the reST markup of docstrings taken out of help texts."""

    def _format_text(self, text: str) -> str:
        return super()._format_text(plain_text(text))

    def _expand_help(self, action) -> str:
        return plain_text(super()._expand_help(action))


def build_parser() -> argparse.ArgumentParser:
    """The ``twinnet`` parser, with one subcommand per module in ``COMMAND_MODULES``."""
    from twinnet import __version__

    parser = argparse.ArgumentParser(
        prog="twinnet",
        description="Check hand-written NumPy backprop (scratch) against torch autograd. "
                    "With no command, runs check.",
    )
    parser.add_argument("--version", action="version", version=f"twinnet {__version__}",
                        help="print twinnet's version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    _use_plain_help(parser)
    return parser


def _use_plain_help(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = PlainHelpFormatter
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _use_plain_help(child)


def subcommands(parser: argparse.ArgumentParser) -> list[str]:
    """The names of ``parser``'s subcommands, in help order."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


def unknown_command_message(word: str, commands: list[str]) -> str:
    """What ``twinnet WORD`` says when WORD is no subcommand: the closest names, then all."""
    close = difflib.get_close_matches(word, commands, n=3, cutoff=0.6)
    guess = f" Did you mean {' or '.join(close)}?" if close else ""
    return (f"twinnet: {word!r} is not a command.{guess}\n"
            f"Commands: {', '.join(commands)} (twinnet --help describes them; with no "
            f"command, twinnet runs {DEFAULT_COMMAND}).")


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``twinnet``; no command (or only options) means ``check``.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        The command's exit status (0 when it returns None); 2 for an unknown command.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    commands = subcommands(parser)
    if argv and not argv[0].startswith("-") and argv[0] not in commands:
        print(unknown_command_message(argv[0], commands), file=sys.stderr)
        return 2
    if not argv or (argv[0] not in commands and argv[0] not in TOP_LEVEL_ONLY):
        argv.insert(0, DEFAULT_COMMAND)
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)

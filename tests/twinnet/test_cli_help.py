"""``twinnet --help`` and every subcommand's ``--help`` work and explain every option."""

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from twinnet.cli import COMMAND_MODULES, build_parser, main

ROOT = Path(__file__).resolve().parents[2]


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    found = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert len(found) == 1
    return found[0]


PARSER = build_parser()
SUBCOMMANDS = sorted(_subparsers(PARSER).choices)


def _options_without_help(parser: argparse.ArgumentParser) -> list[str]:
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) or action.help == argparse.SUPPRESS:
            continue
        if not (action.help and action.help.strip()):
            missing.append("/".join(action.option_strings) or action.dest)
    return missing


def test_every_command_module_registers_a_subcommand():
    assert len(SUBCOMMANDS) >= len(COMMAND_MODULES) >= 1


def test_python_dash_m_compare_help_exits_0_and_lists_every_subcommand():
    # A real process: this is what a user types (``twinnet --help`` runs the same main).
    done = subprocess.run([sys.executable, "-m", "twinnet", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: twinnet")
    for name in SUBCOMMANDS:
        assert name in done.stdout, name


def test_every_subcommand_has_a_one_line_summary():
    summaries = {a.dest: a.help for a in _subparsers(PARSER)._choices_actions}
    assert sorted(summaries) == SUBCOMMANDS
    assert all(h and h.strip() for h in summaries.values()), summaries


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_subcommand_help_exits_0_and_every_option_has_help_text(name, capsys):
    # In-process (the same main() that ``python -m twinnet`` calls): one
    # interpreter start per subcommand would cost seconds for nothing.
    with pytest.raises(SystemExit) as stop:
        main([name, "--help"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: twinnet {name}")
    assert _options_without_help(_subparsers(PARSER).choices[name]) == []


def test_top_level_options_have_help_text():
    assert _options_without_help(PARSER) == []


def test_the_help_check_itself_catches_an_option_without_help():
    parser = argparse.ArgumentParser()
    parser.add_argument("--documented", help="says what it does")
    parser.add_argument("--bare")
    assert _options_without_help(parser) == ["--bare"]

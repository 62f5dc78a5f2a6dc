"""The CLI behaves like its neighbours: --version, typo suggestions, defaults, plain help."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

import twinnet
import twinnet.commands.lecture as lecture_command
from twinnet.cli import build_parser, main, plain_text, subcommands

ROOT = Path(__file__).resolve().parents[2]
REST_MARKUP = re.compile(r"``|:[a-z]+:`|`[^`\s]+`")


def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"twinnet {twinnet.__version__}"


def test_version_from_a_real_process():
    done = subprocess.run([sys.executable, "-m", "twinnet", "--version"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout.strip()) == (0, f"twinnet {twinnet.__version__}")


@pytest.mark.parametrize("typo, meant", [("chek", "check"), ("lectrue", "lecture"),
                                         ("mutant", "mutants"), ("false-alarm", "false-alarms")])
def test_a_mistyped_command_names_the_closest_and_exits_2(typo, meant, capsys):
    assert main([typo]) == 2
    err = capsys.readouterr().err
    assert f"'{typo}' is not a command" in err
    assert f"Did you mean {meant}?" in err
    for name in subcommands(build_parser()):  # and lists every command
        assert name in err


def test_a_word_like_no_command_still_lists_the_commands(capsys):
    assert main(["xyzzy"]) == 2
    err = capsys.readouterr().err
    assert "Did you mean" not in err and "Commands: check, lecture" in err


def test_no_arguments_or_only_options_still_mean_check(monkeypatch):
    seen = []
    monkeypatch.setattr("twinnet.commands.check.run", lambda args: seen.append(args) or 0)
    # register() bound func=run at parse time, so rebuild through main each call.
    assert main([]) == 0
    assert main(["-n", "3"]) == 0
    assert [a.command for a in seen] == ["check", "check"] and seen[1].cases == 3


def test_lecture_alone_runs_all_with_alls_defaults(monkeypatch):
    seen = []
    monkeypatch.setattr(lecture_command, "run_all", lambda args: seen.append(args) or 0)
    assert main(["lecture"]) == 0
    (args,) = seen
    defaults = build_parser().parse_args(["lecture", "all"])
    for option in ("out", "fmt", "dpi", "max_iter", "lockstep_iters"):
        assert getattr(args, option) == getattr(defaults, option), option


def test_plain_text_strips_rest_markup():
    assert plain_text("``twinnet check``: see :func:`compare.check_layer` and `x`") == (
        "twinnet check: see compare.check_layer and x")


def _all_help_texts(parser, prefix=()):
    yield " ".join(prefix), parser.format_help()
    for action in parser._actions:
        if hasattr(action, "choices") and isinstance(action.choices, dict):
            for name, child in action.choices.items():
                if hasattr(child, "format_help"):
                    yield from _all_help_texts(child, (*prefix, name))


def test_no_help_text_shows_rest_backticks():
    texts = dict(_all_help_texts(build_parser()))
    assert len(texts) > 10  # the walk reached the nested parsers (lecture NAME, tasks NAME)
    marked = {where: REST_MARKUP.search(text).group() for where, text in texts.items()
              if REST_MARKUP.search(text)}
    assert marked == {}

"""``twinnet lecture``: registration, dispatch of ``all``, and its exit codes."""

import pytest

from twinnet import cli
from twinnet.commands import lecture as command


def test_registered_in_the_cli():
    assert "twinnet.commands.lecture" in cli.COMMAND_MODULES
    parser = cli.build_parser()
    args = parser.parse_args(["lecture", "figures", "--out", "somewhere"])
    assert args.func is command.run_figures and args.out == "somewhere"
    assert parser.parse_args(["lecture", "figures"]).out == "out/figures"


def test_an_unknown_experiment_name_lists_the_names(capsys):
    # `twinnet lecture` alone runs all (tests/twinnet/test_cli_commands.py); a typo does not.
    with pytest.raises(SystemExit) as err:
        cli.main(["lecture", "worked-exampel"])
    assert err.value.code == 2
    assert "worked-example" in capsys.readouterr().err


def test_all_runs_every_experiment_in_order_and_returns_the_worst_code(monkeypatch, capsys):
    calls = []

    def fake(name, code):
        def run(args):
            calls.append((name, args.out, args.max_iter))
            return code
        return run

    for name, code in (("worked_example", 0), ("single_sample", 0), ("iris", 1),
                       ("perceptron", 0), ("figures", 0)):
        monkeypatch.setattr(command, f"run_{name}", fake(name, code))
    assert cli.main(["lecture", "all", "--out", "D", "--max-iter", "7"]) == 1
    assert calls == [(n, "D", 7) for n in ("worked_example", "single_sample", "iris",
                                           "perceptron", "figures")]
    out = capsys.readouterr().out
    first, last = "=== twinnet lecture worked-example", "=== twinnet lecture figures"
    assert out.index(first) < out.index(last)

"""Progress bars: tqdm on stderr for long commands, on in a terminal, off with --no-progress."""

import argparse
import io
import sys

import pytest

from twinnet.cli import build_parser, main
from twinnet.progress import progress_bar, progress_wanted

LONG_COMMANDS = [["check"], ["false-alarms"], ["mutants"], ["tasks", "digits"],
                 ["tasks", "iris"], ["tasks", "all"], ["lecture", "figures"], ["lecture", "all"]]


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("words", LONG_COMMANDS, ids=" ".join)
def test_every_long_command_takes_progress_and_no_progress(words):
    parser = build_parser()
    assert parser.parse_args([*words, "--no-progress"]).progress is False
    assert parser.parse_args([*words, "--progress"]).progress is True
    assert parser.parse_args(words).progress is None
    with pytest.raises(SystemExit):  # both at once is a contradiction
        parser.parse_args([*words, "--progress", "--no-progress"])


def test_default_follows_the_terminal_and_the_flags_override_it():
    unset = argparse.Namespace(progress=None)
    assert progress_wanted(unset, FakeTerminal()) is True
    assert progress_wanted(unset, io.StringIO()) is False
    assert progress_wanted(argparse.Namespace(progress=False), FakeTerminal()) is False
    assert progress_wanted(argparse.Namespace(progress=True), io.StringIO()) is True


def test_an_imported_ipykernel_is_not_a_notebook(monkeypatch):
    import types

    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    assert progress_wanted(argparse.Namespace(progress=None), io.StringIO()) is False


def test_inside_a_jupyter_kernel_the_bar_is_on(monkeypatch):
    import types

    class ZMQInteractiveShell:  # what IPython's get_ipython() returns in a kernel
        pass

    fake = types.ModuleType("IPython")
    fake.get_ipython = ZMQInteractiveShell
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert progress_wanted(argparse.Namespace(progress=None), io.StringIO()) is True


def test_no_progress_silences_stderr_even_on_a_terminal(capsys, monkeypatch):
    monkeypatch.setattr("sys.stderr", FakeTerminal())
    import sys

    assert main(["check", "-n", "2", "--dtype", "float64", "--no-progress"]) == 0
    assert sys.stderr.getvalue() == ""
    assert main(["check", "-n", "2", "--dtype", "float64"]) == 0
    assert "case/s" in sys.stderr.getvalue()  # the terminal gets the bar by default


def test_a_disabled_bar_prints_nothing(capsys):
    with progress_bar(3, "x", enabled=False) as bar:
        bar.update(3)
    assert capsys.readouterr() == ("", "")


def test_tasks_progress_counts_every_training_step(capsys):
    assert main(["tasks", "iris", "--steps", "7", "--no-figures", "--progress"]) == 0
    err = capsys.readouterr().err
    assert "7/7" in err or "0/7" in err  # tqdm redraws at most every 0.1 s
    assert "step/s" in err

"""``twinnet check``: summary table, exit status, options."""

import re

import numpy as np

import compare.cases
import scratch
from twinnet.cli import COMMAND_MODULES, main
from twinnet.mutants.layer_bugs import SigmoidNoDerivative


def test_check_is_registered_and_the_default():
    assert "twinnet.commands.check" in COMMAND_MODULES


def test_summary_table_and_exit_zero(capsys):
    assert main(["-n", "4", "--seed", "10"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("lecture example: ok (scratch vs torch max |diff|")
    assert "random cases: seeds 10..13" in out
    header, f64, f32 = [line for line in out.splitlines() if line.startswith(("dtype", "float"))]
    assert header.split()[:4] == ["dtype", "cases", "passed", "failed"]
    assert f64.split()[:4] == ["float64", "4", "4", "0"]
    assert f32.split()[:4] == ["float32", "4", "4", "0"]


def test_one_dtype_verbose(capsys):
    assert main(["check", "-n", "2", "--dtype", "float32", "-v"]) == 0
    out = capsys.readouterr().out
    assert "lecture example (cell [85])" in out  # the full lecture report
    assert sum(line.startswith("ok   case ") for line in out.splitlines()) == 2
    assert "float64" not in [line.split()[0] for line in out.splitlines() if line.strip()]


def test_progress_goes_to_stderr_only_when_asked(capsys):
    main(["-n", "2", "--dtype", "float64"])
    assert capsys.readouterr().err == ""  # captured stderr is no terminal: no bar
    main(["-n", "2", "--dtype", "float64", "--progress"])
    captured = capsys.readouterr()
    # A tqdm bar labelled by dtype, counting cases out of 2, on stderr only.
    assert re.search(r"float64: +\d+%\|.*\| [0-2]/2 \[.*case/s\]", captured.err), captured.err
    assert "case/s" not in captured.out


def test_a_mismatch_exits_one_and_prints_the_report(capsys, monkeypatch):
    real = compare.cases.random_case

    def broken_case(seed, dtype=None):
        case = real(seed, dtype)
        rng = np.random.default_rng(seed)
        dt = case.dtype
        case.model = scratch.Sequential(scratch.Linear(2, 3, rng=rng, dtype=dt),
                                        SigmoidNoDerivative(),
                                        scratch.Linear(3, 1, rng=rng, dtype=dt))
        case.x = rng.normal(size=(4, 2)).astype(dt)
        case.y = rng.normal(size=(4, 1)).astype(dt)
        case.loss = scratch.MSELoss()
        return case

    monkeypatch.setattr(compare.cases, "random_case", broken_case)
    assert main(["-n", "2", "--dtype", "float64"]) == 1
    out = capsys.readouterr().out
    assert "=== FAILED case 0" in out
    assert "backward diverges at layer 1 (SigmoidNoDerivative())" in out
    assert "Replay: compare.random_case(0, dtype='float64').check()" in out

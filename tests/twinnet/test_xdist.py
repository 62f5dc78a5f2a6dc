"""The twinnet fixtures under pytest-xdist: a user's suite run with ``pytest -n 2``.

A throwaway project with layer tests that use ``twinnet`` and ``twinnet_rng`` runs
in a subprocess on two xdist workers. Passing tests pass on both workers, a
broken layer fails with its report and its seed, and ``--twinnet-seed`` reaches
every worker.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("xdist", reason="pytest-xdist is in the test extra: pip install -e .[test]")

PROJECT = '''
import numpy as np
import pytest
import torch

import scratch


class StudentSigmoid:
    """A student's layer in the lecture's style: its backward forgot y (1 - y)."""

    def forward(self, x):
        self.y = 1 / (1 + np.exp(-x))
        return self.y

    def backward(self, grad_out):
        return grad_out


@pytest.mark.parametrize("i", range(6))
def test_linear_matches_torch(twinnet, twinnet_rng, i):
    layer = scratch.Linear(3, 2, rng=twinnet_rng)
    twinnet.check_layer(layer, x=twinnet_rng.normal(size=(4, 3)))


def test_broken_sigmoid_fails(twinnet, twinnet_rng):
    twinnet.check_layer(StudentSigmoid(), reference=torch.sigmoid,
                        x=twinnet_rng.normal(size=(4, 3)))


@pytest.mark.parametrize("i", range(4))
def test_seed_option_reaches_the_worker(twinnet_seed, request, i):
    wanted = request.config.getoption("twinnet_seed")
    if wanted is not None:
        assert twinnet_seed == wanted
'''


def run_xdist(tmp_path, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_student.py").write_text(textwrap.dedent(PROJECT))
    return subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider",
                           "-rf", *args, str(tmp_path)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)


def test_fixtures_work_on_two_xdist_workers(tmp_path):
    done = run_xdist(tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert re.search(r"created: 2/2 workers|2 workers \[11 items\]", out), out
    assert re.search(r"\b1 failed, 10 passed\b", out), out
    assert "FAILED test_student.py::test_broken_sigmoid_fails" in out
    assert "dL/dinput" in out  # the report is the failure message, sent back by the worker
    seed = re.search(r"twinnet seed: (\d+)", out)
    assert seed, out

    replay = run_xdist(tmp_path, "--twinnet-seed", seed.group(1))
    out = replay.stdout + replay.stderr
    assert re.search(r"\b1 failed, 10 passed\b", out), out  # every worker saw the seed
    assert f"twinnet seed: {seed.group(1)}" in out

"""``twinnet tasks``: the printed table holds computed numbers, figures land in --out, and a
planted bug makes the command exit 1 naming the step and parameter."""

import re
from dataclasses import replace

import numpy as np
import pytest
import torch

import torch_ref
import twinnet.tasks.runs
from twinnet.cli import COMMAND_MODULES, build_parser, main
from twinnet.mutants.deep_bugs import Conv2dWeightGradReshapedNotTransposed
from twinnet.tasks import TASKS, digits_cnn, iris_mlp, load_iris_split
from twinnet.tasks.runs import torch_threads


def table_rows(out: str) -> dict[str, list[str]]:
    """Task name -> the table cells, split on runs of 2+ spaces."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("task "))
    rows = {}
    for line in lines[start + 1:]:
        if not line.strip():
            break
        cells = re.split(r"\s{2,}", line.strip())
        rows[cells[0]] = cells
    return rows


def test_tasks_is_registered():
    assert "twinnet.commands.tasks" in COMMAND_MODULES


def test_help_quotes_the_real_default_steps():
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices["tasks"]
    helps = {a.dest: a.help for a in next(
        a for a in sub._actions if a.dest == "task")._choices_actions}
    for name in ("digits", "iris"):
        assert f"{TASKS[name].steps} steps by default" in helps[name]


def independent_iris(seed: int, steps: int):
    """The documented seeding, then plain torch full-batch SGD and scoring (no lockstep)."""
    split_rng, init_rng, _ = np.random.default_rng(seed).spawn(3)
    split = load_iris_split(split_rng)
    model = torch_ref.to_torch(iris_mlp(init_rng))
    x, y = torch.from_numpy(split.x_train), torch.from_numpy(split.y_train)
    with torch_threads(1):
        for _ in range(steps):
            model.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= TASKS["iris"].lr * p.grad
        with torch.no_grad():
            train = (model(x).argmax(1).numpy() == split.y_train).mean()
            test = (model(torch.from_numpy(split.x_test)).argmax(1).numpy()
                    == split.y_test).mean()
    return loss.item(), train, test


@pytest.mark.parametrize("seed", [1, 2])
def test_iris_table_matches_an_independent_torch_run(seed, capsys, tmp_path):
    assert main(["tasks", "iris", "--steps", "40", "--seed", str(seed),
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    row = table_rows(out)["iris"]
    assert row[1:3] == ["40/40", "held"]
    loss, train, test = independent_iris(seed, 40)
    assert row[3] == f"{loss:.4f} / {loss:.4f}"
    assert row[4] == f"{train:.4f} / {train:.4f}"
    assert row[5] == f"{test:.4f} / {test:.4f}"
    assert f"seed {seed};" in out
    assert str(tmp_path / "iris_training.png") in out
    assert [p.name for p in tmp_path.iterdir()] == ["iris_training.png"]


def test_a_different_seed_prints_different_numbers(capsys):
    rows = []
    for seed in (1, 2):
        main(["tasks", "iris", "--steps", "20", "--seed", str(seed), "--no-figures"])
        rows.append(table_rows(capsys.readouterr().out)["iris"])
    assert rows[0][3] != rows[1][3]  # final losses differ


def test_a_planted_conv_bug_exits_one_naming_step_1_and_the_weight(capsys, monkeypatch):
    broken = replace(TASKS["digits"], build=lambda rng, dtype: digits_cnn(
        rng, dtype, conv=Conv2dWeightGradReshapedNotTransposed))
    monkeypatch.setitem(twinnet.tasks.runs.TASKS, "digits", broken)
    assert main(["tasks", "digits", "--steps", "5", "--no-figures"]) == 1
    out = capsys.readouterr().out
    assert table_rows(out)["digits"][1:3] == ["1/5", "FAILED@1"]
    assert "lockstep diverged at step 1 of 5" in out
    assert "gradient of '0.W' (torch '0.weight')" in out


def test_all_runs_both_tasks(capsys, monkeypatch):
    # Short runs: patch the defaults (the real ones are exercised by `twinnet tasks all`).
    for name in ("digits", "iris"):
        monkeypatch.setitem(twinnet.tasks.runs.TASKS, name, replace(TASKS[name], steps=3))
    assert main(["tasks", "all", "--no-figures", "--dtype", "float32"]) == 0
    out = capsys.readouterr().out
    rows = table_rows(out)
    assert sorted(rows) == ["digits", "iris"]
    assert all(r[1:3] == ["3/3", "held"] for r in rows.values())
    assert out.count("; float32; ") == 2

"""``check --json`` carries the worst |diff| / allowed per dtype that the text table prints."""

import json
import re

import pytest

from compare.cases import random_case
from twinnet.cli import main

SEEDS = range(5, 9)  # -n 4 --seed 5




def _table_worst(out: str, dtype: str) -> list[tuple[float, float, float, int]]:
    """(|diff|, allowed, ratio, case) of the forward and gradient columns of ``dtype``'s row."""
    row = next(line for line in out.splitlines() if line.startswith(dtype))
    found = re.findall(r"(\S+) / (\S+) = (\S+) \(case (\d+)\)", row)
    return [(float(d), float(a), float(r), int(s)) for d, a, r, s in found]


def test_json_worst_matches_the_table_and_the_cases_themselves(capsys):
    assert main(["check", "-n", "4", "--seed", "5", "--no-progress"]) == 0
    table = capsys.readouterr().out
    assert main(["check", "-n", "4", "--seed", "5", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    for row in doc["summary"]:
        worst = row["worst"]
        forward, gradient = _table_worst(table, row["dtype"])
        for (diff, allowed, ratio, seed), w in ((forward, worst["forward"]),
                                                (gradient, worst["gradient"])):
            assert w["seed"] == seed
            # the table prints 2 significant digits of the same numbers
            assert w["ratio"] == pytest.approx(ratio, rel=0.05, abs=1e-3)
            assert w["diff"] == pytest.approx(diff, rel=0.06)
            assert w["allowed"] == pytest.approx(allowed, rel=0.06)
            assert 0 <= w["ratio"] < 1  # passing cases stay within tolerance
        # Independently of both printers: rerun every case and take the largest ratio.
        gradient_ratios = []
        for seed in SEEDS:
            report = random_case(seed, row["dtype"]).check()
            gradient_ratios += [e.ratio for e in report.entries
                                if e.kind in ("param_grad", "input_grad") and e.diff.comparable]
        assert worst["gradient"]["ratio"] == max(gradient_ratios)

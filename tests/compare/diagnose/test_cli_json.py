"""``twinnet check --json``: one strict-JSON document whose failing reports carry hints."""

import json

import compare.cases
from twinnet.cli import main

from .planted_models import MODEL_CASES


class _BrokenCase:
    """Stands in for a random case: the planted BCE sign flip."""

    def __init__(self, seed, dtype=None):
        self.seed = seed

    def check(self):
        return next(c for c in MODEL_CASES if c.name == "BCE gradient sign").run()

    def __str__(self):
        return f"planted case {self.seed}"


def test_json_document_passes(capsys):
    assert main(["check", "-n", "2", "--dtype", "float64", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is True and doc["failures"] == []
    (summary,) = doc["summary"]
    assert {k: summary[k] for k in ("dtype", "cases", "passed", "failed")} == {
        "dtype": "float64", "cases": 2, "passed": 2, "failed": 0}
    # the worst gradient ratio is the larger of the two cases' own worst gradient entries
    reports = [compare.cases.random_case(s, "float64").check() for s in (0, 1)]
    worst = max((r.worst(("param_grad", "input_grad")) for r in reports), key=lambda e: e.ratio)
    assert summary["worst"]["gradient"]["ratio"] == worst.ratio < 1
    assert len(summary["ratios"]) == 2
    assert doc["lecture"]["ok"] is True


def test_json_document_carries_hints_of_failures(capsys, monkeypatch):
    monkeypatch.setattr(compare.cases, "random_case", _BrokenCase)
    assert main(["check", "-n", "1", "--dtype", "float64", "--json"]) == 1
    out = capsys.readouterr().out
    doc = json.loads(out)  # strict: json.loads would accept NaN, so check the text too
    assert "NaN" not in out and "Infinity" not in out
    (failure,) = doc["failures"]
    assert failure["case"] == "planted case 0"
    assert failure["report"]["hints"][0]["kind"] == "sign_flip"
    assert doc["summary"][0]["failed"] == 1


def test_table_output_is_plain_when_piped(capsys, monkeypatch):
    monkeypatch.setattr(compare.cases, "random_case", _BrokenCase)
    assert main(["check", "-n", "1", "--dtype", "float64"]) == 1
    out = capsys.readouterr().out
    assert "[sign_flip]" in out and "\033[" not in out

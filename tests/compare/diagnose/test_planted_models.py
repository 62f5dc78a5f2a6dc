"""Planted bugs inside models, run through check_model, are named by the report's hint."""

import numpy as np
import pytest

import scratch
from compare.model_check import check_model

from .planted_models import MODEL_CASES


@pytest.mark.parametrize("case", MODEL_CASES, ids=[c.name for c in MODEL_CASES])
def test_planted_model_bug_is_diagnosed(case):
    if case.requires:
        pytest.importorskip(case.requires)
    report = case.run()
    assert not report.ok
    hints = report.hints
    assert hints, str(report)
    assert hints[0].kind == case.kind, [str(h) for h in hints]
    for words in case.words:
        assert words in hints[0].message, hints[0].message


ACTS = [scratch.Sigmoid, scratch.Tanh, scratch.ReLU, scratch.Identity]


def _random_correct_case(seed):
    rng = np.random.default_rng(seed)
    n, d_in, hidden, d_out = (int(v) for v in rng.integers(1, 6, size=4))
    dtype = (np.float64, np.float32)[seed % 2]
    layers = [scratch.Linear(d_in, hidden, rng=rng, dtype=dtype), ACTS[seed % 4]()]
    layers.append(scratch.Linear(hidden, d_out, rng=rng, dtype=dtype))
    x = rng.normal(size=(n, d_in)).astype(dtype)
    loss = ("mse", "bce_with_logits", "cross_entropy")[seed % 3]
    if loss == "cross_entropy":
        y = rng.integers(0, d_out, size=n)
    elif loss == "mse":
        y = rng.normal(size=(n, d_out)).astype(dtype)
    else:
        y = (rng.random((n, d_out)) > 0.5).astype(dtype)
    return check_model(scratch.Sequential(*layers), x, y, loss, seed=seed)


def test_fifty_correct_models_give_no_hint():
    for seed in range(50):
        report = _random_correct_case(seed)
        assert report.ok, str(report)
        assert report.hints == []
        assert "Likely cause" not in str(report)

"""Every planted layer bug, run through check_layer, is named by the report's hint."""

import numpy as np
import pytest
import torch

import scratch
from compare.diagnose import diagnose
from compare.layer_check import check_layer

from .planted_layers import CASES


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_planted_bug_is_diagnosed(case):
    report = case.run()
    assert not report.ok
    hints = diagnose(report, time_axis=case.time_axis)
    assert hints, str(report)
    assert hints[0].kind == case.kind, [str(h) for h in hints]
    for words in case.words:
        assert words in hints[0].message, hints[0].message
    assert hints[0].where == report.first_divergence.entry.name


def test_report_hints_reach_text_json_and_html():
    report = CASES[0].run()  # transposed dW
    assert report.hints and report.hints[0].kind == "transpose"
    assert "Likely cause (diagnosis):" in str(report)
    assert "[transpose]" in str(report)
    assert report.to_dict()["hints"][0]["kind"] == "transpose"
    assert '"kind": "transpose"' in report.to_json()
    assert "transpose" in report._repr_html_()


def test_transposed_non_square_weight_is_named_despite_shape_error():
    class LectureStyleLayer:
        """y = x @ W with .W / .W_grad, as in the lecture; dW built as (out, in)."""

        def __init__(self):
            self.W = np.random.default_rng(5).normal(size=(3, 2))
            self.W_grad = np.zeros_like(self.W)

        def forward(self, x):
            self.x = x
            return x @ self.W

        def backward(self, g):
            self.W_grad = g.T @ self.x   # planted: the transpose of x.T @ g
            return g @ self.W.T

    report = check_layer(LectureStyleLayer(), lambda x, W: x @ W,
                         x=np.random.default_rng(6).normal(size=(4, 3)))
    assert report.entry("dL/dW").status == "shape"
    assert [h.kind for h in report.hints] == ["transpose"]


def test_fifty_correct_layers_give_no_hint():
    layers = [(scratch.Sigmoid, torch.sigmoid), (scratch.Tanh, torch.tanh),
              (scratch.ReLU, torch.relu)]
    for seed in range(50):
        rng = np.random.default_rng(seed)
        n, d_in, d_out = (int(v) for v in rng.integers(1, 6, size=3))
        dtype = (np.float64, np.float32)[seed % 2]
        x = rng.normal(size=(n, d_in)).astype(dtype)
        if seed % 4 < 2:
            layer, ref = scratch.Linear(d_in, d_out, rng=seed, dtype=dtype), \
                (lambda x, W, b: x @ W + b)
        else:
            cls, ref = layers[seed % 3]
            layer = cls()
        report = check_layer(layer, ref, x=x, seed=seed)
        assert report.ok, str(report)
        assert report.hints == [] and report.to_dict()["hints"] == []

"""The conv benchmark runs end to end on a tiny setting (timings themselves are not asserted)."""

import numpy as np
import torch

from benchmarks.conv_speed import bench, scratch_model, torch_model


def test_bench_returns_a_row_per_model_with_positive_times():
    rows = bench(batch=2, dtype=np.dtype(np.float64), repeats=1, number=1)
    assert [row[0] for row in rows] == ["conv", "cnn"]
    assert all(t > 0 for row in rows for t in row[1:])


def test_benchmarked_models_have_the_same_architecture():
    s_model = scratch_model(np.random.default_rng(0), np.float64)
    t_model = torch_model(torch.float64)
    assert [type(layer).__name__ for layer in s_model] == [
        type(module).__name__ for module in t_model]
    assert sum(p.size for p in s_model.params.values()) == sum(
        p.numel() for p in t_model.parameters())

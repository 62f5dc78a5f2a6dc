"""Random cases: a sample per dtype passes (no false alarm), replays from its seed, has range."""

import numpy as np
import pytest

import scratch
from compare import random_case, random_cases

PER_DTYPE = 100
CHUNK = 25


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("start", range(0, PER_DTYPE, CHUNK))
def test_random_cases_pass(dtype, start):
    for case in random_cases(CHUNK, seed=start, dtype=dtype):
        report = case.check()
        assert report.ok, f"{case}\n{report}"
        assert report.seed == case.seed and report.replay == case.replay


def test_a_seed_replays_exactly():
    a, b = random_case(123, "float32"), random_case(123, "float32")
    assert str(a) == str(b) and a.kinks == b.kinks
    np.testing.assert_array_equal(a.x, b.x)
    for key, value in a.model.params.items():
        np.testing.assert_array_equal(value, b.model.params[key])
    assert a.replay == "compare.random_case(123, dtype='float32').check()"


def test_the_sample_covers_what_it_claims():
    cases = list(random_cases(2 * PER_DTYPE, seed=0))
    models = [c.model for c in cases]
    layers = [layer for m in models if isinstance(m, scratch.Sequential) for layer in m.layers]
    losses = {type(c.loss).__name__ for c in cases}
    assert {c.dtype.name for c in cases} == {"float32", "float64"}
    assert 1 in {c.x.shape[0] for c in cases}
    assert {"BCELoss", "BCEWithLogitsLoss", "MSELoss", "CrossEntropyLoss", "NoneType"} <= losses
    assert {c.loss.reduction for c in cases if c.loss is not None} == {"mean", "sum"}
    assert any(isinstance(m, scratch.Net) for m in models)
    assert any(not isinstance(m, scratch.Sequential | scratch.Net) for m in models)
    for cls in (scratch.ReLU, scratch.Step, scratch.Tanh, scratch.Sigmoid, scratch.Identity,
                scratch.LinearSigmoid):
        assert any(isinstance(layer, cls) for layer in layers), cls
    kinks = " ".join(k for c in cases for k in c.kinks)
    assert "exact 0 into" in kinks and "from the kink of" in kinks


def test_exact_kink_is_really_zero_and_near_kink_really_near():
    exact = next(c for c in random_cases(200) if any("exact 0 into" in k for k in c.kinks))
    near = next(c for c in random_cases(200) if any("from the kink" in k for k in c.kinks))
    for case, check in ((exact, lambda z: (z == 0).any()),
                        (near, lambda z: ((z != 0) & (np.abs(z) < 1e-2)).any())):
        report = case.check()
        inputs = [e.actual for e in report.entries if e.kind == "forward"
                  and isinstance(case.model.layers[e.layer + 1] if e.layer + 1 < len(
                      case.model.layers) else None, scratch.ReLU | scratch.Step)]
        assert any(check(z) for z in inputs), case

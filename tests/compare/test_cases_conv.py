"""Random conv/recurrent cases: they pass, cover what the issue asks for, replay, and leave
the dense cases of the other seeds exactly as they were."""

import numpy as np
import pytest

import compare
import scratch
from compare import cases
from compare.cases_conv import is_structured

STRUCTURED = [s for s in range(400) if is_structured(s)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_structured_cases_pass(dtype):
    failed = []
    for seed in STRUCTURED[:15]:
        report = compare.random_case(seed, dtype).check()
        if not report.ok:
            failed.append(f"{seed}: {report.first_divergence}")
    assert not failed, failed


def layers_of(model):
    return model.layers if isinstance(model, scratch.Sequential) else [model]


def test_structured_cases_cover_the_new_layers_and_their_settings():
    found = set()
    for seed in STRUCTURED:
        case = compare.random_case(seed, "float64")
        layers = layers_of(case.model)
        found.add(("model", type(case.model).__name__ if len(layers) > 1 else
                   "single " + type(case.model).__name__))
        found.add(("loss", type(case.loss).__name__))
        found.add(("batch 1", case.x.shape[0] == 1))
        for layer in layers:
            if isinstance(layer, scratch.Conv2d):
                found.add(("conv stride > 1", max(layer.stride) > 1))
                found.add(("conv padding > 0", max(layer.padding) > 0))
                found.add(("conv non-square kernel", layer.kernel_size[0] != layer.kernel_size[1]))
                found.add(("conv bias", layer.bias))
            if isinstance(layer, scratch.MaxPool2d):
                found.add(("pool overlapping", min(layer.stride) < max(layer.kernel_size)))
                found.add(("pool default stride", layer.stride == layer.kernel_size))
            if isinstance(layer, scratch.RNN):
                found.add(("sequence length 1", case.x.shape[1] == 1))
            found.add(("layer", type(layer).__name__))
        if case.x.ndim == 4:
            found.add(("odd image side", bool(case.x.shape[2] % 2 or case.x.shape[3] % 2)))
        found.add(("stacked RNNs", sum(isinstance(m, scratch.RNN) for m in layers) == 2))
        for kink in case.kinks:
            found.add(("kink", kink.split(" ")[0] if "tie" not in kink else "pool tie"))
    wanted = {
        *[("layer", n) for n in ("Conv2d", "MaxPool2d", "Flatten", "Softmax", "RNN", "ReLU",
                                 "Linear")],
        *[("model", f"single {n}") for n in ("Conv2d", "MaxPool2d", "Flatten", "Softmax",
                                            "RNN")],
        ("model", "Sequential"),
        *[("loss", n) for n in ("MSELoss", "CrossEntropyLoss", "BCEWithLogitsLoss", "NoneType")],
        *[(what, flag) for what in ("conv stride > 1", "conv padding > 0",
                                    "conv non-square kernel", "conv bias", "pool overlapping",
                                    "pool default stride", "sequence length 1", "odd image side",
                                    "stacked RNNs", "batch 1") for flag in (True, False)],
        ("kink", "exact"), ("kink", "sample"), ("kink", "pool tie"),
    }
    assert wanted - found == set()


def test_a_seed_replays_the_same_case():
    seed = STRUCTURED[3]
    a, b = compare.random_case(seed, "float32"), compare.random_case(seed, "float32")
    assert repr(a.model) == repr(b.model)
    np.testing.assert_array_equal(a.x, b.x)
    for key in a.model.params:
        np.testing.assert_array_equal(a.model.params[key], b.model.params[key])


def test_other_seeds_draw_the_dense_case_they_always_did():
    # random_case before conv cases existed: the dtype draw, then cases._draw until kink-safe
    for seed in [s for s in range(30) if not is_structured(s)][:12]:
        rng = np.random.default_rng(seed)
        rng.integers(2)
        expected = None
        while expected is None:
            expected = cases._draw(rng, np.dtype(np.float64), seed)
        case = compare.random_case(seed, "float64")
        assert type(case.model) is type(expected.model)
        assert case.model.params.keys() == expected.model.params.keys()
        for key in case.model.params:
            np.testing.assert_array_equal(case.model.params[key], expected.model.params[key])
        np.testing.assert_array_equal(case.x, expected.x)

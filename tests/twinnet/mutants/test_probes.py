"""compare's probes (added after mutation testing): each catches a bug ordinary data hides.

Every test shows the bug passing with the probe switched off and failing, at
the right layer and entry, with it on; and that the probes change nothing for
correct code or for the model they run on.
"""

import numpy as np
import pytest

import scratch
from compare import check_layer, check_model
from compare.probes import INPUT_CHANGED, decoy_input, extreme_case, kink_input, worst_ratio
from twinnet.mutants import by_id
from twinnet.mutants.layer_bugs import LinearStaleInput, ReLUGradAtZero, TanhInPlace


def failing(report):
    return [(e.layer, e.label, e.param) for e in report.failures]


# -- decoy forward ---------------------------------------------------------------------

def test_decoy_forward_catches_an_input_cached_only_once():
    # (the zeroed-unit probe also runs a forward first, so it is off on both sides here)
    case = by_id("linear-stale-input").model_case(seed=1)
    assert check_model(case.model, case.x, case.y, case.loss, forward_twice=False,
                       probe_kinks=False).ok
    case = by_id("linear-stale-input").model_case(seed=1)
    report = check_model(case.model, case.x, case.y, case.loss, probe_kinks=False)
    div = report.first_divergence
    assert div.layer == 2 and "2.W" in [e.param for e in div.entries]


def test_check_layer_decoy_forward():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 3))

    def run(**kw):
        layer = LinearStaleInput(3, 2, rng=1)
        return check_layer(layer, lambda x, W, b: x @ W + b, x, **kw)

    assert run(forward_twice=False, probe_kinks=False).ok
    assert [e.param for e in run().first_divergence.entries] == ["W"]


def test_decoy_has_the_same_values_in_another_order():
    x = np.arange(12.0).reshape(4, 3)
    d = decoy_input(x, seed=0)
    assert d.shape == x.shape and d.dtype == x.dtype and d is not x
    assert not np.array_equal(d, x)
    np.testing.assert_array_equal(np.sort(d.ravel()), x.ravel())
    np.testing.assert_array_equal(decoy_input(x, seed=0), d)  # replays from the seed


# -- exact zeros -----------------------------------------------------------------------

def test_zeroed_unit_probe_catches_relu_grad_at_zero_inside_a_model():
    case = by_id("relu-grad-at-zero").model_case(seed=0)
    assert check_model(case.model, case.x, case.y, case.loss, probe_kinks=False).ok
    before = {k: v.copy() for k, v in case.model.params.items()}
    report = check_model(case.model, case.x, case.y, case.loss)
    div = report.first_divergence
    assert div.layer == 1 and div.entry.label == "dL/dinput"
    assert "[exact-0 units]" in div.layer_desc
    assert any("zeroed layer 0 unit" in note for note in report.notes)
    for key, value in before.items():  # the weights are restored bit for bit
        assert case.model.params[key].tobytes() == value.tobytes()


def test_check_layer_zeros_in_x_catch_relu_grad_at_zero():
    x = np.random.default_rng(2).normal(size=(5, 4))
    assert check_layer(ReLUGradAtZero(), lambda t: t.relu(), x, probe_kinks=False).ok
    report = check_layer(ReLUGradAtZero(), lambda t: t.relu(), x)
    assert report.first_divergence.entry.label == "dL/dinput"
    assert "[x with exact zeros]" in report.first_divergence.layer_desc


def test_kink_input_zeroes_about_a_third_and_at_least_one():
    x = np.full((1, 1), 2.0)
    np.testing.assert_array_equal(kink_input(x, seed=0), [[0.0]])
    assert kink_input(np.zeros((3, 3)), seed=0) is None
    big = kink_input(np.ones((60, 50)), seed=0)
    assert 0.25 < np.mean(big == 0) < 0.42


# -- extreme predictions ---------------------------------------------------------------

@pytest.mark.parametrize("mid, label", [("bce-eps-1e-7", "dL/dpred"),
                                        ("bce-log-clamp-10", "loss"),
                                        ("bce-logits-naive-forward", "loss"),
                                        ("ce-no-max-shift", "loss")])
def test_extreme_predictions_catch_loss_bugs_at_saturation(mid, label):
    case = by_id(mid).model_case(seed=0)
    assert check_model(case.model, case.x, case.y, case.loss, probe_extremes=False).ok
    report = check_model(case.model, case.x, case.y, case.loss)
    div = report.first_divergence
    assert div.entry.is_loss and div.entry.label == label
    assert "at extreme predictions" in div.layer_desc


@pytest.mark.parametrize("name", ["bce", "bce_with_logits", "mse", "cross_entropy"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_correct_losses_pass_at_extreme_predictions(name, dtype):
    rng = np.random.default_rng(0)
    width = 3
    model = scratch.Sequential(scratch.Linear(2, width, rng=rng, dtype=dtype),
                               *([scratch.Sigmoid()] if name == "bce" else []))
    x = rng.normal(size=(4, 2)).astype(dtype)
    y = (rng.integers(0, width, 4) if name == "cross_entropy"
         else rng.integers(0, 2, (4, width)).astype(dtype))
    report = check_model(model, x, y, name)
    assert report.ok, str(report)
    # a passing probe leaves the report as it reads without probes, and is kept aside
    assert not any("extreme" in e.layer_desc for e in report.entries)
    (extreme,) = [r for note, r in report.probes if note == "at extreme predictions"]
    assert [e.label for e in extreme.entries] == ["loss", "dL/dpred"] and extreme.ok


def test_extreme_case_reaches_the_saturation_points():
    pred, y = extreme_case(scratch.BCELoss(), 2, np.float64)
    assert pred.shape == y.shape == (6, 2)
    assert {0.0, 1.0} <= set(pred.ravel()) and (pred * (1 - pred) < 1e-7).sum() >= 8
    logits, labels = extreme_case(scratch.CrossEntropyLoss(), 4, np.float64)
    assert logits.max() > 709 and labels.dtype.kind == "i" and labels.max() < 4


# -- a forward that writes into its input ---------------------------------------------

def test_in_place_forward_is_blamed_not_the_layer_whose_cache_it_hit():
    case = by_id("tanh-inplace-clobbers-cache").model_case(seed=0)
    report = check_model(case.model, case.x, case.y, case.loss)
    div = report.first_divergence
    assert div.phase == "forward" and div.layer == 2 and div.entry.label == INPUT_CHANGED
    assert "changed its input array in place" in div.message
    # without the check the victim (the Sigmoid at layer 1) takes the blame
    sigmoid_backward = report.entry("layer 1 (Sigmoid()) dL/dinput")
    assert not sigmoid_backward.ok


def test_check_layer_names_a_forward_that_overwrites_the_callers_x():
    x = np.random.default_rng(0).normal(size=(3, 4))
    kept = x.copy()
    report = check_layer(TanhInPlace(), lambda t: t.tanh(), x)
    assert report.first_divergence.entry.label == INPUT_CHANGED
    assert not np.array_equal(x, kept)  # it really was overwritten


# -- no noise for correct code, no duplicates for broken code ------------------------

def test_probes_add_nothing_to_a_failing_report():
    case = by_id("linear-db-mean").model_case(seed=0)
    report = check_model(case.model, case.x, case.y, case.loss)
    assert not report.ok
    assert not any("[exact-0 units]" in e.layer_desc or "extreme" in e.layer_desc
                   for e in report.entries)
    assert [e.param for e in report.first_divergence.entries] == ["2.b"]


def test_model_state_after_a_check_is_the_judged_runs():
    # the zeroed-unit probe runs first; grads and caches must end as x left them
    rng = np.random.default_rng(4)
    model = scratch.Sequential(scratch.Linear(3, 4, rng=rng), scratch.ReLU(),
                               scratch.Linear(4, 2, rng=rng))
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    assert check_model(model, x, y, "mse").ok
    after_check = {k: g.copy() for k, g in model.grads.items()}
    loss = scratch.MSELoss()
    loss.forward(model.forward(x), y)
    model.backward(loss.backward())
    for key, g in model.grads.items():
        np.testing.assert_array_equal(after_check[key], g)


def test_passing_probes_are_kept_aside_and_count_in_the_worst_ratio():
    rng = np.random.default_rng(1)
    model = scratch.Sequential(scratch.Linear(3, 4, rng=rng), scratch.ReLU(),
                               scratch.Linear(4, 1, rng=rng), scratch.Sigmoid())
    x, y = rng.normal(size=(5, 3)), rng.integers(0, 2, (5, 1)).astype(float)
    report = check_model(model, x, y, "bce")
    plain = check_model(model, x, y, "bce", probe_kinks=False, probe_extremes=False)
    assert [e.name for e in report.entries] == [e.name for e in plain.entries]
    notes = sorted(note for note, _ in report.probes)
    assert notes == ["[exact-0 units]", "at extreme predictions"]
    ratio, name = worst_ratio(report)
    assert ratio == max(r.worst().ratio for r in [report] + [p for _, p in report.probes])
    assert name


def test_zeroed_conv_channel_makes_pooling_ties_that_catch_every_tied_max():
    case = by_id("maxpool-grad-to-every-tied-max").model_case(seed=0)
    assert check_model(case.model, case.x, case.y, case.loss, probe_kinks=False).ok
    before = {k: v.copy() for k, v in case.model.params.items()}
    div = check_model(case.model, case.x, case.y, case.loss).first_divergence
    assert div.layer == 1 and div.entry.label == "dL/dinput"
    assert "[exact-0 units]" in div.layer_desc
    for key, value in before.items():
        assert case.model.params[key].tobytes() == value.tobytes()

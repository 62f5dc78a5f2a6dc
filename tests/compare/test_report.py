"""Report: text for terminals and pytest, dict/JSON form, first_divergence rules."""

import json

import numpy as np

import scratch
from compare import Report, check_model
from compare.diff import compare_arrays
from compare.report import Entry, find_divergence
from twinnet.mutants.layer_bugs import SigmoidNoDerivative, TanhForwardHalvesInput


def entry(kind, layer, ok=True, label="x", is_loss=False):
    expected = np.ones(2)
    diff = compare_arrays(expected if ok else expected * 2, expected, rtol=1e-7, atol=1e-7)
    return Entry(label, kind, layer, f"L{layer}", diff, is_loss=is_loss)


def test_forward_divergence_wins_over_later_backward_failures():
    entries = [entry("forward", 0), entry("forward", 1, ok=False), entry("forward", 2, ok=False),
               entry("input_grad", 2, ok=False), entry("input_grad", 1, ok=False)]
    div = find_divergence(entries)
    assert (div.phase, div.layer) == ("forward", 1)
    assert div.message == ("forward diverges at layer 1 (L1): its output differs while its "
                           "input matched")


def test_backward_divergence_is_the_first_failure_walking_back_from_the_loss():
    entries = [entry("forward", 0), entry("forward", 1), entry("loss", 2, is_loss=True),
               entry("input_grad", 2, is_loss=True, label="dL/dpred"),
               entry("input_grad", 1, label="dL/dinput"),
               entry("param_grad", 0, ok=False, label="dL/dW"),
               entry("input_grad", 0, ok=False, label="dL/dinput")]
    div = find_divergence(entries)
    assert (div.phase, div.layer) == ("backward", 0)
    assert [e.label for e in div.entries] == ["dL/dW", "dL/dinput"]
    assert div.message == ("backward diverges at layer 0 (L0): dL/dW and dL/dinput wrong while "
                           "its dL/doutput matched")


def test_loss_value_divergence_and_empty_report():
    entries = [entry("forward", 0), entry("loss", 1, ok=False, is_loss=True, label="loss")]
    assert find_divergence(entries).message.startswith("forward diverges at the loss (L1)")
    empty = Report("nothing", [], dtype="float64")
    assert not empty.ok and "FAIL: nothing was compared" in str(empty)


def failing_report():
    rng = np.random.default_rng(0)
    model = scratch.Sequential(scratch.Linear(2, 3, rng=rng), SigmoidNoDerivative(),
                               scratch.Linear(3, 1, rng=rng), scratch.Sigmoid())
    return check_model(model, rng.normal(size=(4, 2)), rng.random((4, 1)), "bce", seed=42,
                       replay="replay_me()")


def test_text_names_the_layer_the_worst_element_and_the_tolerances():
    text = str(failing_report())
    lines = text.splitlines()
    assert lines[0].startswith("check_model: Sequential(Linear(2, 3), SigmoidNoDerivative()")
    assert "[scratch vs torch, float64, seed 42]" in lines[0]
    assert lines[1] == ("FAIL: backward diverges at layer 1 (SigmoidNoDerivative()): "
                        "dL/dinput wrong while its dL/doutput matched")
    assert "MISMATCH <--" in text and "Mismatches (worst element of each):" in text
    assert "layer 1 (SigmoidNoDerivative()) dL/dinput: out of tolerance: 12 of 12" in text
    assert ("Tolerances (|diff| <= atol + rtol*|torch|): forward rtol=1e-09, atol per array = "
            "max(1e-09 x its max|ref|, 16 x its rounding envelope") in text
    assert "Replay: replay_me()" in text


def test_passing_report_says_how_close_it_came():
    rng = np.random.default_rng(1)
    model = scratch.Sequential(scratch.Linear(2, 1, rng=rng))
    report = check_model(model, rng.normal(size=(3, 2)), rng.normal(size=(3, 1)), "mse")
    assert str(report).splitlines()[1].startswith("OK: all 6 checks pass; closest to its tolerance")


def test_to_dict_round_trips_through_json():
    blob = json.loads(json.dumps(failing_report().to_dict()))
    assert blob["ok"] is False and blob["seed"] == 42 and blob["dtype"] == "float64"
    assert blob["first_divergence"]["phase"] == "backward"
    assert blob["first_divergence"]["layer"] == 1
    w = next(e for e in blob["entries"] if e["param"] == "0.W")
    assert w["reference_param"] == "0.weight" and w["transposed"] is True
    assert {"max_abs_diff", "max_rel_diff", "allowed_at_worst", "worst_index",
            "actual_at_worst", "expected_at_worst", "status", "kind", "layer"} <= set(w)


def test_forward_bug_message_in_text():
    rng = np.random.default_rng(2)
    model = scratch.Sequential(scratch.Linear(2, 3, rng=rng), TanhForwardHalvesInput(),
                               scratch.Linear(3, 1, rng=rng))
    report = check_model(model, rng.normal(size=(4, 2)), rng.normal(size=(4, 1)), "mse")
    assert "FAIL: forward diverges at layer 1 (TanhForwardHalvesInput())" in str(report)

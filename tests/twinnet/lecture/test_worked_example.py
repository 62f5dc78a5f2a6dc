"""The worked example: lecture values reproduced, and every printed number computed.

Independent witness: the two-layer net written out with plain torch tensors
and autograd here (no torch_ref, no scratch).
"""

import numpy as np
import pytest
import torch

from twinnet.cli import main
from twinnet.lecture import worked_example
from twinnet.lecture.reference import PRINTED, Printed, example_arrays
from twinnet.lecture.worked_example import format_worked_example, run_worked_example


def autograd_intermediates(x, W, V, label):
    """h, y, J, dJ/dy, dJ/dh, dJ/dW, dJ/dV of sigmoid(sigmoid(x W) V) with BCE, by autograd."""
    x = torch.tensor(x)
    W = torch.tensor(W, requires_grad=True)
    V = torch.tensor(V, requires_grad=True)
    h = torch.sigmoid(x @ W)
    h.retain_grad()
    y = torch.sigmoid(h @ V)
    y.retain_grad()
    J = -torch.log(y) if label == 1 else -torch.log(1 - y)
    J.sum().backward()
    return {"h": h.detach().numpy(), "y": y.detach().numpy(), "loss": J.detach().numpy(),
            "dJ/dy": y.grad.numpy(), "dJ/dh": h.grad.numpy(), "dJ/dW": W.grad.numpy(),
            "dJ/dV": V.grad.numpy()}


def test_every_lecture_value_is_reproduced_by_both_sides():
    ex = run_worked_example()
    assert ex.matches_lecture and ex.twins_agree
    rows = {(r.quantity, r.index): r for r in ex.rows()}
    for p in PRINTED:
        r = rows[(p.quantity, p.index)]
        assert abs(r.scratch - p.value) < p.unit, (r.label, r.scratch, p.text)
        assert abs(r.torch - p.value) < p.unit, (r.label, r.torch, p.text)


def test_scratch_and_torch_columns_equal_independent_autograd():
    ex = run_worked_example()
    x, W, V = example_arrays()
    expected = autograd_intermediates(x, W, V, 1)
    for q, want in expected.items():
        np.testing.assert_allclose(ex.scratch[q], want, rtol=1e-12, atol=1e-15, err_msg=q)
        np.testing.assert_allclose(ex.torch[q], want, rtol=1e-12, atol=1e-15, err_msg=q)


def test_perturbed_weight_changes_every_downstream_value_and_breaks_the_lecture_match():
    x, W, V = example_arrays()
    W[0, 1] += 0.5  # feeds h2, hence y, J and every gradient
    ex = run_worked_example(W=W)
    expected = autograd_intermediates(x, W, V, 1)
    for q, want in expected.items():
        np.testing.assert_allclose(ex.scratch[q], want, rtol=1e-12, atol=1e-15, err_msg=q)
    assert not ex.matches_lecture
    default = run_worked_example()
    assert ex.scratch["y"][0, 0] != default.scratch["y"][0, 0]


def test_label_zero_uses_the_other_branch_of_the_loss():
    x, W, V = example_arrays()
    ex = run_worked_example(label=0)
    np.testing.assert_allclose(ex.scratch["loss"], autograd_intermediates(x, W, V, 0)["loss"],
                               rtol=1e-12)
    assert ex.twins_agree


def _printed_rows(text):
    rows = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 6 and parts[0].startswith(("h", "y", "J", "dJ")):
            rows[parts[0]] = (parts[1], float(parts[2]), float(parts[3]), parts[5])
    return rows


def test_cli_prints_computed_numbers_that_follow_a_perturbed_input(capsys, monkeypatch):
    assert main(["lecture", "worked-example"]) == 0
    before = _printed_rows(capsys.readouterr().out)
    assert len(before) == 18 and all(v[3] == "ok" for v in before.values())
    assert before["dJ/dW21"][0] == "-2.05234666e-06"  # the lecture's column, W grad[1, 0]

    x, W, V = example_arrays()
    W[1, 0] = 1.5
    monkeypatch.setattr(worked_example, "example_arrays", lambda: (x.copy(), W.copy(), V.copy()))
    assert main(["lecture", "worked-example"]) == 1  # no longer the lecture's numbers
    after = _printed_rows(capsys.readouterr().out)
    want = autograd_intermediates(x, W, V, 1)
    assert after["h1"][1] == pytest.approx(want["h"][0, 0], rel=1e-15)
    assert after["dJ/dW21"][1] == pytest.approx(want["dJ/dW"][1, 0], rel=1e-12)
    assert after["dJ/dV3"][2] == pytest.approx(want["dJ/dV"][2, 0], rel=1e-12)
    assert after["h1"][1] != before["h1"][1]
    assert after["h1"][3] == "DIFFERS"
    assert after["h2"][1] == before["h2"][1]  # W21 does not feed h2


def test_format_names_the_lecture_notation():
    text = format_worked_example(run_worked_example())
    for label in ("h1", "h3", "dJ/dy", "dJ/dW11", "dJ/dW23", "dJ/dV3"):
        assert f"\n{label} " in text
    assert "all reproduced" in text


@pytest.mark.parametrize("text, unit, close, far", [
    ("0.7310", 1e-4, 0.73106, 0.7312),           # the slide truncates sigmoid(1) = 0.731059
    ("-3.42057777e-06", 1e-14, -3.420577776e-06, -3.4205778e-06),
    ("0.52699227", 1e-8, 0.526992266, 0.5269923),
])
def test_printed_precision(text, unit, close, far):
    p = Printed("x", (0, 0), text, "test")
    assert p.unit == pytest.approx(unit)
    assert p.agrees(close) and not p.agrees(far)

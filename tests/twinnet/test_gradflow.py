"""The gradient-flow figure: norms of both sides per layer, written where asked."""

import numpy as np
import pytest

import scratch
from compare.layer_check import check_layer
from twinnet.gradflow import gradient_flow, plot_gradient_flow


def test_plot_writes_png_and_returns_norms(tmp_path):
    x = np.random.default_rng(1).normal(size=(5, 3))
    report = check_layer(scratch.Linear(3, 2, rng=2), lambda x, W, b: x @ W + b, x=x)
    path = tmp_path / "flow.png"
    fig = plot_gradient_flow(report, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(fig.axes) == 2
    points = gradient_flow(report)
    by_label = {p.label: p for p in points}
    assert set(by_label) == {"W", "b", "dL/dinput 0"}
    w = report.entry("layer 0 (Linear(3, 2)) dL/dW")  # the judged run, not the zeros probe
    # Expected norm computed independently of the plotting code, from torch's array.
    assert by_label["W"].expected_norm == np.sqrt((w.expected ** 2).sum())
    assert all(p.ok for p in points)


def test_flow_marks_where_the_sides_part():
    class Doubled(scratch.Linear):
        def _backward(self, grad_out):
            dx = super()._backward(grad_out)
            self.grads["W"] *= 2
            return dx

    x = np.random.default_rng(1).normal(size=(5, 3))
    report = check_layer(Doubled(3, 2, rng=2), lambda x, W, b: x @ W + b, x=x)
    points = {p.label: p for p in gradient_flow(report)}
    assert not points["W"].ok and points["b"].ok
    assert points["W"].actual_norm == pytest.approx(2 * points["W"].expected_norm, rel=1e-12)


def test_sigmoid_stack_shows_vanishing_gradients(tmp_path):
    from compare.model_check import check_model

    rng = np.random.default_rng(0)
    layers = []
    for _ in range(6):
        layers += [scratch.Linear(4, 4, rng=rng), scratch.Sigmoid()]
    layers += [scratch.Linear(4, 1, rng=rng)]
    x = rng.normal(size=(8, 4))
    report = check_model(scratch.Sequential(*layers), x, rng.normal(size=(8, 1)), "mse")
    plot_gradient_flow(report, tmp_path / "sigmoid_stack.png")
    points = gradient_flow(report)
    w = [p for p in points if p.label.endswith(".W")]
    assert [p.label for p in w][0] == "0.W" and [p.label for p in w][-1] == "12.W"
    # Each sigmoid scales the gradient by at most 1/4, so six of them leave the
    # first layer's gradient far below the last one's (torch's values).
    assert w[0].expected_norm < 1e-2 * w[-1].expected_norm
    assert all(p.ok for p in points)
    assert (tmp_path / "sigmoid_stack.png").stat().st_size > 1000


def test_to_json_is_strict_with_nonfinite_values():
    import json

    from tests.compare.diagnose.planted_models import MODEL_CASES

    report = next(c for c in MODEL_CASES if c.name == "BCE-with-logits overflow").run()
    text = report.to_json()
    assert "Infinity" not in text and "NaN" not in text
    assert json.loads(text)["hints"][0]["kind"] == "nonfinite"

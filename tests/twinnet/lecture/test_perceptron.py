"""Perceptron vs the logistic neuron on the Iris task; line parameters by hand arithmetic."""

import numpy as np
import pytest

from twinnet.cli import main
from twinnet.lecture.iris import iris_training_set
from twinnet.lecture.perceptron import Boundary, format_perceptron, run_perceptron

NEURON_ITERS = 3000  # a partly trained neuron keeps the test fast; the CLI runs the full loop


@pytest.fixture(scope="module")
def comparison():
    return run_perceptron(neuron_max_iter=NEURON_ITERS)


def test_boundary_line_arithmetic():
    line = Boundary(1.0, -2.0, 3.0)  # x1 - 2 x2 + 3 = 0  <=>  x2 = 0.5 x1 + 1.5
    assert line.slope == 0.5 and line.intercept == 1.5
    n = line.normalised()
    assert (n.w1, n.w2, n.b) == pytest.approx((1 / 5**0.5, -2 / 5**0.5, 3 / 5**0.5))
    assert line.angle_to(Boundary(2.0, -4.0, 0.0)) == pytest.approx(0.0, abs=1e-6)
    assert line.angle_to(Boundary(2.0, 1.0, 0.0)) == pytest.approx(90.0)
    np.testing.assert_array_equal(line.side(np.array([[0.0, 0.0], [0.0, 5.0]])), [1.0, 0.0])


def test_perceptron_separates_the_training_set(comparison):
    X, y = iris_training_set()
    p = comparison.perceptron.boundary
    predicted = (X[:, 0] * p.w1 + X[:, 1] * p.w2 + p.b > 0)
    assert comparison.perceptron.accuracy == np.mean(predicted == y) == 1.0
    assert "no mistakes in its last epoch" in comparison.perceptron.training


def test_neuron_line_is_its_theta(comparison):
    X, y = iris_training_set()
    n = comparison.neuron.boundary
    theta = np.array([n.w1, n.w2, n.b])
    assert comparison.neuron.accuracy == np.mean((X @ theta >= 0) == y)
    assert f"{NEURON_ITERS} iterations" in comparison.neuron.training


def test_agreement_and_angle_are_computed_from_the_two_lines(comparison):
    X, _ = iris_training_set()
    p, n = comparison.perceptron.boundary, comparison.neuron.boundary
    same = (X[:, :2] @ [p.w1, p.w2] + p.b > 0) == (X @ [n.w1, n.w2, n.b] >= 0)
    assert comparison.agreement == np.mean(same)
    cos = (p.w1 * n.w1 + p.w2 * n.w2) / (np.hypot(p.w1, p.w2) * np.hypot(n.w1, n.w2))
    assert comparison.angle == pytest.approx(np.degrees(np.arccos(cos)), abs=1e-9)


def test_report_shows_the_computed_numbers(comparison):
    text = format_perceptron(comparison)
    p = comparison.perceptron.boundary
    assert f"{p.slope:>8.4f}" in text and f"{p.intercept:>9.4f}" in text
    assert f"{comparison.angle:.3f} degrees" in text
    assert f"w = [{p.w1:.6g}, {p.w2:.6g}], b = {p.b:.6g}" in text


def test_cli(capsys):
    assert main(["lecture", "perceptron", "--max-iter", str(NEURON_ITERS)]) == 0
    out = capsys.readouterr().out
    assert "perceptron " in out and "logistic neuron" in out

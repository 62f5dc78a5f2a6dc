"""Every plotting function of twinnet, called on small inputs: (name, call(path) -> Figure).

Shared by the backend test and the layout test, so neither can skip a figure
the other covers. Inputs are small so the whole zoo draws in a few seconds.
"""

import numpy as np

import scratch
from compare.model_check import check_model
from twinnet import gradflow
from twinnet.lecture import figures as lecture_figures
from twinnet.lecture import plotting as lecture_plotting
from twinnet.tasks import figures as task_figures
from twinnet.tasks import plotting as task_plotting

IRIS_CAP = 2000  # iterations of the Iris loop: enough for a boundary to draw


def _flow_report():
    class HalfGradientSigmoid(scratch.Sigmoid):
        def _backward(self, grad_out):
            return 0.5 * super()._backward(grad_out)

    rng = np.random.default_rng(0)
    layers = []
    for i in range(5):
        layers += [scratch.Linear(4, 4, rng=i), HalfGradientSigmoid() if i == 2 else
                   scratch.Sigmoid()]
    model = scratch.Sequential(*layers, scratch.Linear(4, 1, rng=9))
    # A long title: the figure must wrap it, not cut it at the edges.
    return check_model(model, rng.normal(size=(8, 4)), rng.normal(size=(8, 1)), "mse")


def _iris_task_run():
    from twinnet.tasks import run_task

    return run_task("iris", steps=20, seed=0)


def _digits_task_run():
    from twinnet.tasks import run_task

    return run_task("digits", steps=3, seed=0, train_limit=64)


def _training_data(k=40):
    rng = np.random.default_rng(1)
    losses = {"scratch": np.linspace(2, 0.3, k), "torch": np.linspace(2, 0.3, k) + 1e-16}
    steps = np.arange(0, k + 1, 10)
    acc = {(s, p): np.linspace(0.1, 0.9, len(steps)) for s in ("scratch", "torch")
           for p in ("train", "test")}
    div = {"|loss diff|": np.abs(rng.normal(size=k)) * 1e-16,
           "max |param diff| after the update": np.where(np.arange(k) % 3, 1e-16, 0.0)}
    return losses, steps, acc, div


def zoo():
    """[(name, call)]: ``call(path_or_None)`` draws one figure and returns it."""
    z = np.linspace(-3, 3, 50)
    rng = np.random.default_rng(2)
    Xi = rng.normal(loc=(5.5, 3.0), scale=(0.6, 0.4), size=(60, 2))
    yi = (Xi[:, 0] < 5.4).astype(int)
    xx, yy = np.meshgrid(np.linspace(3.5, 8, 30), np.linspace(1.5, 4.5, 30))
    grid = (xx, yy, (xx < 5.4).astype(float))
    names = ("setosa", "other")
    features = ("sepal length (cm)", "sepal width (cm)")
    losses, steps, acc, div = _training_data()
    single = {lab: {"loss_scratch": np.linspace(1, 0.1, 30), "loss_torch": np.linspace(1, 0.1, 30),
                    "score_scratch": np.linspace(0.5, 0.9, 30),
                    "score_torch": np.linspace(0.5, 0.9, 30)} for lab in (1, 0)}
    images = rng.random((12, 8, 8))
    labels = np.arange(12) % 10
    P = lecture_plotting
    return [
        ("plot_activations", lambda p: P.plot_activations(z, {"tanh": np.tanh(z), "id": z}, p)),
        ("plot_iris_scatter", lambda p: P.plot_iris_scatter(
            Xi, yi, p, class_names=names, feature_names=features)),
        ("plot_decision_boundary", lambda p: P.plot_decision_boundary(
            Xi, yi, grid, {"neuron": (1.0, 0.0, -5.4), "perceptron": (1.0, 0.1, -5.6)}, p,
            class_names=names, feature_names=features)),
        ("plot_single_sample", lambda p: P.plot_single_sample(single, p)),
        ("plot_abs_differences", lambda p: P.plot_abs_differences(
            ["a", "b", "c", "d"], np.array([0.0, 1e-17, 2e-16, 0.0]), p, floor=1e-19,
            title="differences")),
        ("plot_divergence", lambda p: P.plot_divergence(
            np.r_[0.0, np.full(30, 1e-16), 2e-16], p, floor=1e-18, title="divergence")),
        ("lecture.activations", lambda p: lecture_figures.activations(p)),
        ("lecture.iris_scatter", lambda p: lecture_figures.iris_scatter(p)),
        ("lecture.iris_decision_boundary",
         lambda p: lecture_figures.iris_decision_boundary(p, IRIS_CAP)),
        ("lecture.iris_torch_divergence", lambda p: lecture_figures.iris_torch_divergence(
            p, np.r_[0.0, np.full(50, 1.1e-16), 3e-16])),
        ("lecture.single_sample_training", lambda p: lecture_figures.single_sample_training(p)),
        ("lecture.worked_example_differences",
         lambda p: lecture_figures.worked_example_differences(p)),
        ("plot_digit_grid", lambda p: task_plotting.plot_digit_grid(
            images, labels, labels, np.where(labels == 3, 5, labels), p, cols=6,
            title="digits")),
        ("plot_training_curves", lambda p: task_plotting.plot_training_curves(
            losses, steps, acc, div, p, title="training", divergence_title="divergence")),
        ("tasks.training_curves", lambda p: task_figures.training_curves(_iris_task_run(), p)),
        ("tasks.digit_predictions", lambda p: task_figures.digit_predictions(
            _digits_task_run(), p, n=16)),
        ("plot_gradient_flow", lambda p: gradflow.plot_gradient_flow(_flow_report(), p)),
    ]

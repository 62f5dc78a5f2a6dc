"""The task figures are real PNGs of the expected size; wrong predictions are marked."""

import struct

import numpy as np
import pytest

from twinnet.lecture.plotting import DPI
from twinnet.tasks.figures import make_task_figures
from twinnet.tasks.plotting import WRONG, plot_digit_grid

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the IHDR chunk, which follows the 8-byte signature."""
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def figures(digits_run, iris_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("task_figures")
    return make_task_figures([digits_run[0], iris_run[0]], out)


def test_every_figure_is_written(figures):
    assert sorted(p.name for p in figures.values()) == [
        "digits_predictions.png", "digits_training.png", "iris_training.png"]


@pytest.mark.parametrize("name, inches", [
    # Figure sizes in inches at twinnet.lecture.plotting.DPI: curves 17 x 4.2; the grid of
    # 48 digits is 8 columns x 6 rows at 1.05 x 1.15 in each, plus 0.5 in for the title.
    ("digits_training", (17, 4.2)), ("iris_training", (17, 4.2)),
    ("digits_predictions", (8 * 1.05, 6 * 1.15 + 0.5)),
])
def test_figure_is_a_png_that_matplotlib_reads_back(figures, name, inches):
    import matplotlib.image

    data = figures[name].read_bytes()
    assert data[:8] == PNG_SIGNATURE
    width, height = png_size(data)
    assert (width, height) == (round(inches[0] * DPI), round(inches[1] * DPI))
    pixels = matplotlib.image.imread(figures[name])
    assert pixels.shape[:2] == (height, width)
    assert pixels.std() > 0.05  # something is drawn, not a blank canvas


def red_pixels(path) -> int:
    import matplotlib.image

    rgb = matplotlib.image.imread(path)[..., :3]
    target = np.array([int(WRONG[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return int((np.abs(rgb - target).max(axis=-1) < 0.02).sum())


def test_only_a_wrong_prediction_is_marked_red(tmp_path):
    images = np.random.default_rng(0).random((4, 8, 8))
    labels = np.array([0, 1, 2, 3])
    right = tmp_path / "right.png"
    plot_digit_grid(images, labels, labels, labels, right, cols=4, title="all right")
    wrong_pred = np.array([0, 1, 7, 3])
    wrong = tmp_path / "wrong.png"
    plot_digit_grid(images, labels, wrong_pred, wrong_pred, wrong, cols=4, title="one wrong")
    assert red_pixels(right) == 0
    assert red_pixels(wrong) > 100  # a thick frame and a red title

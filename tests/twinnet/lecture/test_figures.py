"""Every figure is a real PNG drawn on matplotlib's Agg canvas, with the data it claims."""

import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from twinnet.cli import main
from twinnet.lecture.figures import FIGURES, zero_floor

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_chunks(data: bytes):
    """(type, payload) of every chunk, reading the PNG layout directly."""
    pos, chunks = len(PNG_SIGNATURE), []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunks.append((kind, data[pos + 8:pos + 8 + length]))
        pos += 12 + length
    return chunks


@pytest.fixture(scope="module")
def figure_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("figures")
    # A short Iris run keeps this quick; `twinnet lecture figures` runs the full loop.
    assert main(["lecture", "figures", "--out", str(out), "--max-iter", "3000",
                 "--lockstep-iters", "60"]) == 0
    return out


def test_all_figures_written(figure_dir, capsys):
    assert sorted(p.name for p in figure_dir.iterdir()) == sorted(FIGURES.values())


@pytest.mark.parametrize("name", sorted(FIGURES.values()))
def test_figure_is_a_valid_png_of_sensible_size(figure_dir, name):
    import matplotlib.image

    data = (figure_dir / name).read_bytes()
    assert data[:8] == PNG_SIGNATURE
    chunks = png_chunks(data)
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height = struct.unpack(">II", chunks[0][1][:8])
    software = [p for k, p in chunks if k == b"tEXt" and p.startswith(b"Software")]
    assert software and b"matplotlib" in software[0].lower()

    pixels = matplotlib.image.imread(figure_dir / name)
    assert pixels.shape[:2] == (height, width)
    assert 300 <= width <= 2500 and 250 <= height <= 1200
    assert pixels.std() > 0.05  # not a blank canvas


def test_zero_floor_sits_below_every_nonzero_value():
    assert zero_floor(np.array([0.0, 4.2e-22, 1e-16])) == pytest.approx(1e-24)
    assert zero_floor(np.array([0.0, 1.1e-16])) == pytest.approx(1e-18)
    assert zero_floor(np.zeros(3)) == 1e-20


def test_canvas_is_agg():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from twinnet.lecture import plotting

    assert isinstance(plotting.new_figure(2, 2).canvas, FigureCanvasAgg)


def test_matplotlib_stays_inside_plotting_and_ignores_the_configured_backend(tmp_path):
    # A fresh interpreter, with pyplot's backend pointed elsewhere (svg): the figures
    # are still PNGs from Agg, pyplot is never imported, and nothing but the
    # plotting module loads matplotlib.
    script = textwrap.dedent(f"""
        import sys
        import twinnet.cli, twinnet.commands.lecture, compare.lockstep_run
        from twinnet.lecture import iris, perceptron, single_sample, worked_example
        assert "matplotlib" not in sys.modules, "matplotlib imported outside plotting"
        from twinnet.lecture import figures
        path = r"{tmp_path / 'a.png'}"
        fig = figures.activations(path)
        assert type(fig).__name__ == "Figure"
        assert "matplotlib.pyplot" not in sys.modules
        assert open(path, "rb").read(8) == {PNG_SIGNATURE!r}
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={"MPLBACKEND": "svg", "PYTHONPATH": ".",
                               "PATH": "/usr/bin:/bin"}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_axes_are_named_after_the_features_not_petals():
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401
    from sklearn.datasets import load_iris

    from twinnet.lecture import plotting
    from twinnet.lecture.iris import CLASS_NAMES, FEATURE_NAMES, iris_training_set

    X, y = iris_training_set()
    fig = plotting.new_figure(4, 3)
    ax = fig.subplots()
    plotting._scatter_classes(ax, X[:, :2], y, CLASS_NAMES, FEATURE_NAMES)
    expected = [n.capitalize() for n in load_iris().feature_names[:2]]
    assert [ax.get_xlabel(), ax.get_ylabel()] == expected == ["Sepal length (cm)",
                                                              "Sepal width (cm)"]

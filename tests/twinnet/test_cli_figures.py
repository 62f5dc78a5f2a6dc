"""``--format png|svg|pdf`` and ``--dpi`` of ``twinnet lecture figures`` and ``twinnet tasks``."""

import struct

import pytest

from twinnet.cli import main
from twinnet.lecture.figures import FIGURES

QUICK_LECTURE = ["--max-iter", "500", "--lockstep-iters", "20", "--no-progress"]


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_lecture_figures_as_pdf(tmp_path, capsys):
    assert main(["lecture", "figures", "--out", str(tmp_path), "--format", "pdf",
                 *QUICK_LECTURE]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(name.replace(".png", ".pdf") for name in FIGURES.values())
    assert all((tmp_path / n).read_bytes().startswith(b"%PDF-") for n in written)
    out = capsys.readouterr().out
    assert all(str(tmp_path / n) in out for n in written)


def test_lecture_figures_dpi_scales_the_png(tmp_path):
    small, large = tmp_path / "s", tmp_path / "l"
    assert main(["lecture", "figures", "--out", str(small), "--dpi", "50", *QUICK_LECTURE]) == 0
    assert main(["lecture", "figures", "--out", str(large), "--dpi", "100", *QUICK_LECTURE]) == 0
    # activations: 4 panels of 3.2 in by 3.2 in (twinnet.lecture.plotting.plot_activations)
    assert png_size(small / "activations.png") == (round(4 * 3.2 * 50), round(3.2 * 50))
    assert png_size(large / "activations.png") == (round(4 * 3.2 * 100), round(3.2 * 100))


def test_tasks_figures_as_svg(tmp_path, capsys):
    assert main(["tasks", "iris", "--steps", "5", "--out", str(tmp_path), "--format", "svg",
                 "--no-progress"]) == 0
    (svg,) = tmp_path.iterdir()
    assert svg.name == "iris_training.svg"
    text = svg.read_text()
    assert text.startswith("<?xml") and "<svg" in text[:500]
    assert str(svg) in capsys.readouterr().out


@pytest.mark.parametrize("words", [["lecture", "figures"], ["tasks", "iris"]])
def test_bad_format_or_dpi_is_refused_by_the_parser(words, capsys):
    for bad in (["--format", "jpg"], ["--dpi", "0"], ["--dpi", "-3"]):
        with pytest.raises(SystemExit) as stop:
            main([*words, *bad])
        assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'jpg'" in err and "must be > 0" in err

"""Plotting leaves the session alone: the backend and rcParams are unchanged after every
plotting function, with a non-Agg backend active (as in a notebook); figures come back as
Figure objects, and files are written in the format their suffix names."""

import matplotlib
import pytest
from matplotlib.figure import Figure

from .figure_zoo import zoo

ZOO = zoo()


@pytest.fixture
def svg_backend():
    """The session's backend set to 'svg' (not Agg) for the test, restored after."""
    before = matplotlib.get_backend()
    matplotlib.use("svg", force=True)
    yield "svg"
    matplotlib.use(before, force=True)


def _rc_snapshot() -> dict:
    return {k: repr(v) for k, v in matplotlib.rcParams.items()}


@pytest.mark.parametrize("name, draw", ZOO, ids=[n for n, _ in ZOO])
def test_plotting_returns_a_figure_and_leaves_backend_and_rcparams_alone(
        name, draw, svg_backend, tmp_path):
    rc_before = _rc_snapshot()
    fig = draw(None)
    assert isinstance(fig, Figure)
    assert matplotlib.get_backend() == svg_backend
    assert _rc_snapshot() == rc_before
    assert not list(tmp_path.iterdir())  # no path, no file
    path = tmp_path / f"{name}.svg"
    assert isinstance(draw(path), Figure)
    assert matplotlib.get_backend() == svg_backend
    assert _rc_snapshot() == rc_before
    text = path.read_text()
    assert text.startswith("<?xml") and "<svg" in text[:500] and text.rstrip().endswith("</svg>")


def test_no_figure_is_registered_with_pyplot(svg_backend):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    for _, draw in ZOO[:3]:
        draw(None)
    assert plt.get_fignums() == before


def test_the_rc_check_would_see_a_change():
    # The snapshot compares every key: a plotting function that set one would fail above.
    before = _rc_snapshot()
    with matplotlib.rc_context({"lines.linewidth": 7.0}):
        assert _rc_snapshot() != before
    assert _rc_snapshot() == before


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF-"),
                                           (".svg", b"<?xml")])
def test_the_suffix_picks_the_format(suffix, magic, tmp_path):
    _, draw = ZOO[0]
    path = tmp_path / f"f{suffix}"
    draw(path)
    assert path.read_bytes().startswith(magic)


def test_an_unknown_suffix_is_refused_before_anything_is_written(tmp_path):
    _, draw = ZOO[0]
    with pytest.raises(ValueError, match=r"suffix must be one of \.png, \.svg, \.pdf.*'\.jpg'"):
        draw(tmp_path / "f.jpg")
    assert not list(tmp_path.iterdir())

"""The notebook view of a report: a semantic table, escaped, self-contained, readable on
light and dark themes (WCAG contrast computed here from the colours in the HTML)."""

import re
from html.parser import HTMLParser

import numpy as np
import pytest
import torch

import scratch
from compare.layer_check import check_layer
from compare.present.html import render_html

LIGHT, DARK = "#ffffff", "#111111"  # a plain page; JupyterLab's dark theme background
WCAG_AA = 4.5


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of ``#rrggbb``."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_formula_matches_wcag_reference_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic near-miss
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)


class Tree(HTMLParser):
    """Start tags in order as (tag, attrs dict), plus every styled element's text colours."""

    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def parse(html: str) -> list:
    tree = Tree()
    tree.feed(html)
    return tree.tags


def style_of(attrs: dict) -> dict:
    pairs = (d.split(":", 1) for d in attrs.get("style", "").split(";") if ":" in d)
    return {k.strip(): v.strip() for k, v in pairs}


def unreadable(html: str) -> list[str]:
    """Every coloured text whose contrast is below 4.5:1: against its own background when
    it sets one, else against both a light and a dark page (the colour is inherited)."""
    bad = []
    for tag, attrs in parse(html):
        style = style_of(attrs)
        if "color" not in style:
            continue
        fg = style["color"]
        backgrounds = [style["background-color"]] if "background-color" in style else [LIGHT,
                                                                                         DARK]
        bad += [f"<{tag}> {fg} on {bg}: {contrast(fg, bg):.2f}" for bg in backgrounds
                if contrast(fg, bg) < WCAG_AA]
    return bad


class HostileName(scratch.Sigmoid):
    """A layer whose description is HTML, with a sign-flipped derivative."""

    def describe(self):
        return '<img src="http://x/y.png"> <script>alert("x")</script> & Co'

    def _backward(self, grad_out):
        return -super()._backward(grad_out)


@pytest.fixture(scope="module")
def failing_html():
    x = np.random.default_rng(3).normal(size=(4, 3))
    return check_layer(HostileName(), torch.sigmoid, x=x)._repr_html_()


@pytest.fixture(scope="module")
def passing_html():
    x = np.random.default_rng(4).normal(size=(4, 3))
    return render_html(check_layer(scratch.Tanh(), torch.tanh, x=x))


def test_the_table_has_a_caption_a_thead_and_scoped_headers(failing_html, passing_html):
    for html in (failing_html, passing_html):
        tags = [t for t, _ in parse(html)]
        assert tags.count("table") == tags.count("caption") == tags.count("thead") == 1
        assert tags.index("caption") < tags.index("thead") < tags.index("tbody")
        scopes = [a.get("scope") for t, a in parse(html) if t == "th"]
        rows = tags.count("tr") - 1  # one header row
        assert scopes.count("col") == 7
        assert scopes.count("row") == rows > 0  # each entry's row is labelled by its layer
        caption = re.search(r"<caption[^>]*>(.*?)</caption>", html, re.S).group(1)
        assert "vs torch" in caption and ("OK" in caption or "FAIL" in caption)


def test_every_coloured_text_is_readable_on_light_and_dark(failing_html, passing_html):
    assert "color:" in failing_html and "color:" in passing_html  # something was checked
    assert unreadable(failing_html) == []
    assert unreadable(passing_html) == []


def test_the_contrast_check_catches_the_old_bare_colours():
    # The colours used before this table had badges: fine on white, ~3.5:1 on a dark theme.
    assert unreadable('<p style="color:#1a7f37">ok</p>') != []
    assert unreadable('<p style="color:#cf222e">fail</p>') != []
    assert unreadable('<span style="color:#ffffff;background-color:#1a7f37">ok</span>') == []


def test_user_text_is_escaped_and_nothing_is_loaded_from_elsewhere(failing_html):
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in failing_html
    assert "&lt;img src=&quot;http://x/y.png&quot;&gt;" in failing_html
    parsed = parse(failing_html)
    assert not {t for t, _ in parsed} & {"script", "img", "link", "style", "iframe", "object"}
    attrs = {name for _, a in parsed for name in a}
    assert not attrs & {"src", "href", "srcset", "background"}
    assert not any("url(" in a.get("style", "") for _, a in parsed)


def test_a_failing_report_names_the_cause(failing_html):
    assert "FAIL" in failing_html and "Likely cause" in failing_html
    assert "[sign_flip]" in failing_html


def test_a_report_that_compared_nothing_says_fail_without_an_empty_table():
    from compare.report import Report

    html = render_html(Report("empty <x>", [], dtype=np.float64), [])
    assert "<table" not in html
    assert "empty &lt;x&gt;" in html and ">FAIL</span>: nothing was compared" in html
    assert unreadable(html) == []

"""The diagnosis in every output form: text, ANSI colour, HTML, dict/JSON."""

import io
import json

import numpy as np
import torch

import scratch
from compare.layer_check import check_layer
from compare.present.html import render_html
from compare.present.terminal import RED, colourise, print_report, wants_colour


class HostileName(scratch.Sigmoid):
    """A layer whose description is HTML; its derivative is sign-flipped."""

    def describe(self):
        return '<script>alert("x")</script> & Co'

    def _backward(self, grad_out):
        return -super()._backward(grad_out)


def _failing_report():
    x = np.random.default_rng(3).normal(size=(4, 3))
    return check_layer(HostileName(), torch.sigmoid, x=x)


def test_html_escapes_all_text_and_shows_the_hint():
    html = _failing_report()._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in html
    assert "Likely cause" in html and "[sign_flip]" in html


def test_html_of_a_passing_report_says_ok_without_hints():
    x = np.random.default_rng(4).normal(size=(4, 3))
    html = render_html(check_layer(scratch.Tanh(), torch.tanh, x=x))
    assert ">OK</span>: all" in html and "Likely cause" not in html


def test_json_round_trip_carries_hints_and_evidence():
    data = json.loads(_failing_report().to_json())
    assert data["ok"] is False
    (hint,) = data["hints"]
    assert hint["kind"] == "sign_flip"
    assert hint["evidence"]["ratio"] == -1.0


def test_plain_text_has_no_escape_codes():
    text = str(_failing_report())
    assert "\033[" not in text
    assert "[sign_flip]" in text


class FakeStream(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


def test_colour_only_on_a_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    report = _failing_report()
    pipe, tty = FakeStream(False), FakeStream(True)
    print_report(report, pipe)
    print_report(report, tty)
    assert "\033[" not in pipe.getvalue()
    assert RED in tty.getvalue() and "MISMATCH <--" in tty.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_colour(FakeStream(True))


def test_colourise_marks_failure_rows_red():
    line = "  0 Sigmoid()  dL/dinput  (4, 3)  1.0e+00  2.0e+00  1.0e-07  MISMATCH <--"
    assert f"{RED}\033[1mMISMATCH <--" in colourise(line)

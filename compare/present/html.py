"""``Report._repr_html_``: the report as an HTML table for notebooks.

Every piece of text that comes from the report (layer descriptions, labels,
messages, hints) is escaped: a layer's ``describe()`` is user code and may
contain ``<``, ``&`` or quotes. Styles are inline and nothing is loaded from
elsewhere (no stylesheet, font, script or image), so the fragment looks the
same wherever it is embedded.

The table is semantic (a caption, ``<thead>`` with column headers, a row
header per entry), so screen readers can announce it. Text that carries a
colour (a verdict, a status, the hint's label) always sits on a background of
its own that gives it at least 4.5:1 contrast (WCAG AA); every other text
inherits the page's colour, so the report reads on light and dark notebook
themes alike.
"""

from __future__ import annotations

from html import escape

# (text, background) pairs, each pair above 4.5:1 contrast by construction.
OK_BADGE = ("#ffffff", "#1a7f37")      # white on green: 5.1:1
FAIL_BADGE = ("#ffffff", "#b3261e")    # white on red: 6.5:1
HINT_BADGE = ("#000000", "#f2c94c")    # black on amber: 13.6:1
RULE = "rgba(127,127,127,0.45)"        # row separators: mid grey, visible on either theme
_CELL = f"padding:2px 8px;text-align:left;border-bottom:1px solid {RULE};font-family:monospace"
COLUMNS = ("layer", "check", "shape", "max|diff|", "max rel", "allowed", "status")


def badge(text: str, colours: tuple[str, str]) -> str:
    """``text`` (escaped) in a small box with its own text and background colour."""
    fg, bg = colours
    return (f'<span style="color:{fg};background-color:{bg};padding:0 4px;border-radius:3px;'
            f'font-weight:bold">{escape(text)}</span>')


def _num(x) -> str:
    return "-" if x is None else f"{x:.2e}"


def _row(entry) -> str:
    where = "loss" if entry.is_loss else str(entry.layer)
    if entry.diff.comparable:
        stats = (_num(entry.max_abs), _num(entry.max_rel), _num(entry.allowed))
    else:
        stats = ("-", "-", "-")
    status = entry.status if entry.ok else entry.status.upper()
    cells = [entry.label + entry.param_note, "-" if entry.shape is None else str(entry.shape),
             *stats]
    head = f'<th scope="row" style="{_CELL};font-weight:normal">' \
           f"{escape(f'{where} {entry.layer_desc}')}</th>"
    tds = "".join(f'<td style="{_CELL}">{escape(c)}</td>' for c in cells)
    tds += f'<td style="{_CELL}">{badge(status, OK_BADGE if entry.ok else FAIL_BADGE)}</td>'
    return f"<tr>{head}{tds}</tr>"


def _verdict(report) -> str:
    if report.ok:
        return f"{badge('OK', OK_BADGE)}: all {len(report.entries)} checks pass"
    why = (report.first_divergence.message if report.first_divergence is not None
           else "nothing was compared")
    return f"{badge('FAIL', FAIL_BADGE)}: {escape(why)}"


def _heading(report) -> str:
    seed = "" if report.seed is None else f", seed {report.seed}"
    return (f"<b>{escape(report.title)}</b> [{escape(report.actual_name)} vs "
            f"{escape(report.expected_name)}, {escape(str(report.dtype))}{escape(seed)}]"
            f"<br>{_verdict(report)}")


def _table(report) -> str:
    head = "".join(f'<th scope="col" style="{_CELL}">{escape(c)}</th>' for c in COLUMNS)
    rows = "".join(_row(e) for e in report.entries)
    return (f'<table style="border-collapse:collapse">'
            f'<caption style="caption-side:top;text-align:left;padding-bottom:4px">'
            f"{_heading(report)}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")


def render_html(report, hints=None) -> str:
    """An HTML fragment: a table captioned by the title and verdict, then causes and notes.

    Parameters
    ----------
    report : compare.report.Report
    hints : list of Hint, optional
        Default: ``compare.diagnose.diagnose(report)``.

    Returns
    -------
    str
        One ``<div>``; without entries, the caption's text stands in a ``<p>``.
    """
    if hints is None:
        from ..diagnose import diagnose
        hints = diagnose(report)
    parts = ['<div class="twinnet-report">']
    parts.append(_table(report) if report.entries else f"<p>{_heading(report)}</p>")
    if hints:
        items = "".join(f"<li><b>{escape(h.where)}</b> <i>[{escape(h.kind)}]</i>: "
                        f"{escape(h.message)}</li>" for h in hints)
        parts.append(f"<p>{badge('Likely cause', HINT_BADGE)}</p><ul>{items}</ul>")
    failures = [e for e in report.entries if not e.ok]
    if failures:
        items = "".join(f"<li>{escape(e.name)}: "
                        f"{escape(e.diff.describe(report.actual_name, report.expected_name))}"
                        "</li>" for e in failures)
        parts.append(f"<p>Mismatches (worst element of each):</p><ul>{items}</ul>")
    extra = [f"Tolerances: {k} {t}" for k, t in report.tolerances.items()]
    extra += [f"Note: {n}" for n in report.notes]
    if report.replay:
        extra.append(f"Replay: {report.replay}")
    if extra:
        parts.append("<p>" + "<br>".join(escape(line) for line in extra) + "</p>")
    parts.append("</div>")
    return "".join(parts)

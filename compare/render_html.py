"""``Report._repr_html_``: the report as an HTML table for notebooks.

Every piece of text that comes from the report (layer descriptions, labels,
messages, hints) is escaped: a layer's ``describe()`` is user code and may
contain ``<``, ``&`` or quotes. Styles are inline, so the rendering looks the
same wherever the fragment is embedded.
"""

from __future__ import annotations

from html import escape

OK_COLOUR, FAIL_COLOUR, HINT_COLOUR = "#1a7f37", "#cf222e", "#9a6700"
_CELL = "padding:2px 8px;text-align:left;border-bottom:1px solid #ddd;font-family:monospace"


def _num(x) -> str:
    return "-" if x is None else f"{x:.2e}"


def _row(entry) -> str:
    where = "loss" if entry.is_loss else str(entry.layer)
    if entry.diff.comparable:
        stats = (_num(entry.max_abs), _num(entry.max_rel), _num(entry.allowed))
    else:
        stats = ("-", "-", "-")
    colour = OK_COLOUR if entry.ok else FAIL_COLOUR
    status = entry.status if entry.ok else entry.status.upper()
    cells = [f"{where} {entry.layer_desc}", entry.label + entry.param_note,
             "-" if entry.shape is None else str(entry.shape), *stats]
    tds = "".join(f'<td style="{_CELL}">{escape(c)}</td>' for c in cells)
    tds += f'<td style="{_CELL};color:{colour};font-weight:bold">{escape(status)}</td>'
    return f"<tr>{tds}</tr>"


def render_html(report, hints=None) -> str:
    """An HTML fragment: title, verdict, one row per entry, likely causes, notes.

    Parameters
    ----------
    report : compare.report.Report
    hints : list of Hint, optional
        Default: ``compare.diagnose.diagnose(report)``.
    """
    if hints is None:
        from .diagnose import diagnose
        hints = diagnose(report)
    seed = "" if report.seed is None else f", seed {report.seed}"
    parts = [f"<div><p><b>{escape(report.title)}</b> [{escape(report.actual_name)} vs "
             f"{escape(report.expected_name)}, {escape(report.dtype)}{escape(seed)}]</p>"]
    if report.ok:
        parts.append(f'<p style="color:{OK_COLOUR}"><b>OK</b>: all {len(report.entries)} '
                     "checks pass</p>")
    else:
        why = (report.first_divergence.message if report.first_divergence is not None
               else "nothing was compared")
        parts.append(f'<p style="color:{FAIL_COLOUR}"><b>FAIL</b>: {escape(why)}</p>')
    if report.entries:
        head = "".join(f'<th style="{_CELL}">{escape(c)}</th>' for c in
                       ("layer", "check", "shape", "max|diff|", "max rel", "allowed", "status"))
        rows = "".join(_row(e) for e in report.entries)
        parts.append(f'<table style="border-collapse:collapse"><tr>{head}</tr>{rows}</table>')
    if hints:
        items = "".join(f"<li><b>{escape(h.where)}</b> <i>[{escape(h.kind)}]</i>: "
                        f"{escape(h.message)}</li>" for h in hints)
        parts.append(f'<p style="color:{HINT_COLOUR}"><b>Likely cause</b></p><ul>{items}</ul>')
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

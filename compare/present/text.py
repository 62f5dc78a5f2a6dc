"""``str(report)``: a plain-text table that reads well in a terminal and in pytest output."""

from __future__ import annotations

from .table import table_lines
from .terminal import hint_lines

COLUMNS = ("layer", "check", "shape", "max|diff|", "max rel", "allowed", "status")


def _num(x) -> str:
    return "-" if x is None else f"{x:.2e}"


def _row(entry) -> tuple[str, ...]:
    where = "loss" if entry.is_loss else str(entry.layer)
    layer = f"{where} {entry.layer_desc}"
    shape = "-" if entry.shape is None else str(entry.shape)
    if entry.diff.comparable:
        stats = (_num(entry.max_abs), _num(entry.max_rel), _num(entry.allowed))
    else:
        stats = ("-", "-", "-")
    status = entry.status if entry.ok else f"{entry.status.upper()} <--"
    return (layer, entry.label + entry.param_note, shape, *stats, status)


def render_report(report) -> str:
    """The text of ``str(report)``: a header, the verdict, then one table row per entry.

    Parameters
    ----------
    report : compare.Report

    Returns
    -------
    str
        Multi-line text: title, OK or the first divergence (with hints), and the
        table of every entry's shape, max |diff|, max rel, allowed and status.
    """
    lines = [f"{report.title}  [{report.actual_name} vs {report.expected_name}, "
             f"{report.dtype}" + ("" if report.seed is None else f", seed {report.seed}") + "]"]
    if report.ok:
        worst = report.worst()
        lines.append(f"OK: all {len(report.entries)} checks pass" + (
            "" if worst is None else
            f"; closest to its tolerance: {worst.name} at {worst.ratio:.2g} of allowed"))
    elif report.first_divergence is not None:
        lines.append(f"FAIL: {report.first_divergence.message}")
    else:
        lines.append("FAIL: nothing was compared")
    if report.entries:
        lines.append("")
        lines += table_lines([COLUMNS, *(_row(e) for e in report.entries)], indent="  ")
    failures = report.failures
    if failures:
        lines += ["", "Mismatches (worst element of each):"]
        for e in failures:
            lines.append(f"  {e.name}: {e.diff.describe(report.actual_name, report.expected_name)}")
    lines += hint_lines(report.hints)
    if report.tolerances:
        lines += ["", "Tolerances (|diff| <= atol + rtol*|" + report.expected_name + "|): " +
                  "; ".join(f"{k} {t}" for k, t in report.tolerances.items())]
    for note in report.notes:
        lines.append(f"Note: {note}")
    if report.replay:
        lines.append(f"Replay: {report.replay}")
    return "\n".join(lines)

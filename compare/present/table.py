"""The one plain-text table renderer: left-aligned columns, two spaces apart.

Used by ``str(report)`` and by every command that prints a table (``twinnet
check``, ``false-alarms``, ``merge``, ``tasks``), so all of them read alike.
"""

from __future__ import annotations

from collections.abc import Sequence


def table_lines(rows: Sequence[Sequence[str]], indent: str = "") -> list[str]:
    """``rows`` (the header first, then one tuple of cells per row) as aligned lines.

    Parameters
    ----------
    rows : sequence of sequences of str
        Every row has as many cells as the header.
    indent : str
        Put before every line (e.g. two spaces inside a report).

    Returns
    -------
    list of str
        One line per row, trailing spaces removed.
    """
    if not rows:
        return []
    n = len(rows[0])
    if any(len(r) != n for r in rows):
        raise ValueError(f"table_lines: every row needs {n} cells, got "
                         f"{sorted({len(r) for r in rows})}")
    widths = [max(len(r[i]) for r in rows) for i in range(n)]
    return [(indent + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True))).rstrip()
            for r in rows]


def format_table(rows: Sequence[Sequence[str]], indent: str = "") -> str:
    """:func:`table_lines` joined by newlines."""
    return "\n".join(table_lines(rows, indent))

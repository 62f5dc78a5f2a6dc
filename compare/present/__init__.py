"""Presentation in one place: how a :class:`compare.Report` and twinnet's tables look.

* :mod:`compare.present.text` — ``str(report)``, the plain-text report;
* :mod:`compare.present.html` — ``report._repr_html_()``, the notebook table;
* :mod:`compare.present.terminal` — hint lines, and a report in ANSI colour on a terminal;
* :mod:`compare.present.jsonable` — plain, strict-JSON values for ``report.to_json()``;
* :mod:`compare.present.table` — the one plain-text table renderer, used by all of these
  and by every twinnet command that prints a table.

Nothing here computes a verdict: every module reads a finished report.
"""

"""``diagnose(report)``: hints for a whole ``compare`` report.

Only the entries where the two sides first part (``report.first_divergence``)
are diagnosed: everything downstream inherits their error and would only
repeat it less clearly. Each entry becomes a :class:`PairContext` from what
the report knows (its batch size, the layer's input, the tolerance used).
"""

from __future__ import annotations

import copy
import re
from dataclasses import replace

import numpy as np

from .arguments import detect_argument_not_transposed
from .context import INPUT_GRAD, PARAM_GRAD, entry_context, layer_input
from .errors import error_hint
from .hint import Hint, allclose
from .operands import detect_weight_form
from .pair import diagnose_pair
from .probe import probe_backward
from .recurrent import recurrent_hint

NOT_DIAGNOSABLE = ("missing", "error")


def diagnose(report, *, time_axis: int | None = None) -> list[Hint]:
    """Explain a failing report; ``[]`` for a passing one.

    Parameters
    ----------
    report : compare.report.Report
    time_axis : int, optional
        For sequence layers: the axis of the outputs and input gradients that
        is time, so disagreement there is reported by time step (which step,
        a run of steps). Axis 0 is otherwise read as the batch.

    Returns
    -------
    list of Hint
        One hint per diagnosed entry at the first divergence. ``unexplained``
        hints are kept only when no entry there has a more specific one.
    """
    if report.ok:
        return []
    div = report.first_divergence
    focus = list(div.entries) if div is not None else list(report.failures)
    if focus:
        # A float32 check re-run in float64 (check_model(..., rerun_float64=True)) is judged
        # by that re-run: confirmed rounding, or the float64 report's own diagnosis.
        source = run_of(report, focus[0])
        float64 = source.float64_report
        if float64 is not None:
            confirmed = confirm_rounding(source, float64)
            if confirmed:
                return confirmed
    hints = []
    for entry in focus:
        hints += diagnose_entry(run_of(report, entry), entry, time_axis=time_axis)
    specific = [h for h in hints if h.kind != "unexplained"]
    return specific or hints[:1]


def run_of(report, entry):
    """The report of the run that produced ``entry``.

    The checks record it on each entry (``entry.source_report``): when compare
    joins several runs into one report (its probes add runs), context such as
    the layer's input must still come from the entry's own run.
    """
    source = entry.source_report
    return report if source is None else source


def diagnose_entry(report, entry, *, time_axis: int | None = None) -> list[Hint]:
    """Hints for one entry of ``report`` (``[]`` when it passed or has no arrays)."""
    if entry.ok:
        return []
    if entry.status == "error":
        hint = error_hint(entry.name, entry.diff.message, layer_input(report, entry))
        return [] if hint is None else [rename_sides(hint, report.actual_name,
                                                     report.expected_name)]
    if entry.status in NOT_DIAGNOSABLE:
        return []
    if report.stateful_forward:  # check_layer saw forward(x) change
        return [Hint("stateful", entry.name, "forward gave a different output when called "
                     "again on the same x: the layer carries state between calls (a hidden "
                     "state, a counter), so this is not evidence of a wrong formula. Give "
                     "check_layer reset=... (a callable or a method name) run before each "
                     "forward.", {"forward_repeatable": False})]
    a, b = entry.actual, entry.expected
    if a is None or b is None:
        return []
    ctx = entry_context(report, entry, time_axis=time_axis)
    hints = _poison_hint(report, entry) or _accumulation_hint(report, entry) or \
        _recurrent_hint(report, entry, ctx) or diagnose_pair(a, b, ctx)
    if [h.kind for h in hints] == ["unexplained"]:  # check_pair/check_engine: any argument
        found = detect_argument_not_transposed(report, entry, ctx)
        hints = [found] if found is not None else hints
    if [h.kind for h in hints] == ["unexplained"] and ctx.role == "input_grad":
        # Costs a twin build and a backward per candidate, so only when nothing else fit.
        layers = report.layers or []
        if entry.layer < len(layers):
            found = detect_weight_form(layers[entry.layer], a, ctx.layer_input, ctx.grad_out,
                                       entry.name, entry.diff.rtol, entry.diff.atol)
            hints = [found] if found is not None else hints
    return [rename_sides(h, report.actual_name, report.expected_name) for h in hints]


def _recurrent_hint(report, entry, ctx) -> list[Hint]:
    """A BPTT bug confirmed by re-running it (see :mod:`compare.diagnose.recurrent`)."""
    layers = report.layers or []
    if entry.kind not in (PARAM_GRAD, INPUT_GRAD) or entry.is_loss \
            or entry.layer >= len(layers):
        return []
    key = entry.label.removeprefix("dL/d") if entry.kind == PARAM_GRAD else None
    try:
        hint = recurrent_hint(layers[entry.layer], layer_input(report, entry), ctx.grad_out,
                              ctx.layer_output, entry.expected, entry.actual, key, entry.name)
    except Exception:  # noqa: BLE001  (a diagnosis is a bonus: never let it break a report)
        return []
    return [] if hint is None else [hint]


def rename_sides(hint: Hint, actual_name: str, expected_name: str) -> Hint:
    """Say ``actual_name``/``expected_name`` where the pair-level text says scratch/reference."""
    msg = hint.message
    if expected_name != "reference":
        msg = re.sub(r"\bthe reference\b", expected_name, msg)
        msg = re.sub(r"\breference\b", expected_name, msg)
    if actual_name != "scratch":
        # check_layer calls its side "layer": "the layer equals ..." reads as meant.
        name = "the layer" if actual_name == "layer" else actual_name
        msg = re.sub(r"\bscratch\b", name, msg)
    return replace(hint, message=msg)


def _poison_hint(report, entry) -> list[Hint]:
    """Name the cause when the NaN the checker put in a gradient buffer survived backward.

    The checks fill gradient buffers with NaN before backward, so ``+=`` and
    "never written" both leave NaN. To tell them apart, the layer (from
    ``report.layers``) is copied and :func:`probe_backward` runs on the copy
    with the layer's input from the report.
    """
    a, b = entry.actual, entry.expected
    if entry.kind != PARAM_GRAD or a.shape != b.shape or not np.isnan(a).any() \
            or np.isnan(b).any():
        return []
    n_nan = int(np.isnan(a).sum())
    evidence = f"the NaN put into the buffer before backward is still there ({n_nan} of " \
               f"{a.size} elements) while the reference is finite"
    for hint in _probe_layer(report, entry):
        return [Hint(hint.kind, entry.name, f"{evidence}. Probing a copy of the layer: "
                     f"{hint.message}", {**hint.evidence, "nan_elements": n_nan})]
    msg = (f"{evidence}: backward adds into this gradient (+=) or never writes it; it "
           "should overwrite it. compare.diagnose.probe_backward(layer, x) tells which.")
    return [Hint("never_written", entry.name, msg, {"nan_elements": n_nan})]


def _probe_layer(report, entry) -> list[Hint]:
    layers = report.layers
    x = layer_input(report, entry)
    if not layers or entry.layer >= len(layers) or x is None:
        return []
    key = entry.label.removeprefix("dL/d")
    try:
        hints = probe_backward(copy.deepcopy(layers[entry.layer]), x,
                               rtol=entry.diff.rtol, atol=entry.diff.atol)
    except Exception:  # noqa: BLE001  (a probe is a bonus: never let it break a report)
        return []
    return [h for h in hints if h.where.endswith(f" grad {key}")]


def _accumulation_hint(report, entry) -> list[Hint]:
    """``accumulated`` when the entry matched after the first backward call and is now twice that.

    Reads ``report.first_backward``: the checked side's gradients copied after
    the first of two identical backward calls (keyed by parameter name, and
    ``"<input i>"`` for layer i's dL/dinput), when the check ran backward twice.
    """
    first_all = report.first_backward
    key = entry.param if entry.kind == PARAM_GRAD else f"<input {entry.layer}>"
    if not first_all or entry.kind not in (PARAM_GRAD, INPUT_GRAD) or key not in first_all:
        return []
    first = first_all[key]
    if not isinstance(first, np.ndarray) or first.shape != entry.expected.shape:
        return []
    rtol, atol = entry.diff.rtol, entry.diff.atol
    if not allclose(first, entry.expected, rtol, atol) or not first.any():
        return []
    doubled = allclose(entry.actual, 2 * first, rtol, atol)
    if doubled:
        msg = (f"after the first backward call scratch matched the reference; after a second "
               f"call with the same upstream gradient it is exactly twice that on all "
               f"{first.size} elements: backward adds into the gradient (+=) instead of "
               "overwriting it, so it accumulates across calls.")
    else:
        msg = ("after the first backward call scratch matched the reference, but a second "
               "identical call gives a different value: backward depends on state left by "
               "the previous call (a cache or gradient modified in place).")
    return [Hint("accumulated" if doubled else "stateful", entry.name, msg,
                 {"ratio_to_first": 2.0 if doubled else None})]


def confirm_rounding(report32, report64) -> list[Hint]:
    """Compare a float32 report with its float64 re-run, entry by entry (by name).

    Returns
    -------
    list of Hint
        When every failing float32 entry passes in float64: one
        ``float32_rounding`` hint per entry saying the rounding is confirmed.
        When something still fails in float64: the float64 report's own
        diagnosis, each hint prefixed "still fails in float64", since
        float32 only blurred a real bug.
    """
    if not report64.ok:
        return [replace(h, message="Not rounding: still fails in float64. " + h.message)
                for h in diagnose(report64)]
    by_name = {e.name: e for e in report64.entries}
    hints = []
    for e in report32.failures:
        twin = by_name.get(e.name)
        if twin is None:
            continue
        msg = (f"fails in float32 (max |diff| {e.max_abs:.3g}) but passes in float64 "
               f"(max |diff| {twin.max_abs:.3g}, within rtol={twin.diff.rtol:g}, "
               f"atol={twin.diff.atol:g}): confirmed float32 rounding, not a bug. Loosen "
               "the float32 tolerance for this check instead.")
        hints.append(Hint("float32_rounding", e.name, msg,
                          {"confirmed": True, "max_abs_float32": e.max_abs,
                           "max_abs_float64": twin.max_abs}))
    return hints

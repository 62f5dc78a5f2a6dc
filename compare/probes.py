"""Extra inputs that make hidden bugs show, for check_model and check_layer.

Found by mutation testing (``twinnet mutants``): with ordinary data, some
realistic bugs pass every comparison. These probes make them visible:

* **decoy forward** (:func:`decoy_input`): run the layer once on a different
  input of the same shape before the judged run, so a layer that caches its
  input only on the first call (``if self.x is None: self.x = x``) is caught;
* **exact zeros** (:func:`kink_input` for a lone layer, :func:`zeroed_units`
  inside a model): the kink of ReLU, Step, abs...: a ReLU'(0) = 1 (``x >= 0``)
  passes on normal data, never on exact zeros;
* **extreme predictions** (:func:`loss_probe_entries`): a loss judged again on
  a few rows of saturated probabilities (0, 1, 1e-9, 1 - eps) or large logits
  (+-40, +-800), where torch documents its behaviour: a BCE clamped at 1e-7
  instead of 1e-12, log clamped at -10 instead of -100, a sigmoid-then-BCE
  forward, softmax without the max shift;
* **input changed in place** (:func:`input_change_entry`): a forward that
  writes into its input array (``np.tanh(x, out=x)``) corrupts the caller's
  data or a cache held by the layer below; the report names the layer that did
  it rather than the layer whose cache was hit.

Every probe is deterministic given the check's seed.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import torch

import scratch
import torch_ref

from .diff import ERROR, ArrayDiff, compare_arrays, error_diff
from .report import FORWARD, INPUT_GRAD, STATE_UNCHANGED, Entry, Report

INPUT_CHANGED = "input unchanged by forward"
KINK_NOTE = "[x with exact zeros]"
UNITS_NOTE = "[exact-0 units]"
EXTREME_NOTE = "at extreme predictions"


def decoy_input(x: np.ndarray, seed: int) -> np.ndarray:
    """A new array with ``x``'s shape, dtype and values, in another order (when possible).

    Its entries are ``x``'s own, so any per-element input domain still holds.
    """
    flat = x.ravel()
    decoy = np.random.default_rng(seed + 1).permutation(flat)
    if flat.size > 1 and np.array_equal(decoy, flat):
        decoy = np.roll(flat, 1)
    return decoy.reshape(x.shape).copy()


def kink_input(x: np.ndarray, seed: int) -> np.ndarray | None:
    """A copy of ``x`` with about a third of its entries (at least one) set to exactly 0.

    None when ``x`` is already all zeros (nothing new to probe).
    """
    if not np.any(x):
        return None
    probe = x.copy()
    mask = np.random.default_rng(seed + 2).random(x.shape) < 1 / 3
    mask.flat[int(np.flatnonzero(x.ravel())[0])] = True
    probe[mask] = 0
    return probe


def input_change_entry(layer: int, desc: str, before: np.ndarray, after: np.ndarray) -> Entry:
    """An ERROR entry: layer's forward changed its input array in place (before -> after)."""
    changed = int(np.sum(before != after)) if before.shape == after.shape else before.size
    msg = (f"forward changed its input array in place ({changed} of {before.size} values): "
           "the caller's data, or the output cached by the layer below, is overwritten")
    diff = ArrayDiff(ERROR, after, before, float("nan"), float("nan"), msg)
    return Entry(INPUT_CHANGED, FORWARD, layer, desc, diff)


def backward_write_entry(layer: int, desc: str, what: str, before: np.ndarray,
                         after: np.ndarray) -> Entry:
    """An ERROR entry: layer's backward wrote into ``what`` (an array it does not own).

    ``what`` is "its cached forward output", "its cached forward input" or "the
    dL/doutput it was handed". Writing there changes a cache that another
    backward call (or the neighbouring layer) still reads, or the array the
    layer above returned, so the layer is named even when this run's numbers
    happen to be right.
    """
    changed = int(np.sum(before != after)) if before.shape == after.shape else before.size
    msg = (f"its backward wrote into {what} in place ({changed} of {before.size} values "
           "changed): a later backward, or the layer that shares that array, reads corrupted "
           "values; compute into a new array instead")
    diff = ArrayDiff(ERROR, after, before, float("nan"), float("nan"), msg)
    return Entry(STATE_UNCHANGED, INPUT_GRAD, layer, desc, diff)


def _bce_rows(dt):
    near_one = 1 - 2.0 ** -24 if dt == np.float32 else 1 - 1e-12
    # (p, y): confidently wrong at 0 and 1, saturated both ways, an easy one
    return [(0.0, 1.0), (1.0, 0.0), (1e-9, 1.0), (near_one, 0.0), (1e-30, 0.0), (0.5, 1.0)]


def _logit_rows(dt):
    # (z, y): |z| past where 1 - sigmoid(z) rounds to 0 (17 in float32, 37 in float64)
    # and past where exp(z) overflows (89 / 710), wrong and right both ways
    return [(40.0, 0.0), (-40.0, 1.0), (800.0, 0.0), (-800.0, 1.0), (40.0, 1.0), (-800.0, 0.0)]


def _mse_rows(dt):
    big = 1e15 if dt == np.float32 else 1e100
    return [(big, 0.0), (-big, 0.0), (0.0, big), (1e-30, -1e-30)]


# Per loss class: rows of (prediction, target); every column of a row gets that pair.
_EXTREMES = ((scratch.BCELoss, _bce_rows), (scratch.BCEWithLogitsLoss, _logit_rows),
             (scratch.MSELoss, _mse_rows))
CE_LOGITS = (800.0, -800.0, 0.0, 40.0, -40.0, 1.0)  # rolled along each row


def extreme_case(loss, width: int, dtype):
    """(pred, target) at the loss's extremes, ``width`` columns (None: no probe for this loss).

    A handful of rows keeps the reduction short, so summation order (numpy's
    pairwise sum vs torch's) moves the result by a few ulps only.
    """
    dt = np.dtype(dtype)
    if isinstance(loss, scratch.CrossEntropyLoss):
        rows = len(CE_LOGITS)
        pred = np.array([np.resize(np.roll(CE_LOGITS, r), width) for r in range(rows)], dt)
        return pred, np.arange(rows) % width
    for cls, make_rows in _EXTREMES:
        if isinstance(loss, cls):
            pairs = np.array(make_rows(dt), dtype=dt)
            return (np.repeat(pairs[:, :1], width, axis=1),
                    np.repeat(pairs[:, 1:], width, axis=1))
    return None


def loss_probe_entries(loss, width: int, dtype, layer: int, fwd_tol, grad_tol) -> list:
    """The loss value and dL/dpred at extreme predictions, against torch's twin of the loss.

    ``width``/``dtype`` are the prediction's; ``layer`` is the loss stage's index.
    """
    case = extreme_case(loss, width, dtype)
    if case is None:
        return []
    pred, y = case
    desc = f"{loss!r} {EXTREME_NOTE}"
    try:
        value = np.asarray(loss.forward(pred, y), dtype=pred.dtype)
        grad = loss.backward()
    except Exception as err:  # the code under test raised: that is the finding
        return [Entry("loss", FORWARD, layer, desc, error_diff(err, "the loss at extreme "
                                                               "predictions"), is_loss=True)]
    pred_t = torch.from_numpy(pred.copy()).requires_grad_(True)
    value_t = torch_ref.loss_to_torch(loss)(pred_t, torch_ref.target_to_torch(loss, y))
    value_t.backward()
    # kind "forward", not "loss": report.entry("loss", "loss") keeps naming the judged run's
    # loss value alone; the forward scan of find_divergence still sees it at the loss stage
    return [Entry("loss", FORWARD, layer, desc,
                  compare_arrays(value, value_t, rtol=fwd_tol.rtol, atol=fwd_tol.atol),
                  is_loss=True),
            Entry("dL/dpred", INPUT_GRAD, layer, desc,
                  compare_arrays(grad, pred_t.grad, rtol=grad_tol.rtol, atol=grad_tol.atol),
                  is_loss=True)]


def insert_after_output(entries: list, entry: Entry) -> None:
    """Insert ``entry`` right after its layer's forward "output" entry (else at the end)."""
    for k, e in enumerate(entries):
        if e.kind == FORWARD and e.layer == entry.layer and not e.is_loss:
            entries.insert(k + 1, entry)
            return
    entries.append(entry)


def _zero_unit(layer, rng) -> int | None:
    """Zero one output unit (Linear) or channel (Conv2d) of ``layer``; None if neither."""
    if isinstance(layer, scratch.Linear):
        j = int(rng.integers(layer.out_features))
        layer.params["W"][:, j] = 0  # W is (in, out)
    elif isinstance(layer, scratch.Conv2d):
        j = int(rng.integers(layer.out_channels))
        layer.params["W"][j] = 0  # W is (out, in, kH, kW)
    else:
        return None
    if "b" in layer.params:
        layer.params["b"][j] = 0
    return j


# Parameter-free layers that are smooth at 0 (or only reshape): exact zeros into them
# show nothing, so no unit is zeroed for them.
SMOOTH_AT_ZERO = (scratch.Sigmoid, scratch.Tanh, scratch.Identity, scratch.Softmax,
                  scratch.Flatten)


@contextmanager
def zeroed_units(layers: list, seed: int):
    """Zero one output unit of every scratch.Linear or Conv2d that feeds a kinked layer.

    A kinked layer is any parameter-free one not in :data:`SMOOTH_AT_ZERO`
    (ReLU, Step, MaxPool2d, a user's layer). That unit's (channel's) weights
    and bias become 0, so it sees exact 0.0 on both sides for every sample (in
    a pooling window: ties). Yields a list of "layer i unit j" strings (empty:
    nothing to probe); the weights are restored bit for bit on leaving,
    whatever happens inside.
    """
    rng = np.random.default_rng(seed + 3)
    saved = []
    try:
        for i, (layer, nxt) in enumerate(zip(layers, layers[1:], strict=False)):
            if getattr(nxt, "params", None) or isinstance(nxt, SMOOTH_AT_ZERO) \
                    or not isinstance(layer, scratch.Linear | scratch.Conv2d):
                continue
            kept = {k: p.copy() for k, p in layer.params.items()}
            saved.append((i, _zero_unit(layer, rng), layer, kept))
        yield [f"layer {i} unit {j}" for i, j, _, _ in saved]
    finally:
        for _, _, layer, params in saved:
            for k, p in params.items():
                layer.params[k][...] = p


def with_probe(main: Report, probe: Report, note: str) -> Report:
    """Attach a probe run to ``main``; return the report to hand back.

    A passing probe changes nothing visible: it is kept in ``main.probes`` (a
    list of (note, Report)) for the record, so reports on correct code read as
    before. A failing probe's entries are appended to ``main``'s, their layer
    marked with ``note``, in a new Report.

    The probe may have run first, its diffs holding references to arrays the
    judged run has since overwritten (a layer's grads, the twin's .grad), so
    callers pass it through :func:`keep_arrays` right after it ran.
    """
    if probe.ok:
        main.probes.append((note, probe))
        return main
    for e in probe.entries:
        e.layer_desc = f"{e.layer_desc} {note}"
    notes = main.notes + [f"{note}: {n}" for n in probe.notes if n not in main.notes]
    return main.with_entries(main.entries + probe.entries, notes=notes)


def probe_report(main: Report, entries: list, note: str) -> Report:
    """``entries`` (e.g. the loss at extreme predictions) as a probe of ``main``."""
    probe = Report(f"{main.title} {note}", entries, dtype=main.dtype, seed=main.seed,
                   actual_name=main.actual_name, expected_name=main.expected_name,
                   tolerances=main.tolerances)
    return with_probe(main, probe, note) if probe.ok else main.with_entries(
        main.entries + entries)


def worst_ratio(report: Report) -> tuple[float, str]:
    """Largest |diff| / allowed over ``report`` and its passing probes, with the entry's name."""
    best = (0.0, "")
    for note, r in [("", report), *report.probes]:
        w = r.worst()
        if w is not None and w.ratio >= best[0]:
            best = (w.ratio, f"{w.name} {note}".rstrip())
    return best


def keep_arrays(report: Report) -> Report:
    """Replace every compared array in ``report`` by a copy (its statistics are lazy)."""
    for e in report.entries:
        for side in ("actual", "expected"):
            a = getattr(e.diff, side)
            if isinstance(a, np.ndarray):
                setattr(e.diff, side, a.copy())
    return report

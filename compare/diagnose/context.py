"""What a report knows about one of its entries, gathered into a :class:`PairContext`.

A report lists arrays; a diagnosis also wants the layer's input and output,
the gradient handed to it, its weight, the batch size. These are read from
the report's other entries and from what the checks attach to it
(``report.x``, ``report.upstream``, ``report.layers``).
"""

from __future__ import annotations

import numpy as np

from .hint import PairContext

# compare.report's entry kinds, repeated so this package imports nothing from
# compare at import time (compare.report imports the diagnosis lazily).
FORWARD, LOSS, PARAM_GRAD, INPUT_GRAD = "forward", "loss", "param_grad", "input_grad"


def entry_context(report, entry, *, time_axis: int | None = None) -> PairContext:
    """What ``report`` knows about ``entry``'s pair, as a :class:`PairContext`."""
    role = {FORWARD: "output", LOSS: "loss", PARAM_GRAD: "weight_grad",
            INPUT_GRAD: "input_grad"}.get(entry.kind, "value")
    per_sample = entry.kind in (FORWARD, INPUT_GRAD)
    if time_axis is None and not entry.is_loss:
        time_axis = layer_time_axis(report, entry.layer)
    batch = batch_size(report) if time_axis != 0 else None  # axis 0 is time, not samples
    return PairContext(
        name=entry.name, role=role, batch_size=batch,
        n_reduced=_loss_elements(report, batch) if entry.is_loss or role != "output" else None,
        n_features=_prediction_width(report) if entry.is_loss else None,
        layer_input=layer_input(report, entry),
        grad_out=None if entry.is_loss else grad_out_of(report, entry),
        layer_output=None if entry.is_loss else _forward_of(report, entry.layer),
        n_positions=None if entry.is_loss else _positions(_forward_of(report, entry.layer)),
        weight=None if entry.is_loss else _weight_of(report, entry.layer),
        bias=None if entry.is_loss else _bias_of(report, entry.layer),
        batch_axis=0 if per_sample and np.ndim(entry.expected) >= 1 and time_axis != 0
        else None,
        time_axis=time_axis if per_sample else None,
        rtol=entry.diff.rtol, atol=entry.diff.atol)


def layer_time_axis(report, layer: int) -> int | None:
    """The time axis of a sequence layer's arrays: its ``time_axis`` attribute, or 1 for
    scratch's batch-first RNN; None for other layers."""
    layers = report.layers
    if not layers or layer >= len(layers):
        return None
    obj = layers[layer]
    axis = getattr(obj, "time_axis", None)
    if isinstance(axis, int):
        return axis
    import scratch
    rnn = getattr(scratch, "RNN", None)
    return 1 if rnn is not None and isinstance(obj, rnn) else None


def batch_size(report) -> int | None:
    """The batch size: the input's first axis, else the first forward output's."""
    x = report.x
    if isinstance(x, np.ndarray) and x.ndim >= 1:
        return int(x.shape[0])
    for e in report.entries:
        if e.kind == FORWARD and e.expected is not None and np.ndim(e.expected) >= 1:
            return int(np.shape(e.expected)[0])
    return None


def _loss_elements(report, batch) -> int | None:
    """How many elements a mean-reduced loss divides by, when that is not the batch size."""
    pred = _last_forward(report, before_layer=None)
    if pred is None or pred.ndim < 2 or pred.size == batch:
        return None
    loss_desc = next((e.layer_desc for e in report.entries if e.is_loss), "")
    # CrossEntropyLoss averages over samples only; the others over every element.
    return None if "CrossEntropy" in loss_desc else int(pred.size)


def _positions(output) -> int | None:
    """Ho * Wo of an image layer's (N, C, Ho, Wo) output."""
    return int(output.shape[2] * output.shape[3]) if output is not None and output.ndim == 4 \
        else None


def _prediction_width(report) -> int | None:
    pred = _last_forward(report, before_layer=None)
    return int(pred.shape[-1]) if pred is not None and pred.ndim >= 2 else None


def layer_input(report, entry) -> np.ndarray | None:
    """The input of ``entry``'s layer: the model input for layer 0, else the previous output.

    The reference's value is used; at a backward divergence the forward pass
    matched, so either side would do.
    """
    if entry.layer == 0 and not entry.is_loss:
        x = report.x
        return x if isinstance(x, np.ndarray) else None
    if entry.is_loss and not _judged_loss_stage(report, entry):
        return None  # e.g. a probe of the loss at extreme predictions: its input is not kept
    return _last_forward(report, before_layer=entry.layer)


def _judged_loss_stage(report, entry) -> bool:
    """Whether a loss-stage entry belongs to the judged run (same stage as its loss value)."""
    judged = [e for e in report.entries if e.kind == LOSS]
    return bool(judged) and entry.layer_desc == judged[0].layer_desc


def grad_out_of(report, entry) -> np.ndarray | None:
    """dL/d(output) handed to ``entry``'s layer: the next stage's dL/dinput (reference side),
    or the upstream the check gave the top layer (``report.upstream``)."""
    above = [e for e in report.entries if e.kind == INPUT_GRAD and e.layer == entry.layer + 1]
    if above:
        value = above[0].expected
    elif entry.layer == max(e.layer for e in report.entries):
        value = report.upstream
    else:
        value = None
    return value if isinstance(value, np.ndarray) else None


def _forward_of(report, layer: int) -> np.ndarray | None:
    outs = [e for e in report.entries if e.kind == FORWARD and not e.is_loss
            and e.layer == layer]
    value = outs[0].expected if outs else None
    return value if isinstance(value, np.ndarray) else None


def _weight_of(report, layer: int) -> np.ndarray | None:
    """The layer's 2-D weight ``W`` (scratch layout (in, out)), if the report keeps the layer."""
    layers = report.layers
    if not layers or layer >= len(layers):
        return None
    obj = layers[layer]
    params = getattr(obj, "params", None)
    if not isinstance(params, dict):
        w = getattr(obj, "W", None)
        if w is None:
            w = _sole_matrix(obj)
        return w if isinstance(w, np.ndarray) and w.ndim == 2 else None
    # Any name: the layer's one 2-D parameter, in (in, out) layout when its input says so.
    mats = [v for v in params.values() if isinstance(v, np.ndarray) and v.ndim == 2]
    if len(mats) != 1:
        return None
    w, x = mats[0], _last_forward(report, layer)
    if x is not None and x.ndim == 2 and w.shape[0] != x.shape[1] and w.shape[1] == x.shape[1]:
        return w.T  # stored (out, in), as torch does
    return w


def _bias_of(report, layer: int) -> np.ndarray | None:
    """The layer's one 1-D parameter (any name) when it also has a 2-D weight, else None."""
    layers = report.layers
    params = getattr(layers[layer], "params", None) if layers and layer < len(layers) else None
    if not isinstance(params, dict):
        return None
    vecs = [v for v in params.values() if isinstance(v, np.ndarray) and v.ndim == 1]
    return vecs[0] if len(vecs) == 1 else None


def _sole_matrix(obj) -> np.ndarray | None:
    """A user layer's only 2-D parameter, whatever it is called (``w``, ``kernel``...)."""
    from compare.access import param_access  # lazily: this package imports nothing eagerly
    try:
        found = [p for p in param_access(obj).params().values()
                 if isinstance(p, np.ndarray) and p.ndim == 2]
    except (AttributeError, TypeError, ValueError):
        return None
    return found[0] if len(found) == 1 else None


def _last_forward(report, before_layer) -> np.ndarray | None:
    outs = [e for e in report.entries if e.kind == FORWARD and not e.is_loss
            and (before_layer is None or e.layer < before_layer)]
    if not outs:
        return None
    value = max(outs, key=lambda e: e.layer).expected
    return value if isinstance(value, np.ndarray) else None

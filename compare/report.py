"""The result of a check: one :class:`Entry` per compared array, and where they first part.

A :class:`Report` lists, in reading order, every layer's output, the loss,
dL/dpred, and walking back from the loss, each layer's parameter gradients
and dL/dinput. ``first_divergence`` names the layer to look at:

* the first layer whose **forward** output differs (everything after it is
  then wrong too, so nothing later is blamed), else
* walking back from the loss, the first layer whose **backward** results
  differ while the gradient flowing into it (its dL/doutput) matched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .diff import ERROR, ArrayDiff
from .tolerances import Tolerance

FORWARD, LOSS, PARAM_GRAD, INPUT_GRAD = "forward", "loss", "param_grad", "input_grad"
KINDS = (FORWARD, LOSS, PARAM_GRAD, INPUT_GRAD)
#: Label of the entry saying a backward wrote into an array it does not own.
STATE_UNCHANGED = "state unchanged by backward"


@dataclass(eq=False)
class Entry:
    """One compared array.

    Attributes
    ----------
    label : str
        What was compared: "output", "loss", "dL/dpred", "dL/dinput", "dL/dW".
    kind : str
        "forward", "loss", "param_grad" or "input_grad" (dL/dpred from the loss
        counts as the loss stage's input_grad).
    layer : int
        Position in the model; the loss sits at ``len(layers)``.
    layer_desc : str
        E.g. ``Linear(3, 1)`` or ``BCELoss(reduction='mean')``.
    diff : ArrayDiff
        The verdict, with references to both arrays (``diff.actual``, ``diff.expected``).
    param : str, optional
        Parameter name on the checked side (scratch's full name, e.g. ``"2.W"``).
    reference_param : str, optional
        The same parameter's name on the reference side (e.g. torch's ``"2.weight"``).
    transposed : bool
        Whether the reference stores that parameter transposed (already undone
        before comparing, so both arrays are in the checked side's layout).
    is_loss : bool
        True for the loss stage's entries.
    source_report : Report or None
        The report of the run that produced this entry (set by that Report), so its
        context stays reachable when reports are joined into bigger ones.
    """

    label: str
    kind: str
    layer: int
    layer_desc: str
    diff: ArrayDiff
    param: str | None = None
    reference_param: str | None = None
    transposed: bool = False
    is_loss: bool = False
    # The report of the run that produced this entry (set by that Report): its context
    # stays reachable when reports are joined into bigger ones.
    source_report: Report | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        """Unique, readable name.

        E.g. ``"layer 2 (Linear(3, 1)) dL/dW [2.W <-> 2.weight, transposed]"``.
        """
        return f"{self.where} {self.label}{self.param_note}"

    @property
    def where(self) -> str:
        """``"layer 2 (Linear(3, 1))"`` or ``"the loss (BCELoss(reduction='mean'))"``."""
        if self.is_loss:
            return f"the loss ({self.layer_desc})"
        return f"layer {self.layer} ({self.layer_desc})"

    @property
    def param_note(self) -> str:
        """``" [2.W <-> 2.weight, transposed]"`` for a parameter entry, else ``""``.

        Only what the label does not already say: empty when both sides use the
        same name and the label ends with it (``dL/dW`` for ``W``).
        """
        if self.param is None:
            return ""
        ref = self.reference_param
        if ref is not None and (ref != self.param or self.transposed):
            return f" [{self.param} <-> {ref}{', transposed' if self.transposed else ''}]"
        # Same name on both sides: show it only if the label does not already say it.
        return "" if self.label.endswith(f"d{self.param}") else f" [{self.param}]"

    # Shortcuts into the diff.
    status = property(lambda self: self.diff.status, doc="``diff.status``, one of STATUSES.")
    ok = property(lambda self: self.diff.ok, doc="``diff.ok``: within tolerance.")
    shape = property(lambda self: self.diff.shape, doc="``diff.shape``: the arrays' shape.")
    max_abs = property(lambda self: self.diff.max_abs, doc="``diff.max_abs``.")
    max_rel = property(lambda self: self.diff.max_rel, doc="``diff.max_rel``.")
    allowed = property(lambda self: self.diff.allowed, doc="``diff.allowed`` (at the worst).")
    ratio = property(lambda self: self.diff.ratio, doc="``diff.ratio``: <= 1 passes.")
    worst_index = property(lambda self: self.diff.worst_index, doc="``diff.worst_index``.")
    actual = property(lambda self: self.diff.actual,
                      doc="The checked side's array (``diff.actual``), any shape.")
    expected = property(lambda self: self.diff.expected,
                        doc="The reference array (``diff.expected``), same shape as ``actual``.")

    def to_dict(self) -> dict:
        """JSON-ready plain values: the entry's own fields plus ``diff.to_dict()``'s keys."""
        return {"name": self.name, "label": self.label, "kind": self.kind,
                "layer": self.layer, "layer_desc": self.layer_desc, "is_loss": self.is_loss,
                "param": self.param, "reference_param": self.reference_param,
                "transposed": self.transposed, **self.diff.to_dict()}


@dataclass(eq=False)
class Divergence:
    """Where the two sides first part.

    Attributes
    ----------
    phase : "forward" or "backward"
    layer : int
    layer_desc : str
    entry : Entry
        The first failing entry at that layer.
    entries : list[Entry]
        Every failing entry at that layer.
    message : str
        E.g. "backward diverges at layer 1 (Sigmoid()): dL/dinput wrong while
        its dL/doutput matched".
    """

    phase: str
    layer: int
    layer_desc: str
    entry: Entry
    entries: list
    message: str

    def to_dict(self) -> dict:
        """JSON-ready plain values; entries are given by name (see :attr:`Entry.name`)."""
        return {"phase": self.phase, "layer": self.layer, "layer_desc": self.layer_desc,
                "entry": self.entry.name, "entries": [e.name for e in self.entries],
                "message": self.message}

    def __str__(self) -> str:
        return self.message


def find_divergence(entries: list[Entry], *, upstream_given: bool = False,
                    partial_backward: bool = False) -> Divergence | None:
    """The first forward failure, else the first backward failure walking back from the loss.

    ``upstream_given``: the top layer's dL/doutput was handed to both sides
    (no loss), which the message then says. ``partial_backward``: only
    parameter and input gradients were compared (finite differences), so the
    message cannot claim that dL/doutput matched.
    """
    # A backward that wrote into an array it does not own is named first: the numbers it
    # corrupted belong to other layers (or to a later run) and would shift the blame.
    for e in entries:
        if e.label == STATE_UNCHANGED and not e.ok:
            return Divergence("backward", e.layer, e.layer_desc, e, [e],
                              f"backward diverges at {e.where}: {e.diff.message}")
    forward = [e for e in entries if e.kind in (FORWARD, LOSS)]
    for e in sorted(forward, key=lambda e: e.layer):
        if not e.ok:
            what = ("the loss value differs while the prediction matched" if e.is_loss
                    else "its output differs while its input matched")
            if e.status == ERROR:
                what = e.diff.message
            return Divergence("forward", e.layer, e.layer_desc, e, [e],
                              f"forward diverges at {e.where}: {what}")
    backward = [e for e in entries if e.kind in (PARAM_GRAD, INPUT_GRAD)]
    top = max((e.layer for e in backward), default=None)
    for layer in sorted({e.layer for e in backward}, reverse=True):
        bad = [e for e in backward if e.layer == layer and not e.ok]
        if not bad:
            continue
        first = bad[0]
        wrong = " and ".join(e.label + e.param_note for e in bad)
        errors = [e.diff.message for e in bad if e.status == ERROR]
        if errors:
            why = errors[0]
        elif first.is_loss:
            why = f"{wrong} wrong while the loss value matched"
        elif partial_backward:
            why = (f"{wrong} wrong while every gradient compared above it matched "
                   "(the fault is in this layer or in a parameter-free layer above it)")
        elif upstream_given and layer == top:
            why = f"{wrong} wrong given the same dL/doutput on both sides"
        else:
            why = f"{wrong} wrong while its dL/doutput matched"
        return Divergence("backward", layer, first.layer_desc, first, bad,
                          f"backward diverges at {first.where}: {why}")
    return None


@dataclass
class CheckContext:
    """What a check ran, kept on its :class:`Report` for :mod:`compare.diagnose`.

    Attributes
    ----------
    x : np.ndarray or None
        The input the judged run used, (batch, ...).
    layers : list
        The checked layers in forward order (one for check_layer).
    upstream : np.ndarray or None
        dL/d(output) handed to the top layer (None where a loss made it).
    first_backward : dict or None
        The checked side's gradients after the first of two backward calls
        (parameter name, or ``"<input i>"``, to array).
    stateful_forward : bool
        A repeated forward on the same x gave a different output.
    arguments : dict or None
        A function pair's float arguments by name (check_pair, check_loss_fn).
    """

    x: np.ndarray | None = None
    layers: list = field(default_factory=list)
    upstream: np.ndarray | None = None
    first_backward: dict | None = None
    stateful_forward: bool = False
    arguments: dict | None = None


class Report:
    """Everything a check compared, its verdict, and where the sides first part.

    Attributes
    ----------
    title : str
        What was checked, e.g. ``check_model: Sequential(...) + BCELoss(...)``.
    entries : list[Entry]
        In reading order: forward outputs, loss, then gradients from the loss back.
    ok : bool
        True when there is at least one entry and every entry passed.
    first_divergence : Divergence | None
    dtype : str
    seed : int | None
        Seed of the random parts (random upstream or random case): replays the run.
    actual_name, expected_name : str
        What the two sides are ("scratch" vs "torch", "layer" vs "finite differences").
    tolerances : dict[str, Tolerance]
        The tolerance used for each group ("forward", "gradient").
    notes : list[str]
        Extra facts worth printing (e.g. "backward ran twice").
    replay : str | None
        A line of Python that reruns this check.
    hints : list[compare.diagnose.Hint]
        The likely cause of a failure, with its evidence (``[]`` when ok).
    context : CheckContext
        What the check ran (input, layers, upstream, first backward), for the diagnosis;
        also read as ``report.x``, ``report.layers``, ``report.upstream``,
        ``report.first_backward``, ``report.stateful_forward``.
    probes : list[tuple[str, Report]]
        Passing probe runs kept for the record (note, report).
    float64_report : Report or None
        A float32 check re-run in float64 (``check_model(..., rerun_float64=True)``).
    """

    def __init__(self, title: str, entries: list[Entry], *, dtype, seed: int | None = None,
                 actual_name: str = "scratch", expected_name: str = "torch",
                 tolerances: dict[str, Tolerance] | None = None, notes=(),
                 replay: str | None = None, upstream_given: bool = False,
                 partial_backward: bool = False, context: CheckContext | None = None,
                 probes=(), float64_report: Report | None = None) -> None:
        self.title, self.entries, self.seed = title, list(entries), seed
        self.dtype = str(np.dtype(dtype))
        self.actual_name, self.expected_name = actual_name, expected_name
        self.tolerances = dict(tolerances or {})
        self.notes, self.replay = list(notes), replay
        self.upstream_given, self.partial_backward = upstream_given, partial_backward
        self.ok = bool(self.entries) and all(e.ok for e in self.entries)
        self.first_divergence = None if self.ok else find_divergence(
            self.entries, upstream_given=upstream_given, partial_backward=partial_backward)
        self.context = CheckContext() if context is None else context
        self.probes, self.float64_report = list(probes), float64_report
        if context is not None:
            for e in self.entries:
                if e.source_report is None:
                    e.source_report = self

    x = property(lambda self: self.context.x, doc="``context.x``: the judged input.")
    layers = property(lambda self: self.context.layers, doc="``context.layers``.")
    upstream = property(lambda self: self.context.upstream, doc="``context.upstream``.")
    first_backward = property(lambda self: self.context.first_backward,
                              doc="``context.first_backward``.")
    stateful_forward = property(lambda self: self.context.stateful_forward,
                                doc="``context.stateful_forward``.")
    arguments = property(lambda self: self.context.arguments, doc="``context.arguments``.")

    def with_entries(self, entries: list[Entry], *, title: str | None = None,
                     notes=None) -> Report:
        """A new Report with ``entries`` and everything else of this one (context, probes...).

        Parameters
        ----------
        entries : list[Entry]
        title : str, optional
            Default: this report's title.
        notes : list[str], optional
            Default: this report's notes.

        Returns
        -------
        Report
        """
        return Report(self.title if title is None else title, entries, dtype=self.dtype,
                      seed=self.seed, actual_name=self.actual_name,
                      expected_name=self.expected_name, tolerances=self.tolerances,
                      notes=self.notes if notes is None else notes, replay=self.replay,
                      upstream_given=self.upstream_given,
                      partial_backward=self.partial_backward, context=self.context,
                      probes=self.probes, float64_report=self.float64_report)

    def __bool__(self) -> bool:
        return self.ok

    def __iter__(self):
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def failures(self) -> list[Entry]:
        """Every entry that is not ok, in reading order (empty when the report passes)."""
        return [e for e in self.entries if not e.ok]

    def entry(self, name_part: str, kind: str | None = None) -> Entry:
        """The entry named exactly ``name_part``, else the one whose name contains it.

        ``kind`` narrows the search. KeyError unless exactly one entry fits.
        """
        found = [e for e in self.entries if e.name == name_part and kind in (None, e.kind)]
        if not found:
            found = [e for e in self.entries if name_part in e.name and kind in (None, e.kind)]
        if len(found) != 1:
            raise KeyError(f"{len(found)} entries match {name_part!r}; names: "
                           f"{[e.name for e in self.entries]}")
        return found[0]

    def worst(self, kinds=KINDS) -> Entry | None:
        """The entry of those kinds closest to (or furthest past) its tolerance."""
        pool = [e for e in self.entries if e.kind in kinds and e.diff.comparable]
        return max(pool, key=lambda e: e.ratio, default=None)

    @cached_property
    def hints(self) -> list:
        from .diagnose import diagnose
        return diagnose(self)

    def to_json(self, **kwargs) -> str:
        """``to_dict()`` as strict JSON text (non-finite numbers as "nan"/"inf" strings)."""
        import json

        from .present.jsonable import jsonable
        return json.dumps(jsonable(self.to_dict()), allow_nan=False, **kwargs)

    def _repr_html_(self) -> str:
        from .present.html import render_html
        return render_html(self, self.hints)

    def to_dict(self) -> dict:
        """JSON-ready form (arrays are summarised, not included)."""
        return {"title": self.title, "ok": self.ok, "dtype": self.dtype, "seed": self.seed,
                "actual_name": self.actual_name, "expected_name": self.expected_name,
                "tolerances": {k: {"rtol": t.rtol, "atol": t.atol}
                               for k, t in self.tolerances.items()},
                "first_divergence": (None if self.first_divergence is None
                                     else self.first_divergence.to_dict()),
                "notes": self.notes, "replay": self.replay,
                "hints": [h.to_dict() for h in self.hints],
                "entries": [e.to_dict() for e in self.entries]}

    def __repr__(self) -> str:
        verdict = "ok" if self.ok else f"FAIL: {self.first_divergence}"
        return f"<Report {self.title!r}: {len(self.entries)} entries, {verdict}>"

    def __str__(self) -> str:
        from .present.text import render_report
        return render_report(self)

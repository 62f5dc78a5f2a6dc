"""The lecture's "Backpropagation by Hand": every intermediate, from scratch and from torch.

Scratch runs ``scratch.Net`` as cell [85] does (``predict`` then
``backward(label)``); dJ/dy comes from ``scratch.BCELoss(reduction="sum")`` on
the same output and dJ/dh from ``Net.l2.backward(dJ/dy)``. Torch runs the twin
``torch_ref.to_torch(net)`` (a ``torch_ref.LectureNet``) and reads the same
values from autograd: forward hooks keep ``h`` and ``y`` with ``retain_grad``,
so ``h.grad`` and ``y.grad`` are dJ/dh and dJ/dy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

import scratch
import torch_ref
from compare.diff import compare_many
from compare.tolerances import FORWARD, GRADIENT, Tolerance, tolerance_for

from .reference import EXAMPLE_LABEL, NOTES_WORKED_EXAMPLE, PRINTED, Printed, example_arrays

QUANTITIES = ("h", "y", "loss", "dJ/dy", "dJ/dh", "dJ/dW", "dJ/dV")


def lecture_net(W: np.ndarray | None = None, V: np.ndarray | None = None) -> scratch.Net:
    """``scratch.Net(2, 3)`` holding the worked example's W (2, 3) and V (3, 1), or those given."""
    _, W0, V0 = example_arrays()
    net = scratch.Net(2, 3, rng=0)
    net.l1.W = W0 if W is None else np.array(W, dtype=np.float64)
    net.l2.W = V0 if V is None else np.array(V, dtype=np.float64)
    return net


def scratch_intermediates(net: scratch.Net, x: np.ndarray, label) -> dict[str, np.ndarray]:
    """Every quantity of the worked example from scratch; each value a 2-D array.

    Shapes: h (1, 3), y (1, 1), loss (1, 1), dJ/dy (1, 1), dJ/dh (1, 3),
    dJ/dW (2, 3), dJ/dV (3, 1).
    """
    y = net.predict(x)
    loss = net.backward(label)
    out = {"h": net.l1.y.copy(), "y": y.copy(), "loss": loss.copy(),
           "dJ/dW": net.l1.W_grad.copy(), "dJ/dV": net.l2.W_grad.copy()}
    bce = scratch.BCELoss(reduction="sum")
    bce.forward(y, np.full_like(y, label))
    out["dJ/dy"] = bce.backward()
    # l2 still caches this forward pass, so this repeats Net.backward's first step exactly.
    out["dJ/dh"] = net.l2.backward(out["dJ/dy"])
    return out


def torch_intermediates(net: scratch.Net, x: np.ndarray, label) -> dict[str, np.ndarray]:
    """The same quantities from the torch twin of ``net`` and autograd (same shapes)."""
    twin = torch_ref.to_torch(net)
    seen: dict[str, torch.Tensor] = {}

    def keep(name):
        def hook(module, inputs, output):
            output.retain_grad()
            seen[name] = output
        return hook

    handles = [twin.l1.register_forward_hook(keep("h")),
               twin.l2.register_forward_hook(keep("y"))]
    try:
        y = twin(torch.from_numpy(x))
    finally:
        for handle in handles:
            handle.remove()
    per_sample = torch_ref.LectureNet.loss(y, label, reduction="none")
    per_sample.sum().backward()
    as_np = {name: t.detach().numpy().copy() for name, t in seen.items()}
    return {"h": as_np["h"], "y": as_np["y"], "loss": per_sample.detach().numpy().copy(),
            "dJ/dy": seen["y"].grad.numpy().copy(), "dJ/dh": seen["h"].grad.numpy().copy(),
            "dJ/dW": twin.l1.W.grad.numpy().copy(), "dJ/dV": twin.l2.W.grad.numpy().copy()}


@dataclass
class Row:
    """One printed line: a scalar entry of a quantity, both sides and the lecture's value."""

    label: str                 # lecture notation, e.g. "h2", "dJ/dW21"
    quantity: str
    index: tuple[int, ...]
    scratch: float
    torch: float
    lecture: Printed | None

    @property
    def abs_diff(self) -> float:
        return abs(self.scratch - self.torch)


@dataclass
class WorkedExample:
    """Both sides' intermediates; ``rows()`` lines them up with the lecture."""

    scratch: dict[str, np.ndarray]
    torch: dict[str, np.ndarray]

    def rows(self) -> list[Row]:
        printed = {(p.quantity, p.index): p for p in PRINTED}
        rows = []
        for q in QUANTITIES:
            for idx in np.ndindex(self.scratch[q].shape):
                rows.append(Row(_label(q, idx), q, idx, float(self.scratch[q][idx]),
                                float(self.torch[q][idx]), printed.get((q, idx))))
        return rows

    @staticmethod
    def tolerance(quantity: str) -> Tolerance:
        """compare.tolerances' float64 row: "gradient" for dJ/..., "forward" for the rest."""
        return tolerance_for(np.float64, GRADIENT if quantity.startswith("dJ/") else FORWARD)

    @property
    def twins_agree(self) -> bool:
        diffs = compare_many([(self.scratch[q], self.torch[q], self.tolerance(q))
                              for q in QUANTITIES])
        return all(d.ok for d in diffs)

    @property
    def matches_lecture(self) -> bool:
        return all(r.lecture is None or (r.lecture.agrees(r.scratch) and r.lecture.agrees(r.torch))
                   for r in self.rows())


def run_worked_example(W=None, V=None, x=None, label=EXAMPLE_LABEL) -> WorkedExample:
    """Compute the worked example on both sides (default: the lecture's x, W, V, label)."""
    x = example_arrays()[0] if x is None else np.array(x, dtype=np.float64)
    # Separate nets: scratch's backward must not see torch's run, nor the reverse.
    return WorkedExample(scratch_intermediates(lecture_net(W, V), x, label),
                         torch_intermediates(lecture_net(W, V), x, label))


def format_worked_example(ex: WorkedExample) -> str:
    """The table ``twinnet lecture worked-example`` prints."""
    head = (f"{'value':<9} {'lecture prints':>16} {'scratch':>24} {'torch':>24} "
            f"{'|scratch-torch|':>15}  lecture?")
    lines = [head, "-" * len(head)]
    for r in ex.rows():
        lecture = r.lecture.text if r.lecture else "-"
        verdict = ("-" if r.lecture is None else
                   "ok" if r.lecture.agrees(r.scratch) and r.lecture.agrees(r.torch)
                   else "DIFFERS")
        lines.append(f"{r.label:<9} {lecture:>16} {r.scratch:>24.17g} {r.torch:>24.17g} "
                     f"{r.abs_diff:>15.3e}  {verdict}")
    lines.append("")
    lines.append("lecture?: 'ok' when scratch and torch both lie within one unit of the lecture's "
                 "last printed digit")
    lines.append(f"scratch vs torch: {'agree' if ex.twins_agree else 'DISAGREE'} "
                 f"(values {ex.tolerance('y')}, gradients {ex.tolerance('dJ/dy')}); "
                 "largest |scratch - torch| = "
                 f"{max(r.abs_diff for r in ex.rows()):.3e}")
    verdict = "all reproduced" if ex.matches_lecture else "NOT all reproduced"
    lines.append(f"lecture's printed values: {verdict}")
    lines += ["", "Notes on the lecture's text:"] + [f"- {n}" for n in NOTES_WORKED_EXAMPLE]
    return "\n".join(lines)


def _label(quantity: str, idx: tuple[int, ...]) -> str:
    """Lecture notation, 1-based: h1..h3, y, J, dJ/dh2, dJ/dW21 (row = input, column = hidden)."""
    if quantity in ("y", "loss", "dJ/dy"):
        return {"y": "y", "loss": "J", "dJ/dy": "dJ/dy"}[quantity]
    if quantity in ("h", "dJ/dh"):
        return f"{quantity}{idx[1] + 1}"
    if quantity == "dJ/dV":
        return f"dJ/dV{idx[0] + 1}"
    return f"dJ/dW{idx[0] + 1}{idx[1] + 1}"

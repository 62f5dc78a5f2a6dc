"""The rounding envelope: how far honest arithmetic can move each compared array.

:func:`compare.check_model` judges scratch against the torch twin. Honest
rounding moves every array by an amount that depends on the computation, not
only on the array's values: a weight gradient ``x.T @ g`` that cancels to
0.15 from terms whose absolute sum is 44 carries the rounding error of 44, a
dL/dp of BCE at p = 1 - 1e-5 carries ``eps / (1 - p)`` of relative error, and
on inputs scaled x1000 every forward value carries 1000 times more.

The envelope measures that amount on the twin itself, for any architecture:

* a **jittered run**: the twin in float64 with its input, every parameter,
  every module's output and every gradient flowing back between modules
  multiplied by ``1 + s * delta`` (``s`` a sign drawn from each value's own
  bits, so exact ties stay ties; ``delta`` a few units of rounding of the
  dtype being judged), and each activation's dL/dinput given an extra
  ``delta * |dL/doutput|`` (the rounding of ``g * (1 - y*y)`` is absolute).
  This is Monte Carlo arithmetic at module boundaries: a rounding-sized
  nudge to every operand, propagated through the real computation,
  cancellations and ill-conditioned loss derivatives included.
* for a float32 model, also the **float64 run** of the same twin: the
  float32 twin's own distance from it is float32 rounding as it really
  happened, inside the kernels too.

``envelope = max |jittered - float64 run| (+ max |float32 twin - float64 run|)``
per array; :mod:`compare.tolerances` turns it into each array's atol.
"""

from __future__ import annotations

import weakref
from contextlib import contextmanager

import numpy as np
import torch

from .plan import Plan, build_plan, layers_signature

#: Relative size of each nudge, in units of the judged dtype's machine epsilon: what the
#: envelope stands for (two units of rounding per operand).
JITTER_EPS = 2.0
#: The nudge actually applied is this many times larger, and the distances it causes are
#: divided by the same factor. Nudges of one or two ulps round to whole ulps and can
#: cancel exactly in a short sum (an envelope of 0); 32x larger ones cannot, while
#: staying far inside the linear regime.
MAGNIFY = 32.0

_PLANS64: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def plan64(model, kind, layers, prefixes, main: Plan) -> Plan:
    """A float64 plan of ``model``: ``main`` itself when it is float64, else a cached one."""
    if main.dtype == np.float64:
        return main
    signature = layers_signature(layers)
    cached = _PLANS64.get(model)
    if cached is None or cached.signature != signature:
        cached = build_plan(model, kind, layers, prefixes, np.dtype(np.float64))
        try:
            _PLANS64[model] = cached
        except TypeError:  # not weak-referenceable: simply not cached
            pass
    cached.sync(layers)
    return cached


class _Nudge(torch.autograd.Function):
    """``a * f`` forward, ``grad * g`` backward (two independent rounding nudges)."""

    @staticmethod
    def forward(ctx, a, f, g):  # noqa: D102 (torch's Function protocol)
        ctx.save_for_backward(g)
        return a * f

    @staticmethod
    def backward(ctx, grad):  # noqa: D102
        (g,) = ctx.saved_tensors
        return grad * g, None, None


class _Clamp(torch.autograd.Function):
    """Clamp forward into the unjittered range (a probability stays a probability);
    the gradient passes straight through, as rounding would have left it."""

    @staticmethod
    def forward(ctx, a, lo, hi):  # noqa: D102
        return a.clamp(lo, hi)

    @staticmethod
    def backward(ctx, grad):  # noqa: D102
        return grad, None, None


class Jitter:
    """Rounding-sized random nudges, reproducible from ``seed``.

    Parameters
    ----------
    delta : float
        Relative size of every nudge (e.g. 2 * float32's epsilon).
    seed : int
    """

    def __init__(self, delta: float, seed: int) -> None:
        self.delta = float(delta)
        self.gen = torch.Generator().manual_seed(int(seed) + 7919)
        self.salt = int(torch.randint(0, 2 ** 30, (1,), generator=self.gen))

    def _factor(self, like: torch.Tensor) -> torch.Tensor:
        signs = torch.randint(0, 2, like.shape, generator=self.gen).to(like.dtype) * 2 - 1
        return 1 + self.delta * signs

    def _value_factor(self, a: torch.Tensor) -> torch.Tensor:
        """A sign drawn from each value's own bits: equal values get equal nudges.

        So exact ties (a MaxPool window of equal values, identical image
        patches) stay exact ties, as they do under honest rounding of the same
        operations, instead of being broken at random.
        """
        bits = a.detach().to(torch.float64).view(torch.int64)
        mixed = (bits ^ (bits >> 29)) * 0x5BD1E995 + self.salt
        signs = ((mixed >> 33) & 1).to(a.dtype) * 2 - 1
        return 1 + self.delta * signs

    def tensor(self, a: torch.Tensor) -> torch.Tensor:
        """``a`` nudged forward and its gradient nudged backward, kept in its range."""
        with torch.no_grad():
            lo, hi = _unit_range(a)
            f = self._value_factor(a)
        out = _Nudge.apply(a, f, self._factor(a))
        return out if lo is None else _Clamp.apply(out, lo, hi)

    def module(self, module: torch.nn.Module, a: torch.Tensor) -> torch.Tensor:
        """``module(a)``; an activation's backward also gets its own rounding (see above)."""
        if next(module.parameters(), None) is not None or not a.requires_grad:
            return module(a)
        out = module(a)
        if out.shape != a.shape:
            return out
        signs = torch.randint(0, 2, a.shape, generator=self.gen).to(a.dtype) * 2 - 1
        return _RoundedBackward.apply(a, module, self.delta, signs)

    @contextmanager
    def params(self, plan: Plan, layers: list):
        """Every parameter of ``plan``'s twin nudged; the plan is re-synced on leaving."""
        try:
            with torch.no_grad():
                for slot in plan.params:
                    slot.tensor.data = slot.tensor.data * self._value_factor(slot.tensor.data)
                    slot.tensor.grad = None
            yield
        finally:
            plan.sync(layers)


class _RoundedBackward(torch.autograd.Function):
    """A parameter-free, shape-keeping module whose backward also carries the rounding of
    its own arithmetic: ``grad_in + delta * s * |grad_out|`` (``s`` a random sign).

    Such a module (an activation) computes dL/dz from its saved output, e.g.
    ``g * (1 - y * y)``: the rounding there is about eps * |g| in absolute terms,
    however small the result (a saturated tanh's 1 - y*y is pure rounding).
    A relative nudge of the result would miss that.
    """

    @staticmethod
    def forward(ctx, a, module, delta, signs):  # noqa: D102
        with torch.enable_grad():
            inner = a.detach().requires_grad_(True)
            out = module(inner)
        ctx.inner, ctx.out, ctx.delta = inner, out, delta
        ctx.save_for_backward(signs)
        return out.detach()

    @staticmethod
    def backward(ctx, grad):  # noqa: D102
        (signs,) = ctx.saved_tensors
        (grad_in,) = torch.autograd.grad(ctx.out, ctx.inner, grad)
        return grad_in + ctx.delta * signs * grad.abs(), None, None, None


def _unit_range(a: torch.Tensor):
    """(0, 1) or (-1, 1) when every value lies there (a probability, a tanh), else (None, None)."""
    if a.numel() == 0 or not a.is_floating_point():
        return None, None
    lo, hi = float(a.min()), float(a.max())
    if 0.0 <= lo and hi <= 1.0:
        return 0.0, 1.0
    if -1.0 <= lo and hi <= 1.0:
        return -1.0, 1.0
    return None, None


def array_envelopes(expected: list, runs: list[list], weights=None) -> list[float]:
    """Per compared array: the largest distance of any extra run from the float64 run.

    Parameters
    ----------
    expected : list of np.ndarray | None
        The float64 run's arrays (the first of ``runs`` when the model is float32).
    runs : list of lists of np.ndarray | None
        Each extra run's arrays, aligned with ``expected``.
    weights : list of float, optional
        Each run's distances are multiplied by its weight (1 by default).

    Returns
    -------
    list of float
        The envelope of each array (summed over runs); ``inf`` where a run
        is non-finite where the float64 run is finite (nothing can be said).
    """
    out = []
    for k, ref in enumerate(expected):
        total = 0.0
        for j, run in enumerate(runs):
            weight = 1.0 if weights is None else weights[j]
            other = run[k]
            if ref is None or other is None or other.shape != ref.shape or ref.size == 0:
                continue
            r = ref.astype(np.float64, copy=False)
            o = other.astype(np.float64, copy=False)
            with np.errstate(invalid="ignore", over="ignore"):
                d = np.abs(o - r)
            finite = np.isfinite(r)
            if (~np.isfinite(d) & finite).any():
                total = float("inf")
                break
            if finite.any():
                total += weight * float(d[finite].max())
        out.append(total)
    return out

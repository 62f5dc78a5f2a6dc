"""The hard false-alarm profile: correct models on the data that trips naive tolerances.

Every case is correct code (scratch's own layers); a failure is a false alarm.
Each seed draws one family:

* **scaled**: Linear-ReLU/Tanh MLPs (2-4 layers, widths up to 64) on inputs
  scaled x1e3 or x1e-3;
* **pixels**: CNNs on raw 0..255 integer pixels (Conv2d -> ReLU -> MaxPool2d,
  once or twice, then Flatten -> Linear), the data never normalised;
* **deep**: 10-16-layer Sigmoid/Tanh nets, whose first layers' gradients are
  orders of magnitude below the last ones';
* **wide**: a 2048-wide hidden layer (fan-in 2048 in the next product);
* **saturated**: hidden sigmoids driven to |z| of 5-40 and a final sigmoid
  into BCE with labels exactly 0 and 1 (the final pre-activation is kept
  within +-9 in float32 and +-25 in float64, where 1 - p is still a number
  the dtype can tell from 0).

A third of cases use batch 1. ReLU and MaxPool2d inputs are kept outside the
rounding-error bound of their kinks exactly as in :mod:`compare.cases_conv`
(redraw otherwise), so a case never asks a question float arithmetic cannot
answer.
"""

from __future__ import annotations

import numpy as np

import scratch

from .case import DTYPES, MAX_DRAWS, Case, draw_targets, loss_named
from .cases_conv import forward_with_bounds

FAMILIES = ("scaled", "pixels", "deep", "wide", "saturated")
#: Largest |final pre-activation| of a sigmoid feeding BCE, by dtype (see the docstring).
SATURATED_FINAL = {np.dtype(np.float32): 9.0, np.dtype(np.float64): 25.0}
WIDE = 2048


class HardCase(Case):
    """A :class:`compare.cases.Case` of the hard profile (it replays through :func:`hard_case`)."""

    @property
    def replay(self) -> str:
        """Python that rebuilds and checks this case."""
        return f"compare.cases_hard.hard_case({self.seed}, '{self.dtype.name}').check()"


def hard_case(seed: int, dtype) -> Case:
    """The hard-profile case for ``seed`` in ``dtype`` (float32 or float64).

    Parameters
    ----------
    seed : int
        Replays the same case; ``seed % 5`` picks the family (see module docstring).
    dtype : float32 or float64

    Returns
    -------
    Case
        ``case.check()`` runs :func:`compare.check_model` on it.
    """
    dt = np.dtype(dtype)
    if dt not in DTYPES:
        raise ValueError(f"hard_case: dtype must be float32 or float64, got {dt}")
    rng = np.random.default_rng([int(seed), 13])
    family = FAMILIES[int(seed) % len(FAMILIES)]
    for _ in range(MAX_DRAWS):
        case = _draw(rng, dt, int(seed), family)
        if case is not None:
            return case
    raise RuntimeError(f"hard_case({seed}): no kink-safe {family} case in {MAX_DRAWS} draws")


def hard_cases(n: int, seed: int = 0, dtype="float64"):
    """Hard cases ``seed .. seed + n - 1`` in ``dtype`` (a generator)."""
    for i in range(int(n)):
        yield hard_case(seed + i, dtype)


def _draw(rng, dt, seed, family) -> Case | None:
    batch = 1 if rng.random() < 1 / 3 else int(rng.integers(2, 17))
    layers, x, loss = _BUILDERS[family](rng, dt, batch)
    kinks = [f"hard profile: {family}"]
    out = forward_with_bounds(layers, x, dt, rng, kinks)
    if out is None:
        return None
    if family == "saturated" and not _final_in_range(layers, x, dt):
        return None
    model = scratch.Sequential(*layers)
    y = draw_targets(rng, model, loss, out.shape, dt)
    if family == "saturated":
        y = rng.integers(0, 2, size=out.shape).astype(dt)  # labels exactly 0 and 1
    return HardCase(seed, dt, model, x, y, loss, kinks)


def _dense(rng, dt, n_in, n_out, scale=1.0, bias=None) -> scratch.Linear:
    bias = rng.random() < 0.8 if bias is None else bias
    layer = scratch.Linear(n_in, n_out, bias=bias, rng=rng, dtype=dt)
    if scale != 1.0:
        for v in layer.params.values():
            v *= dt.type(scale)
    return layer


def _end(rng, dt, width, names=("mse", "cross_entropy", "bce_with_logits")):
    """The last Linear and a loss on top of ``width`` features."""
    name = str(rng.choice(list(names)))
    n_out = int(rng.integers(2, 6)) if name == "cross_entropy" else int(rng.integers(1, 4))
    return [_dense(rng, dt, width, n_out)], loss_named(name, rng)


def _scaled(rng, dt, batch):
    widths = [int(rng.integers(2, 65)) for _ in range(int(rng.integers(2, 5)))]
    scale = 1e3 if rng.random() < 0.5 else 1e-3
    x = (rng.normal(size=(batch, widths[0])) * scale).astype(dt)
    act = scratch.ReLU if rng.random() < 0.7 else scratch.Tanh
    layers = []
    for a, b in zip(widths, widths[1:], strict=False):
        layers += [_dense(rng, dt, a, b), act()]
    end, loss = _end(rng, dt, widths[-1])
    return layers + end, x, loss


def _pixels(rng, dt, batch):
    channels, size = int(rng.choice([1, 3])), int(rng.integers(6, 15))
    x = rng.integers(0, 256, size=(batch, channels, size, size)).astype(dt)
    layers = []
    for _ in range(int(rng.integers(1, 3))):
        out = int(rng.integers(2, 9))
        pad = 1 if size < 5 else int(rng.integers(0, 2))  # the image never shrinks below 3
        conv = scratch.Conv2d(channels, out, 3, padding=pad,
                              bias=rng.random() < 0.8, rng=rng, dtype=dt)
        layers += [conv, scratch.ReLU()]
        channels, size = out, conv.output_size(size, size)[0]
        if size >= 4 and rng.random() < 0.7:
            layers.append(scratch.MaxPool2d(2))
            size //= 2
    end, loss = _end(rng, dt, channels * size * size, ("mse", "cross_entropy"))
    return layers + [scratch.Flatten()] + end, x, loss


def _deep(rng, dt, batch):
    depth, width = int(rng.integers(10, 17)), int(rng.integers(2, 17))
    act = scratch.Sigmoid if rng.random() < 0.6 else scratch.Tanh
    x = rng.normal(size=(batch, width)).astype(dt)
    layers = []
    for _ in range(depth - 1):
        layers += [_dense(rng, dt, width, width), act()]
    if rng.random() < 0.4:
        return layers + [_dense(rng, dt, width, 1), scratch.Sigmoid()], x, loss_named("bce", rng)
    end, loss = _end(rng, dt, width)
    return layers + end, x, loss


def _wide(rng, dt, batch):
    n_in = int(rng.choice([3, 64, 512]))
    x = rng.normal(size=(batch, n_in)).astype(dt)
    act = [scratch.Tanh, scratch.Sigmoid, scratch.Identity][int(rng.integers(3))]
    end, loss = _end(rng, dt, WIDE)
    return [_dense(rng, dt, n_in, WIDE), act()] + end, x, loss


def _saturated(rng, dt, batch):
    width = int(rng.integers(2, 9))
    x = rng.normal(size=(batch, width)).astype(dt)
    layers = []
    for _ in range(int(rng.integers(1, 4))):
        layers += [_dense(rng, dt, width, width, scale=float(rng.uniform(5, 25))),
                   scratch.Sigmoid()]
    final = _dense(rng, dt, width, int(rng.integers(1, 4)), scale=float(rng.uniform(2, 10)))
    return layers + [final, scratch.Sigmoid()], x, loss_named("bce", rng)


def _final_in_range(layers, x, dt) -> bool:
    """The sigmoid feeding BCE sees |z| <= SATURATED_FINAL[dt] (checked in float64)."""
    a = x.astype(np.float64)
    for layer in layers[:-1]:
        if isinstance(layer, scratch.Linear):
            a = a @ layer.params["W"].astype(np.float64) + (
                layer.params["b"].astype(np.float64) if "b" in layer.params else 0.0)
        else:
            a = 1.0 / (1.0 + np.exp(-a))
    return bool(np.abs(a).max() <= SATURATED_FINAL[dt])


_BUILDERS = {"scaled": _scaled, "pixels": _pixels, "deep": _deep, "wide": _wide,
             "saturated": _saturated}

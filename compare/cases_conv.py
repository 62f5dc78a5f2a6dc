"""Random convolutional and recurrent cases, drawn by :func:`compare.random_case` for some seeds.

A quarter of all seeds (decided by a separate stream, so the dense cases of
the other seeds are unchanged) build one of:

* **conv nets**: one or two blocks of Conv2d (random channels, square or
  not kernels, stride 1-2, padding 0-2 per axis, with or without bias) ->
  an activation -> maybe a MaxPool2d (overlapping or not), on odd and even
  image sizes; then Flatten -> Linear into a loss, or the conv output itself
  (with Softmax over channels sometimes);
* **recurrent nets**: one or two RNN layers (sequence length 1 or longer)
  -> Flatten -> Linear into a loss, or the sequence itself, maybe through a
  Softmax along a random axis;
* **single layers**: Conv2d, MaxPool2d, Flatten, Softmax or RNN alone.

Kinks are placed and guarded as for the dense cases (see ``compare.cases``):
a conv channel with zero filter and bias feeds ReLU exact zeros, and a
pooling window of such zeros is an exact tie that both sides must break the
same way (first maximum); a bias shift puts one position 1000 rounding-error
bounds from ReLU's kink. The bound is carried through the forward pass (a
conv adds ``(C*kH*kW + 2) * eps * (|W| * |a| + |b|)``, ``*`` the convolution);
a pre-activation within 8 bounds of 0, or a pooling window whose runner-up
is within 8 bounds of its maximum (unless both are exact), makes the case
redraw from the same generator, so a seed always rebuilds the same case.
"""

from __future__ import annotations

import numpy as np

import scratch
from scratch.conv import windows

from .case import KINK_SAFETY, MAX_DRAWS, NEAR_KINK, Case, draw_targets, loss_named, pick_loss

STRUCTURED_SHARE = 0.25
STRUCTURED_STREAM = 5  # second word of the seed that decides the family; any fixed tag will do


def is_structured(seed: int) -> bool:
    """Whether ``random_case(seed)`` builds a conv/recurrent case (a quarter of seeds)."""
    return bool(np.random.default_rng([int(seed), STRUCTURED_STREAM]).random()
                < STRUCTURED_SHARE)


def structured_case(rng: np.random.Generator, dt: np.dtype, seed: int) -> Case:
    """A conv, recurrent or single-layer case from ``rng`` (redrawn until kink-safe)."""
    for _ in range(MAX_DRAWS):
        case = _draw(rng, dt, seed)
        if case is not None:
            return case
    raise RuntimeError(f"random_case({seed}): no kink-safe conv/recurrent case in "
                       f"{MAX_DRAWS} draws")


def _draw(rng, dt, seed) -> Case | None:
    batch = 1 if rng.random() < 0.2 else int(rng.integers(2, 7))
    family = rng.random()
    if family < 0.45:
        layers, x, loss = _conv_net(rng, dt, batch)
    elif family < 0.8:
        layers, x, loss = _recurrent_net(rng, dt, batch)
    else:
        layers, x, loss = _single_layer(rng, dt, batch)
    kinks: list[str] = []
    out = _forward_with_bounds(layers, x, dt, rng, kinks)
    if out is None:
        return None
    model = layers[0] if len(layers) == 1 else scratch.Sequential(*layers)
    y = draw_targets(rng, model, loss, out.shape, dt)
    return Case(seed, dt, model, x, y, loss, kinks)


# -- architectures -----------------------------------------------------------------
def _ints(rng, low, high, size=2) -> tuple[int, ...]:
    return tuple(int(v) for v in rng.integers(low, high, size=size))


def _conv(rng, dt, channels, size):
    """A random Conv2d that fits an image of ``size`` (H, W)."""
    square = rng.random() < 0.5
    kernel = _ints(rng, 1, 4, 1) * 2 if square else _ints(rng, 1, 4)
    stride = _ints(rng, 1, 3) if rng.random() < 0.5 else _ints(rng, 1, 3, 1) * 2
    padding = _ints(rng, 0, 3)
    kernel = tuple(min(k, s + 2 * p) for k, s, p in zip(kernel, size, padding, strict=True))
    layer = scratch.Conv2d(channels, int(rng.integers(1, 5)), kernel, stride, padding,
                           bias=rng.random() < 0.8, rng=rng, dtype=dt)
    layer.params["W"] *= dt.type(10 ** rng.uniform(-0.3, 0.3))
    return layer


def _pool(rng, size):
    kernel = tuple(min(int(k), s) for k, s in zip(rng.integers(1, 4, size=2), size, strict=True))
    stride = None if rng.random() < 0.5 else _ints(rng, 1, 4)
    return scratch.MaxPool2d(kernel, stride)


def _conv_net(rng, dt, batch):
    channels, size = int(rng.integers(1, 4)), _ints(rng, 3, 11)
    x = (rng.normal(size=(batch, channels, *size)) * 10 ** rng.uniform(-0.5, 0.5)).astype(dt)
    layers = []
    for _ in range(int(rng.integers(1, 3))):
        conv = _conv(rng, dt, channels, size)
        layers.append(conv)
        channels, size = conv.out_channels, conv.output_size(*size)
        act = rng.choice(5, p=[0.45, 0.2, 0.1, 0.1, 0.15])
        if act < 4:
            layers.append([scratch.ReLU, scratch.Tanh, scratch.Sigmoid, scratch.Identity][act]())
        if rng.random() < 0.6:
            pool = _pool(rng, size)
            layers.append(pool)
            size = tuple((s - k) // st + 1 for s, k, st in
                         zip(size, pool.kernel_size, pool.stride, strict=True))
    ending = rng.random()
    if ending < 0.65:
        loss = pick_loss(rng, allow_bce=False)
        n_out = int(rng.integers(2, 6)) if loss == "cross_entropy" else int(rng.integers(1, 4))
        layers += [scratch.Flatten(),
                   scratch.Linear(channels * size[0] * size[1], n_out, rng=rng, dtype=dt)]
        return layers, x, loss_named(loss, rng)
    if ending < 0.8:
        layers.append(scratch.Softmax(1))
    return layers, x, loss_named("mse" if rng.random() < 0.6 else None, rng)


def _recurrent_net(rng, dt, batch):
    n_in, steps = int(rng.integers(1, 5)), 1 if rng.random() < 0.3 else int(rng.integers(2, 8))
    x = (rng.normal(size=(batch, steps, n_in)) * 10 ** rng.uniform(-0.5, 0.3)).astype(dt)
    hidden = int(rng.integers(1, 6))
    layers = [scratch.RNN(n_in, hidden, rng=rng, dtype=dt)]
    if rng.random() < 0.3:
        if rng.random() < 0.5:
            layers.append(scratch.Tanh() if rng.random() < 0.5 else scratch.Identity())
        layers.append(scratch.RNN(hidden, int(rng.integers(1, 5)), rng=rng, dtype=dt))
        hidden = layers[-1].hidden_size
    ending = rng.random()
    if ending < 0.55:
        loss = pick_loss(rng, allow_bce=False)
        n_out = int(rng.integers(2, 6)) if loss == "cross_entropy" else int(rng.integers(1, 4))
        layers += [scratch.Flatten(), scratch.Linear(steps * hidden, n_out, rng=rng, dtype=dt)]
        return layers, x, loss_named(loss, rng)
    if ending < 0.8:
        layers.append(scratch.Softmax(int(rng.choice([-1, 1, 2]))))
    return layers, x, loss_named("mse" if rng.random() < 0.6 else None, rng)


def _single_layer(rng, dt, batch):
    pick = int(rng.integers(5))
    loss = loss_named("mse" if rng.random() < 0.6 else None, rng)
    if pick == 4:
        layers, x, _ = _recurrent_net(rng, dt, batch)
        return layers[:1], x, loss
    channels, size = int(rng.integers(1, 4)), _ints(rng, 2, 9)
    x = rng.normal(size=(batch, channels, *size)).astype(dt)
    layer = [lambda: _conv(rng, dt, channels, size), lambda: _pool(rng, size), scratch.Flatten,
             lambda: scratch.Softmax(int(rng.integers(-4, 4)))][pick]()
    return [layer], x, loss


# -- kinks and rounding-error bounds ---------------------------------------------------
def forward_with_bounds(layers, x, dt, rng, kinks) -> np.ndarray | None:
    """Run ``layers`` on ``x`` with kinks placed and rounding bounds carried.

    Returns the output, or None when a ReLU input or a pooling runner-up is
    within rounding of its kink (the case must be redrawn). See
    :func:`_forward_with_bounds`.
    """
    return _forward_with_bounds(layers, x, dt, rng, kinks)


def _forward_with_bounds(layers, x, dt, rng, kinks) -> np.ndarray | None:
    """Place kinks, run forward carrying a bound on |scratch - torch|; None if too close.

    ``err`` is the elementwise bound, or None once an RNN has been passed.
    """
    eps = float(np.finfo(dt).eps)
    a, err = x, np.zeros(x.shape)
    for k, layer in enumerate(layers):
        nxt = layers[k + 1] if k + 1 < len(layers) else None
        if err is None:  # past an RNN: no bound is kept, so nothing kinked may follow
            if isinstance(layer, scratch.ReLU | scratch.MaxPool2d):
                return None
            a = layer.forward(a)
            continue
        if isinstance(layer, scratch.Conv2d):
            if isinstance(nxt, scratch.ReLU):
                _conv_kink(layer, a, err, eps, rng, kinks, f"layer {k + 1} ({nxt.describe()})")
            out, err_z = layer.forward(a), _conv_bound(layer, a, err, eps)
            if isinstance(nxt, scratch.ReLU) and _too_close(out, err_z):
                return None
            a, err = out, err_z
            continue
        out = layer.forward(a)
        if isinstance(layer, scratch.Linear):
            w = np.abs(layer.params["W"].astype(np.float64))
            b = np.abs(layer.params["b"].astype(np.float64)) if "b" in layer.params else 0.0
            err = err @ w + (w.shape[0] + 2) * eps * (np.abs(a.astype(np.float64)) @ w + b)
        elif isinstance(layer, scratch.ReLU):
            err = np.where(a > 0, err, 0.0)  # safely negative inputs give exact zeros
        elif isinstance(layer, scratch.MaxPool2d):
            err = _pool_bound(layer, a, err, k, kinks)
            if err is None:
                return None
        elif isinstance(layer, scratch.Sigmoid):
            err = 0.25 * err + eps
        elif isinstance(layer, scratch.Tanh):
            err = err + eps
        elif isinstance(layer, scratch.Softmax):  # row sums of |Jacobian| are <= 1/2
            err = np.broadcast_to(0.5 * np.max(err, axis=layer.axis, keepdims=True) + 4 * eps,
                                  out.shape)
        elif isinstance(layer, scratch.Flatten):
            err = err.reshape(out.shape)
        elif isinstance(layer, scratch.RNN):
            err = None  # smooth, and the generators place no kink or pool after it
        a = out
    return a


def _abs_conv(layer: scratch.Conv2d, bias: bool) -> scratch.Conv2d:
    """A float64 copy of ``layer`` with |W| (and |b|): convolving with it bounds sums of terms."""
    copy = scratch.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride,
                          layer.padding, bias=bias and layer.bias, rng=0)
    copy.params["W"] = np.abs(layer.params["W"].astype(np.float64))
    if bias and layer.bias:
        copy.params["b"] = np.abs(layer.params["b"].astype(np.float64))
    return copy


def _conv_bound(layer, a, err, eps) -> np.ndarray:
    """Bound on |scratch - torch| of the conv output: rounding of each sum plus carried error."""
    fan_in = layer.in_channels * layer.kernel_size[0] * layer.kernel_size[1]
    magnitude = _abs_conv(layer, bias=True).forward(np.abs(a.astype(np.float64)))
    carried = _abs_conv(layer, bias=False).forward(err) if err.any() else 0.0
    return carried + (fan_in + 2) * eps * magnitude


def _too_close(z, err) -> bool:
    """Within KINK_SAFETY bounds of 0 anywhere, except exact zeros known exact (bound 0)."""
    return bool(((np.abs(z) <= KINK_SAFETY * err) & ~((z == 0) & (err == 0))).any())


def _conv_kink(layer, a, err, eps, rng, kinks, where) -> None:
    """Maybe zero one output channel exactly, or move one position of one channel next to 0."""
    r, channel = rng.random(), int(rng.integers(layer.out_channels))
    if r < 0.25:
        layer.params["W"][channel] = 0
        if layer.bias:
            layer.params["b"][channel] = 0
        kinks.append(f"exact 0 channel {channel} into {where}")
    elif r < 0.5 and layer.bias:
        z_all = layer.forward(a).astype(np.float64)
        n, h, w = (int(rng.integers(d)) for d in (z_all.shape[0], *z_all.shape[2:]))
        z = z_all[n, channel, h, w]
        bound = _conv_bound(layer, a, err, eps)[n, channel, h, w] + 2 * eps * abs(z)
        target = (1 if rng.random() < 0.5 else -1) * NEAR_KINK * bound
        b = layer.params["b"]
        b[channel] = b.dtype.type(float(b[channel]) + (target - z))
        kinks.append(f"sample {n} position ({h}, {w}) of channel {channel} set {target:+.1e} "
                     f"from the kink of {where}")


def _pool_bound(layer, a, err, k, kinks) -> np.ndarray | None:
    """The pooled bound, or None if some window's runner-up is too close to call.

    Exact ties (equal values, both with bound 0) are fine: both sides pick the
    first maximum. They are counted into ``kinks``.
    """
    kernel, stride = layer.kernel_size, layer.stride
    vals = windows(a.astype(np.float64), kernel, stride)
    vals = vals.reshape(*vals.shape[:4], -1)
    errs = windows(err, kernel, stride)
    errs = errs.reshape(*errs.shape[:4], -1)
    first = np.argmax(vals, axis=-1)[..., None]
    best = np.take_along_axis(vals, first, axis=-1)
    best_err = np.take_along_axis(errs, first, axis=-1)
    gap = best - vals
    exact = (gap == 0) & (errs == 0) & (best_err == 0)
    chosen = np.arange(vals.shape[-1]) == first
    if ((gap <= KINK_SAFETY * (errs + best_err)) & ~exact & ~chosen).any():
        return None
    ties = int((exact & ~chosen).any(axis=-1).sum())
    if ties:
        kinks.append(f"{ties} pooling window(s) of layer {k} ({layer.describe()}) tie exactly")
    return best_err[..., 0]

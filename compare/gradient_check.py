"""``gradcheck``: backprop against central finite differences, a witness that needs no torch twin.

For every element ``a[i]`` of the input and of each parameter,
``dL/da[i] ~ (L(a[i] + eps) - L(a[i] - eps)) / (2 eps)`` where ``L`` is the
loss (or ``sum(upstream * output)`` for a random upstream). Only the input's
and the parameters' gradients are seen this way, not intermediate ones.

A step that crosses a kink (ReLU or Step input within ``eps`` of 0) makes the
*numerical* gradient wrong; keep such inputs away from 0 when using this.
"""

from __future__ import annotations

import numpy as np

from scratch._args import check_positive_number
from scratch.errors import ArgumentError

from .access import describe_layer, param_access
from .diff import compare_many
from .inputs import validate_input
from .objective import resolve_loss
from .plan import layers_of
from .recording import Recording
from .report import INPUT_GRAD, PARAM_GRAD, Entry, Report
from .tolerances import FD_EPS, FINITE_DIFFERENCE, as_numpy_dtype, tolerance_for
from .upstream import upstream_array
from .user_model import named_sublayers


def gradcheck(model, x, y=None, loss=None, *, eps: float | None = None, rtol=None, atol=None,
              seed=None, upstream="random", params=None, grads=None) -> Report:
    """Compare ``model``'s backprop gradients with central finite differences.

    Parameters
    ----------
    model : scratch.Sequential, scratch.Net, a scratch layer, or any layer with
        ``forward(x)`` / ``backward(grad_out) -> dL/dx`` (parameters found as
        in :func:`compare.check_layer`, or named by ``params``/``grads``).
    x : np.ndarray, (batch, ...) float
    y, loss : as in :func:`compare.check_model` (``scratch.Net`` takes labels
        as ``y`` and no loss). Without a loss, ``L = sum(upstream * output)``.
    eps : float, optional
        Step; default 1e-6 in float64, 1e-2 in float32 (see ``compare.tolerances``).
    rtol, atol : float, optional
        Both or neither; default the dtype's finite-difference row.
    seed : int, optional
        Seed of the random upstream (None means 0).
    upstream : "random", "ones" or an array shaped like the output (no loss only).

    Returns
    -------
    Report
        dL/d(param) for each parameter and dL/dx, backprop ("backprop") against
        finite differences ("finite differences").
    """
    __tracebackhide__ = True
    x = np.array(validate_input(x, "gradcheck"))  # a copy: perturbed in place below
    dtype = as_numpy_dtype(x.dtype)
    eps = FD_EPS.get(dtype, 1e-6) if eps is None else check_positive_number("gradcheck", "eps", eps)
    tol = tolerance_for(dtype, FINITE_DIFFERENCE, rtol, atol)
    seed = 0 if seed is None else int(seed)
    kind, layers, prefixes = layers_of(model)
    if not layers:  # an empty Sequential: no gradient exists to compare
        raise ArgumentError(f"gradcheck: {model!r} has no layers, so there is nothing to check")
    named, owner = _parameters(model, kind, layers, prefixes, params, grads)
    scalar = _objective(model, kind, x, y, loss, upstream, seed)

    # Backprop once, with every layer tapped so dL/dx is seen even inside Net.
    rec = Recording(layers, prefixes)
    with rec.tapped():
        scalar(backprop=True)
    analytic = {name: np.array(get_grad(), copy=True) for name, (_, get_grad) in named.items()}
    dx = rec.grad_ins[0]

    pairs, fields = [], []
    for name, (get_param, _) in named.items():
        pairs.append((analytic[name], _numerical(scalar, get_param(), eps), tol))
        fields.append((f"dL/d{name.rsplit('.', 1)[-1]}", PARAM_GRAD, owner[name], name))
    pairs.append((dx, _numerical(scalar, x, eps), tol))
    fields.append(("dL/dinput", INPUT_GRAD, 0, None))
    descs = [f"{p[:-1]} {describe_layer(layer)}" if kind == "net" else describe_layer(layer)
             for layer, p in zip(layers, prefixes, strict=True)]
    entries = [Entry(label, k, i, descs[i], diff, param=p)
               for (label, k, i, p), diff in zip(fields, compare_many(pairs), strict=True)]
    entries.sort(key=lambda e: -e.layer)  # reading order: from the loss back
    return Report(f"gradcheck: {_title(model, kind, descs)}", entries, dtype=dtype, seed=seed,
                  actual_name="backprop", expected_name="finite differences",
                  tolerances={"gradient": tol}, partial_backward=True,
                  notes=[f"central differences with eps={eps:g}; intermediate gradients are "
                         "not checked by this witness",
                         "checked: " + ", ".join(["dL/dinput"] + [f"dL/d{n}" for n in named])])


def _parameters(model, kind, layers, prefixes, params, grads):
    """{full name: (read param, read grad)} and {full name: layer index}."""
    named, owner = {}, {}
    sub = named_sublayers(model) if kind == "layer" and params is None else None
    if sub is not None:
        # a user's own container: its own parameters, then its layers' as "<where>.<name>"
        for prefix, layer in [("", model), *sub]:
            access = param_access(layer)
            for n in access.names:
                named[prefix + n] = (lambda a=access, n=n: a.params()[n],
                                     lambda a=access, n=n: a.grads()[n])
                owner[prefix + n] = 0
        return named, owner
    for i, (layer, prefix) in enumerate(zip(layers, prefixes, strict=True)):
        access = param_access(layer, params, grads) if kind == "layer" else \
            param_access(layer)
        for n in access.names:
            named[prefix + n] = (lambda a=access, n=n: a.params()[n],
                                 lambda a=access, n=n: a.grads()[n])
            owner[prefix + n] = i
    return named, owner


def _objective(model, kind, x, y, loss, upstream, seed):
    """``scalar(backprop=False) -> float``: L at the current arrays; optionally backprop too."""
    # gradcheck's upstream defaults to "random": it only counts where no loss drives the run
    loss, upstream = resolve_loss("gradcheck", kind, loss, y,
                                  upstream if loss is None and kind != "net" else None)
    if kind == "net":
        from scratch import BCELoss
        bce = BCELoss(reduction="sum")  # what Net.backward(label) differentiates

        def scalar(backprop=False):
            pred = model.predict(x)
            target = np.empty_like(pred)
            target[:, 0] = np.asarray(y)
            value = bce.forward(pred, target)
            if backprop:
                model.backward(y)
            return value
        return scalar
    if loss is None:
        out = model.forward(x)
        g = upstream_array(upstream, out.shape, out.dtype, seed)

        def scalar(backprop=False):
            value = float(np.sum(g * model.forward(x), dtype=np.float64))
            if backprop:
                model.backward(g)
            return value
        return scalar

    def scalar(backprop=False):
        value = loss.forward(model.forward(x), y)
        if backprop:
            model.backward(loss.backward())
        return value
    return scalar


def _numerical(scalar, a: np.ndarray, eps: float) -> np.ndarray:
    """dL/da by central differences, perturbing ``a`` in place and restoring it exactly."""
    grad = np.empty(a.shape, dtype=a.dtype)
    for i in np.ndindex(a.shape):
        old = a[i]
        a[i] = old + eps
        high, plus = float(a[i]), scalar()
        a[i] = old - eps
        low, minus = float(a[i]), scalar()
        a[i] = old
        if high == low:  # eps below the float spacing at a[i]: no step was taken at all
            raise ArgumentError(f"gradcheck: eps={eps:g} is too small to change {old!r} "
                                f"in {a.dtype}; use eps >= {float(np.spacing(abs(old))):g}")
        # Divide by the step actually taken: in float32, old +- eps is rounded.
        grad[i] = (plus - minus) / (high - low)
    return grad


def _title(model, kind, descs) -> str:
    if kind == "net":
        return f"Net({', '.join(descs)})"
    return descs[0] if kind == "layer" else f"Sequential({', '.join(descs)})"

"""``check_model`` on a user's own model: an object with ``forward``/``backward`` and its layers.

The layers are found as a list or tuple attribute of objects with
``forward``/``backward`` (``self.layers = [...]``), or by iterating the model.
Each layer's torch twin is the function registered for its class with
``torch_ref.register_reference(LayerClass, lambda x, W, b: ...)``; the
twins are chained in torch, and every layer's output, parameter gradients
and dL/dinput are compared, as for a scratch model. The user's model runs
through its own ``forward``/``backward``; each layer's methods are tapped on
the instance for the duration of the check to see the intermediate arrays.
"""

from __future__ import annotations

import inspect
from contextlib import contextmanager

import numpy as np
import torch

import torch_ref
from torch_ref import reference_for

from .access import describe_layer, param_access
from .conventions import Driver, is_scratch_layer
from .diff import compare_arrays, error_diff
from .report import FORWARD, INPUT_GRAD, LOSS, PARAM_GRAD, CheckContext, Entry, Report
from .run_notes import poison_notes
from .tolerances import FORWARD as FWD_ROW
from .tolerances import GRADIENT, tolerance_for
from .upstream import upstream_array


def _is_layer(obj) -> bool:
    return callable(getattr(obj, "forward", None)) and callable(getattr(obj, "backward", None))


def user_layers(model) -> list | None:
    """The layers of a user's own model, in order; None for scratch objects or when none is found.

    A layer whose class has a registered reference counts as a one-layer model.
    """
    if is_scratch_layer(model):
        return None
    if reference_for(model) is not None:
        return [model]
    for value in getattr(model, "__dict__", {}).values():
        if isinstance(value, list | tuple) and value and all(_is_layer(v) for v in value):
            return list(value)
    if hasattr(model, "__iter__") and not isinstance(model, np.ndarray | str | dict):
        try:
            items = list(iter(model))
        except Exception:  # noqa: BLE001 (not iterable after all)
            return None
        if items and all(_is_layer(v) for v in items):
            return items
    return None


def named_sublayers(model) -> list[tuple[str, object]] | None:
    """(prefix, layer) for every layer of a user's container, for gradcheck.

    Layers in a list attribute or reached by iteration are named by position
    (``"0."``); layers held in their own attributes (``self.fc1``) by that name
    (``"fc1."``). None for scratch objects and for a model with no sub-layers.
    """
    if is_scratch_layer(model):
        return None
    listed = user_layers(model)
    if listed is not None and listed != [model]:
        return [(f"{i}.", layer) for i, layer in enumerate(listed)]
    attrs = [(f"{n}.", v) for n, v in getattr(model, "__dict__", {}).items()
             if v is not model and _is_layer(v)]
    return attrs or None


def missing_twin_error(i: int, layer, alone: bool = False) -> TypeError:
    """The error for a layer class with no registered reference: what to register, and how."""
    name = type(layer).__name__
    try:
        params = param_access(layer).names
    except (AttributeError, TypeError, ValueError):
        params = []
    args = ", ".join(["x", *params])
    return TypeError(f"check_model: layer {i} ({name}) has no torch twin. Register one, once, "
                     f"with its maths in torch: torch_ref.register_reference({name}, "
                     f"lambda {args}: ...)  (parameters as the layer names them: "
                     f"{params or 'none found'})"
                     + ("; or give check_layer the reference itself: check_layer(layer, "
                        f"lambda {args}: ..., x)" if alone else ""))


@contextmanager
def _tapped(layers: list, seen: dict):
    """Record each layer's forward input/output and backward result, on the instances."""
    saved = [{a: vars(layer)[a] for a in ("forward", "backward") if a in vars(layer)}
             for layer in layers]
    for i, layer in enumerate(layers):
        fwd, bwd = layer.forward, layer.backward

        def forward(*args, _i=i, _f=fwd, **kw):
            out = _f(*args, **kw)
            seen["out"][_i] = np.array(out, copy=True) if isinstance(out, np.ndarray) else out
            return out

        def backward(*args, _i=i, _b=bwd, **kw):
            dx = _b(*args, **kw)
            seen["dx"][_i] = np.array(dx, copy=True) if isinstance(dx, np.ndarray) else dx
            return dx
        layer.forward, layer.backward = forward, backward
    try:
        yield
    finally:
        for layer, own in zip(layers, saved, strict=True):
            for attr in ("forward", "backward"):
                vars(layer).pop(attr, None)
            vars(layer).update(own)


def _call_twin(ref, h, params: dict, layer, i: int):
    try:
        sig = inspect.signature(ref).parameters
    except (TypeError, ValueError):
        sig = {}
    extra = {"layer": layer} if "layer" in sig else {}
    by_keyword = bool(params) and all(n in sig for n in params)
    try:
        out = ref(h, **params, **extra) if by_keyword else ref(h, *params.values(), **extra)
    except Exception as err:
        raise TypeError(f"check_model: the reference registered for layer {i} "
                        f"({type(layer).__name__}) raised {type(err).__name__}: {err} (called "
                        f"with x and parameters {list(params)})") from err
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"check_model: the reference registered for {type(layer).__name__} "
                        f"must return a torch.Tensor, got {type(out).__name__}")
    return out


def _torch_chain(layers, refs, accesses, x, upstream, seed, loss=None, y=None):
    """Run the registered twins in a chain, then the loss's twin if any.

    Returns (outputs, input tensors, param tensors, dL/d(model output), loss value or None).
    """
    h = torch_ref.as_tensor_safe(x).requires_grad_(True)
    inputs, outputs, p_ts = [], [], []
    for i, (layer, ref, access) in enumerate(zip(layers, refs, accesses, strict=True)):
        p_t = {n: torch.as_tensor(p).requires_grad_(True) for n, p in access.params().items()}
        if h.grad_fn is not None:
            h.retain_grad()
        inputs.append(h)
        h = _call_twin(ref, h, p_t, layer, i)
        outputs.append(h)
        p_ts.append(p_t)
    if loss is None:
        g = upstream_array(upstream, tuple(h.shape), x.dtype, seed)
        h.backward(torch_ref.as_tensor_safe(g).to(h.dtype))
        return outputs, inputs, p_ts, g, None
    h.retain_grad()
    value = torch_ref.loss_to_torch(loss)(h, torch_ref.target_to_torch(loss, y))
    value.backward()
    return outputs, inputs, p_ts, h.grad.numpy(), value.detach()


def is_user_model(model) -> bool:
    """Whether ``check_model`` should treat ``model`` as a user's own (not scratch) model."""
    return not is_scratch_layer(model) and callable(getattr(model, "forward", None))


def check_user_model(model, x, y=None, loss=None, *, upstream=None, seed=None, rtol=None, atol=None,
                     grad_rtol=None, grad_atol=None) -> Report:
    """Check a user's own model layer by layer against the registered torch twins.

    Parameters
    ----------
    model : object with ``forward(x) -> out`` and ``backward(dout)``, its layers
        reachable (see :func:`user_layers`), each layer's class registered with
        ``torch_ref.register_reference``.
    x : np.ndarray, (batch, ...) float
    y, loss : optional, both or neither
        A loss name ("bce", "mse", "cross_entropy"...) or scratch loss object and
        its targets, as in :func:`compare.check_model`: the loss is scratch's,
        judged against its torch twin, and its dL/dpred goes into
        ``model.backward``. Neither: ``upstream`` is backpropagated.
    upstream : None, "random", "ones" or np.ndarray shaped like the output
    seed, rtol, atol, grad_rtol, grad_atol : as in :func:`compare.check_model`

    Returns
    -------
    Report
        Every layer's output, then from the top layer down each parameter
        gradient (``param`` ``"<layer>.<name>"``) and dL/dinput.
    """
    __tracebackhide__ = True
    if (y is None) != (loss is None):
        raise ValueError("check_model: give both y and loss (a loss name or scratch loss "
                         "object), or neither (then an upstream gradient is used)")
    if isinstance(loss, str):
        loss = torch_ref.loss_by_name(loss)
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(f"check_model: x must be a floating-point numpy array, got "
                        f"{type(x).__name__}")
    layers = user_layers(model)
    if layers is None and _is_layer(model) and not named_sublayers(model):
        raise missing_twin_error(0, model, alone=True)
    if layers is None:
        raise TypeError(f"check_model: {type(model).__name__} is not a scratch model, and no "
                        "layers were found on it: give it a list (or tuple) attribute of "
                        "layers with forward/backward, make it iterable over its layers, or "
                        "register its own torch twin with torch_ref.register_reference")
    refs = [reference_for(layer) for layer in layers]
    for i, (layer, ref) in enumerate(zip(layers, refs, strict=True)):
        if ref is None:
            raise missing_twin_error(i, layer)
    seed = 0 if seed is None else int(seed)
    accesses = [param_access(layer) for layer in layers]
    fwd_tol = tolerance_for(x.dtype, FWD_ROW, rtol, atol)
    grad_tol = tolerance_for(x.dtype, GRADIENT, grad_rtol, grad_atol)
    outs_t, ins_t, p_ts, g, loss_t = _torch_chain(
        layers, refs, accesses, x, "random" if upstream is None else upstream, seed, loss, y)
    descs = [describe_layer(layer) for layer in layers]
    seen: dict = {"out": {}, "dx": {}}

    def backward(out) -> list:
        if loss is not None:
            return _loss_entries(model, out, loss, y, loss_t, g, len(layers), fwd_tol, grad_tol)
        model.backward(g.copy())
        return []

    entries = _run_model(model, layers, accesses, descs, x, seen, backward)
    entries = _entries(seen, outs_t, ins_t, p_ts, accesses, descs, fwd_tol, grad_tol) + entries
    entries.sort(key=lambda e: (e.kind != FORWARD, not e.is_loss))  # forward, loss, backward
    checked = [e.label if e.param is None else f"dL/d{e.param}" for e in entries
               if e.kind == PARAM_GRAD]
    report = Report(f"check_model: {type(model).__name__}({', '.join(descs)})", entries,
                    dtype=x.dtype, seed=seed, actual_name="model", expected_name="torch",
                    tolerances={"forward": fwd_tol, "gradient": grad_tol}, upstream_given=True,
                    notes=[f"{len(layers)} layers found on {type(model).__name__}; twins "
                           "registered with torch_ref.register_reference; parameters checked: "
                           + (", ".join(checked) or "none (no layer has parameters)"),
                           *poison_notes(entries)],
                    context=CheckContext(x=x, layers=layers, upstream=g))
    return report


def _run_model(model, layers, accesses, descs, x, seen: dict, backward) -> list:
    """The user's model forward on ``x``, then ``backward(out)``, every layer tapped.

    Returns ERROR entries for code that raised, and the loss entries if any.
    """
    drivers = [Driver(layer) for layer in layers]
    with _tapped(layers, seen):
        for d in drivers:
            d.before_forward()
        try:
            out = model.forward(x)
        except Exception as err:  # the code under test raised: that is the finding
            return [Entry("output", FORWARD, 0, descs[0], error_diff(err, "forward"))]
        for d, a in zip(drivers, accesses, strict=True):
            d.zero_fill(a.grads())
        try:
            with np.errstate(invalid="ignore"):  # NaN-filled buffers: see check_model
                return backward(out)
        except Exception as err:
            return [Entry("dL/dinput", INPUT_GRAD, len(layers) - 1, descs[-1],
                          error_diff(err, "backward"))]


def _loss_entries(model, out, loss, y, loss_t, dpred_t, at: int, fwd_tol, grad_tol) -> list:
    """Run the scratch loss on the model's output ``out`` and backward through the model."""
    value = loss.forward(out, y)
    dpred = loss.backward()
    model.backward(dpred)
    desc = repr(loss)
    return [Entry("loss", LOSS, at, desc, compare_arrays(
                np.asarray(value, dtype=dpred.dtype), loss_t, rtol=fwd_tol.rtol,
                atol=fwd_tol.atol), is_loss=True),
            Entry("dL/dpred", INPUT_GRAD, at, desc, compare_arrays(
                dpred, dpred_t, rtol=grad_tol.rtol, atol=grad_tol.atol), is_loss=True)]


def _entries(seen, outs_t, ins_t, p_ts, accesses, descs, fwd_tol, grad_tol) -> list:
    """Forward outputs bottom-up, then each layer's gradients from the top layer down."""
    def close(a, b, tol):
        return compare_arrays(a, b, rtol=tol.rtol, atol=tol.atol)

    entries = []
    for i in range(len(descs)):
        entries.append(Entry("output", FORWARD, i, descs[i], close(seen["out"].get(i),
                                                                   outs_t[i], fwd_tol)))
        if i not in seen["out"]:
            entries[-1].diff.message = f"model.forward never called layer {i}'s forward"
    if len(seen["out"]) != len(descs):
        return entries  # forward failed or skipped a layer: the gradients mean nothing
    for i in reversed(range(len(descs))):
        for n, grad in accesses[i].grads().items():
            entries.append(Entry(f"dL/d{n}", PARAM_GRAD, i, descs[i],
                                 close(grad, p_ts[i][n].grad, grad_tol), param=f"{i}.{n}"))
        entries.append(Entry("dL/dinput", INPUT_GRAD, i, descs[i],
                             close(seen["dx"].get(i), ins_t[i].grad, grad_tol)))
        if i not in seen["dx"]:
            entries[-1].diff.message = f"model.backward never called layer {i}'s backward"
    return entries

"""``check_model``: a scratch model and its torch twin on the same data, stage by stage.

Scratch runs through its own code paths (``Sequential.forward``/``backward``,
a loss's ``forward``/``backward``, ``Net.predict``/``Net.backward(label)``);
each layer's ``forward``/``backward`` is tapped on the instance for the
duration of the check, so every intermediate output and gradient is seen
without re-implementing the container. Torch runs the twin module by
module, keeping every intermediate's ``.grad``.

Backward runs twice on the scratch side and the second run is judged: a
layer that accumulates instead of overwriting, or that changes its cache or
the caller's gradient in place, fails where a single run would pass.
"""

from __future__ import annotations

import numpy as np

import torch_ref
from scratch.errors import DTypeError

from . import probes
from .diff import compare_many, error_diff
from .inputs import validate_input, validate_params, validate_targets
from .objective import resolve_objective
from .plan import layers_of, plan_for, torch_dtype
from .recording import Recording
from .report import FORWARD, INPUT_GRAD, LOSS, PARAM_GRAD, CheckContext, Entry, Report
from .run_notes import poison_notes, second_run_notes
from .tolerances import (
    TOLERANCES,
    ScaledTolerance,
)
from .upstream import UpstreamError, upstream_array

NET_LOSS_DESC = "summed BCE of Net.backward"

#: Measure every array's rounding envelope even when its own-scale floor already passes it
#: (``twinnet false-alarms`` sets this to report each case's ratio under the whole policy;
#: a check's verdict is the same either way, as the envelope only ever adds to the floor).
ENVELOPE_ALWAYS = False


def check_model(model, x, y=None, loss=None, *, dtype=None, rtol=None, atol=None,
                grad_rtol=None, grad_atol=None, seed=None, upstream=None, twin=None,
                backward_twice: bool = False, replay: str | None = None,
                forward_twice: bool = True, probe_extremes: bool = True,
                probe_kinks: bool = True, rerun_float64: bool = False) -> Report:
    """Run ``model`` and its torch twin on ``x`` (and ``y``); judge every number.

    Parameters
    ----------
    model : scratch.Sequential, scratch.Net, or any single scratch layer
    x : np.ndarray, (batch, in_features), the model's dtype
    y : targets
        (batch, out) floats for "bce"/"bce_with_logits"/"mse"; (batch,) integer
        labels for "cross_entropy"; for ``scratch.Net`` the label(s) given to
        ``Net.backward(label)`` (0/1 scalar or (batch,)).
    loss : scratch loss object, or "bce", "bce_with_logits", "mse", "cross_entropy"
        A name means that loss with reduction "mean". Not used with
        ``scratch.Net``, whose ``backward(label)`` takes the summed BCE itself.
        None without ``y``: backpropagate ``upstream`` instead.
    dtype : float32 or float64, optional
        The dtype the twin computes in; default the model's. A wider dtype than
        the model's judges scratch against a more exact reference (the input
        and targets are converted for torch only; tolerances are the narrower
        dtype's).
    rtol, atol : float, optional
        Tolerance for outputs and the loss (both or neither; default by dtype,
        see :data:`compare.TOLERANCES`).
    grad_rtol, grad_atol : float, optional
        Tolerance for every gradient (both or neither).
    seed : int, optional
        Seed of the random upstream (None means 0); recorded in the report
        when given, or when a random upstream was used.
    upstream : None, "random", "ones", or np.ndarray shaped like the output
        dL/d(output) when there is no loss ("random" by default then).
    twin : torch.nn.Module, optional
        A twin built by ``torch_ref.to_torch(model)`` to reuse; its weights are
        overwritten with the model's first. By default a twin is built once per
        model and reused while the model's layers and shapes stay the same.
    backward_twice : bool
        Run scratch's backward a second time and judge that run (one more
        scratch backward). Off by default: gradient buffers are always
        NaN-filled before backward, which exposes a backward that accumulates
        (``+=``) or never writes; in-place writes are caught without it.
    replay : str, optional
        Python that reruns this check, printed in the report.
    rerun_float64 : bool
        When a float32 check fails, run it again on a float64 copy of the model
        and let the diagnosis say whether the failure is float32 rounding
        (``report.float64_report`` keeps the re-run).
    forward_twice : bool
        Run scratch's forward once on a decoy input (the first 8 samples of ``x``,
        reordered) before the judged run, so a layer that caches its first input fails.
    probe_extremes : bool
        Also judge the loss at extreme predictions (saturated probabilities,
        huge logits) against its torch twin; see :mod:`compare.probes`.
    probe_kinks : bool
        Check again with one output unit (channel) of every ``scratch.Linear``
        (``Conv2d``) that feeds a kinked parameter-free layer zeroed (weights
        restored after), so ReLU/Step see exact zeros and MaxPool2d ties; those
        entries' layer reads "[exact-0 units]".
        Probe entries are added only when the judged run itself passes.

    Returns
    -------
    Report
        Forward output of every layer, the loss, dL/dpred, and from the last
        layer down: each parameter gradient and dL/dinput.
    """
    __tracebackhide__ = True
    from .user_model import check_user_model, is_user_model
    if is_user_model(model):  # a user's own model class: see compare.user_model
        return check_user_model(model, x, y, loss, upstream=upstream, seed=seed, rtol=rtol,
                                atol=atol, grad_rtol=grad_rtol, grad_atol=grad_atol)
    args = dict(dtype=dtype, rtol=rtol, atol=atol, grad_rtol=grad_rtol, grad_atol=grad_atol,
                seed=seed, upstream=upstream, twin=twin, backward_twice=backward_twice,
                replay=replay, rerun_float64=rerun_float64)
    if probe_kinks:
        return _with_unit_probe(model, x, y, loss, forward_twice, probe_extremes, args)
    return _judge_model(model, x, y, loss, forward_twice=forward_twice,
                        probe_extremes=probe_extremes, **args)


def _with_unit_probe(model, x, y, loss, forward_twice: bool, probe_extremes: bool,
                     args: dict) -> Report:
    """check_model, plus the run with exact-0 units before kinked layers when it passes."""
    kind, layers, _ = layers_of(model)
    _model_dtype(model, layers, x)  # bad input is reported before any weight is touched
    # The probe runs first so that the model's caches and grads end as the judged run
    # left them; it is reported only when that run passes (else it repeats its failures).
    seed = args["seed"]
    with probes.zeroed_units(layers, 0 if seed is None else int(seed)) as zeroed:
        probe = zeroed and probes.keep_arrays(_judge_model(
            model, x, y, loss, forward_twice=False, probe_extremes=False, **args))
    main = _judge_model(model, x, y, loss, forward_twice=forward_twice,
                        probe_extremes=probe_extremes, **args)
    if not zeroed or not main.ok:
        return main
    probe.notes.insert(0, "zeroed " + ", ".join(zeroed))
    return probes.with_probe(main, probe, probes.UNITS_NOTE)


def _judge_model(model, x, y, loss, *, dtype, rtol, atol, grad_rtol, grad_atol, seed,
                 upstream, twin, backward_twice, replay, rerun_float64, forward_twice,
                 probe_extremes) -> Report:
    """One run of check_model (no unit probe): resolve, run both sides, judge, report."""
    kind, layers, prefixes = layers_of(model)
    model_dtype = _model_dtype(model, layers, x)
    validate_params(layers)  # NaN/inf weights: refused, not reported as a layer's overflow
    obj = resolve_objective(kind, model_dtype, y, loss, dtype=dtype, rtol=rtol, atol=atol,
                            grad_rtol=grad_rtol, grad_atol=grad_atol, seed=seed,
                            upstream=upstream)
    loss, upstream, seed = obj.loss, obj.upstream, obj.seed
    validate_targets(kind, loss, y, upstream, model_dtype)  # bad y: raised, not blamed on loss
    plan = plan_for(model, kind, layers, prefixes, obj.ref_dtype, twin)

    if forward_twice:
        _decoy_forward(model, kind, x, seed)
    rec = Recording(layers, prefixes)
    with rec.tapped():
        scratch_error = _run_scratch(model, kind, rec, x, y, loss, upstream, seed,
                                     backward_twice)
    tres = _run_torch(plan, rec, x, y, loss, obj.ref_dtype, scratch_error)
    # read before other runs
    specs = _specs(plan, layers, rec, tres, loss, obj.fwd_tol, obj.grad_tol)
    cross = obj.ref_dtype != model_dtype
    entries = _judge([_floor_only(spec) for spec in specs], cross=cross)
    if any((ENVELOPE_ALWAYS or not e.ok) and isinstance(spec[-1], ScaledTolerance)
           for e, spec in zip(entries, specs, strict=True)):
        # Only now is the rounding envelope worth its extra twin runs: the array's own
        # scale alone (a lower bound of what the policy allows) did not settle it.
        specs = _Envelope(model, kind, layers, prefixes, plan, rec, x, y, loss, scratch_error,
                          obj.narrow, seed).apply(specs)
        entries = _judge(specs, cross=cross)
    entries += _recorded_entries(entries, rec, plan)
    extremes = []
    if scratch_error is not None:
        entries.append(_error_entry(plan, rec, loss, scratch_error))
    elif probe_extremes and loss is not None and all(e.ok for e in entries):
        extremes = probes.loss_probe_entries(loss, rec.outs[-1].shape[-1], model_dtype,
                                             len(layers), obj.plain_fwd, obj.plain_grad)
    title = f"check_model: {_describe_model(model, kind, plan)} + {_loss_desc(kind, loss)}"
    report = Report(title, entries, dtype=model_dtype, seed=obj.shown_seed,
                    actual_name="scratch", expected_name="torch",
                    tolerances={"forward": obj.fwd_tol, "gradient": obj.grad_tol},
                    notes=_model_notes(obj, kind, entries, rec, backward_twice),
                    replay=replay, upstream_given=obj.upstream_given,
                    context=CheckContext(x=x, layers=layers, upstream=rec.top_grad,
                                         first_backward=rec.first))
    if rerun_float64 and not report.ok and model_dtype == np.float32:
        from .diagnose.rerun import attach_float64_rerun
        attach_float64_rerun(report, check_model, model, x, y, loss, seed=seed,
                             upstream=upstream, backward_twice=backward_twice)
    return probes.probe_report(report, extremes, probes.EXTREME_NOTE) if extremes else report


def _recorded_entries(entries: list, rec, plan) -> list[Entry]:
    """Inputs a forward changed (placed after that layer's output) and backward writes."""
    for i, (before, after) in sorted(rec.inputs_changed.items()):
        probes.insert_after_output(entries, probes.input_change_entry(
            i, plan.descs[i], before, after))
    return [probes.backward_write_entry(i, plan.descs[i], *writes[0])
            for i, writes in sorted(rec.backward_writes.items()) if writes]


def _model_notes(obj, kind: str, entries: list, rec, backward_twice: bool) -> list[str]:
    """Second-backward and NaN-buffer notes, and what drove the run (upstream, dtypes)."""
    notes = []
    if backward_twice and rec.first is not None:
        notes.append("scratch's backward ran twice; the second run is judged")
        notes += second_run_notes(entries, rec.first, obj.plain_grad)
    notes += poison_notes(entries)
    if obj.upstream_given:
        how = obj.upstream if isinstance(obj.upstream, str) else "given"
        notes.append(f"no loss: backpropagated a {how} upstream dL/doutput")
    if obj.ref_dtype != obj.model_dtype:
        notes.append(f"reference computed in {obj.ref_dtype}, scratch in {obj.model_dtype}")
    return notes


def assert_model_matches(model, x, y=None, loss=None, **kwargs) -> Report:
    """:func:`check_model`, raising AssertionError (carrying the report) on any mismatch.

    Parameters
    ----------
    model : scratch.Sequential, scratch.Net, or any single scratch layer
    x : np.ndarray, (batch, in_features), the model's dtype
    y : targets, optional
        (batch, out) floats for "bce"/"bce_with_logits"/"mse"; (batch,) integer
        labels for "cross_entropy"; for ``scratch.Net`` its 0/1 label(s).
    loss : scratch loss object or loss name, optional
        As in :func:`check_model`; None without ``y`` backpropagates an upstream.
    **kwargs
        Any other keyword of :func:`check_model` (tolerances, ``dtype``, ``seed``,
        ``upstream``, ``twin``, ...).

    Returns
    -------
    Report
        The passing report.

    Raises
    ------
    AssertionError
        On any mismatch; its message is the full report and ``err.report`` the Report.
    """
    __tracebackhide__ = True
    report = check_model(model, x, y, loss, **kwargs)
    if not report.ok:
        err = AssertionError(str(report))
        err.report = report
        raise err
    return report


# -- inputs ----------------------------------------------------------------------
def _model_dtype(model, layers, x) -> np.dtype:
    if not isinstance(x, np.ndarray):
        raise TypeError(f"check_model: x must be a numpy array, got {type(x).__name__}")
    found = {a.dtype for layer in layers for a in layer.params.values()}
    if len(found) > 1:
        raise DTypeError(f"check_model: {model!r} mixes parameter dtypes {sorted(map(str, found))}")
    dt = found.pop() if found else x.dtype
    if x.dtype != dt:
        raise DTypeError(f"check_model: x has dtype {x.dtype} but the model computes in {dt}; "
                         "convert x explicitly (twinnet never casts silently)")
    if dt not in TOLERANCES:
        raise DTypeError(f"check_model: x must be float32 or float64, got {dt}")
    validate_input(x, "check_model", dtype=dt)  # non-empty, no NaN/inf: bad input, not a bug
    return dt


# -- the two runs ----------------------------------------------------------------
DECOY_ROWS = 8


def _decoy_forward(model, kind, x, seed) -> None:
    """One untapped forward on a decoy input; its errors are left to the judged run.

    The decoy is the first DECOY_ROWS samples of ``x``, reordered: a layer that keeps
    its first input (or anything derived from it) then holds an array of another batch
    size or other values, which the judged backward cannot hide, at a fraction of a full
    forward's cost on a big batch.
    """
    try:
        decoy = probes.decoy_input(x[:DECOY_ROWS], seed)
        model.predict(decoy) if kind == "net" else model.forward(decoy)
    except Exception:  # noqa: S110 (the judged run on x reports whatever is wrong)
        pass


def _run_scratch(model, kind, rec, x, y, loss, upstream, seed, twice):
    """Run scratch's own code; return the exception it raised, if any (rec says where)."""
    try:
        pred = model.predict(x) if kind == "net" else model.forward(x)
        # BLAS may touch the NaN-filled gradient buffers (see Recording.poison) in
        # lanes it then discards, raising a spurious 'invalid value' flag; a NaN that
        # really reaches a result is judged by the comparison, so the flag is noise.
        with np.errstate(invalid="ignore"):
            for run in range(2 if twice else 1):
                if run == 1:
                    rec.keep_first()
                rec.at("loss")
                if kind == "net":
                    if run == 0:
                        rec.poison()
                    rec.loss_value = model.backward(y)  # Net's own loss, then its backward
                    continue
                if run == 0:
                    rec.poison()
                if loss is None:
                    if run == 0:
                        rec.top_grad = upstream_array(upstream, pred.shape, pred.dtype, seed)
                    top = rec.top_grad
                else:
                    if run == 0:
                        rec.loss_value = np.asarray(loss.forward(pred, y), dtype=pred.dtype)
                    top = loss.backward()
                model.backward(top)
    except UpstreamError:  # the caller's upstream does not fit: bad input, raise it
        raise
    except Exception as err:  # the code under test raised: report it, don't crash
        return err
    return None


def _run_torch(plan, rec, x, y, loss, dtype, scratch_error, jitter=None) -> dict:
    """Twin forward (every intermediate kept) and backward, as far as scratch got.

    ``jitter`` (a :class:`compare.envelope.Jitter`) nudges the input, every
    module's output and every gradient between modules (the envelope runs).
    """
    nudge = (lambda t: t) if jitter is None else jitter.tensor
    call = (lambda m, t: m(t)) if jitter is None else jitter.module
    n = len(plan.torch_layers)
    failed_in = None if scratch_error is None else rec.phase
    stop = rec.layer if failed_in == "forward" else n
    x_t = torch_ref.as_tensor_safe(x)
    if x_t.dtype != torch_dtype(dtype):
        x_t = x_t.to(torch_dtype(dtype))  # a wider reference was asked for: convert for torch
    a = x_t.requires_grad_(True)
    res = {"x": x_t, "outs": [], "loss": None, "backward": False}
    a = nudge(a)
    for module in plan.torch_layers[:stop]:
        a = nudge(call(module, a))
        a.retain_grad()
        res["outs"].append(a)
    if failed_in in ("forward", "loss"):
        return res
    if plan.kind == "net":
        res["loss"] = nudge(torch_ref.LectureNet.loss(a, y, reduction="none"))
        res["loss"].sum().backward()
    elif loss is not None:
        target = torch_ref.target_to_torch(loss, y)
        if target.is_floating_point() and target.dtype != a.dtype:
            target = target.to(a.dtype)
        res["loss"] = nudge(_torch_loss(loss)(a, target))
        res["loss"].backward()
    else:
        a.backward(torch_ref.as_tensor_safe(rec.top_grad).to(a.dtype))
    res["backward"] = True
    return res


_LOSS_MODULES: dict = {}


def _torch_loss(loss):
    key = (type(loss), loss.reduction)
    if key not in _LOSS_MODULES:
        _LOSS_MODULES[key] = torch_ref.loss_to_torch(loss)
    return _LOSS_MODULES[key]


# -- entries ---------------------------------------------------------------------
def _np(t):
    return None if t is None else t.detach().numpy()


def _floor_only(spec: tuple) -> tuple:
    """``spec`` with a ScaledTolerance resolved without the rounding envelope."""
    *rest, a, e, tol = spec
    return (*rest, a, e, tol.for_array(e, 0.0) if isinstance(tol, ScaledTolerance) else tol)


class _Envelope:
    """The extra twin runs behind the rounding envelope (see :mod:`compare.envelope`)."""

    def __init__(self, model, kind, layers, prefixes, plan, rec, x, y, loss, scratch_error,
                 narrow, seed) -> None:
        from .envelope import JITTER_EPS, MAGNIFY, Jitter, plan64
        self.layers, self.rec, self.loss = layers, rec, loss
        p64, f64 = plan64(model, kind, layers, prefixes, plan), np.dtype(np.float64)
        # Each run's arrays are read right after it: the next run clears the twin's grads.
        self.reference = None
        if p64 is not plan:  # a float32 twin: its float64 run is the reference
            self.reference = self._expected(p64, _run_torch(p64, rec, x, y, loss, f64,
                                                            scratch_error))
        jitter = Jitter(MAGNIFY * JITTER_EPS * float(np.finfo(narrow).eps), seed)
        with jitter.params(p64, layers):
            self.jittered = self._expected(p64, _run_torch(p64, rec, x, y, loss, f64,
                                                           scratch_error, jitter))

    def _expected(self, plan, tres) -> list:
        specs = _specs(plan, self.layers, self.rec, tres, self.loss, None, None)
        return [e for *_, e, _ in specs]

    def apply(self, specs: list) -> list:
        """``specs`` with each ScaledTolerance turned into the array's own plain Tolerance."""
        from .envelope import MAGNIFY, array_envelopes
        main = [e for *_, e, _ in specs]
        if self.reference is not None:  # float32: the float64 run is the reference of both
            rounding = array_envelopes(self.reference, [self.jittered], [1.0 / MAGNIFY])
            twin = array_envelopes(self.reference, [main])
            refs = self.reference
        else:
            rounding = array_envelopes(main, [self.jittered], [1.0 / MAGNIFY])
            twin, refs = [0.0] * len(main), [None] * len(main)
        return [(*rest, a, e, tol.for_array(e, r, ref, t) if isinstance(tol, ScaledTolerance)
                 else tol)
                for (*rest, a, e, tol), r, ref, t in zip(specs, rounding, refs, twin,
                                                         strict=True)]


def _judge(specs: list, cross: bool) -> list[Entry]:
    """Compare every spec's arrays; one Entry each."""
    diffs = compare_many([(a, e, tol) for *_, a, e, tol in specs], check_dtype=not cross)
    return [Entry(*fields, diff, **extra)
            for (fields, extra, *_), diff in zip(specs, diffs, strict=True)]


def _specs(plan, layers, rec, tres, loss, fwd_tol, grad_tol) -> list:
    """(Entry fields, extra Entry keywords, actual, expected, tolerance) of every comparison."""
    n = len(layers)
    loss_desc = _loss_desc(plan.kind, loss)
    specs = []  # (Entry fields without the diff, actual, expected, tolerance)

    outs_t = tres["outs"]
    for i, t in enumerate(outs_t):
        specs.append((("output", FORWARD, i, plan.descs[i]), {}, rec.outs[i], _np(t), fwd_tol))
    if tres["backward"]:
        if tres["loss"] is not None:
            as_loss = {"is_loss": True}
            specs.append((("loss", LOSS, n, loss_desc), as_loss, rec.loss_value,
                          _np(tres["loss"]), fwd_tol))
            if rec.grad_outs[n - 1] is not None:
                specs.append((("dL/dpred", INPUT_GRAD, n, loss_desc), as_loss,
                              rec.grad_outs[n - 1], _np(outs_t[-1].grad), grad_tol))
        for i in range(n - 1, -1, -1):
            if rec.grad_ins[i] is None:  # scratch raised here (or above) in its backward
                break
            for slot in plan.params:
                if slot.layer != i:
                    continue
                grad_t = slot.tensor.grad
                expected = None if grad_t is None else slot.link.to_scratch_layout(_np(grad_t))
                link = slot.link
                specs.append(((f"dL/d{slot.key}", PARAM_GRAD, i, plan.descs[i]),
                              {"param": link.scratch_name, "reference_param": link.torch_name,
                               "transposed": link.transposed},
                              layers[i].grads[slot.key], expected, grad_tol))
            # Layer i's result as handed on (a snapshot), or as returned at the bottom.
            handed = rec.grad_outs[i - 1] if i > 0 else None
            below = tres["x"] if i == 0 else outs_t[i - 1]
            specs.append((("dL/dinput", INPUT_GRAD, i, plan.descs[i]), {},
                          rec.grad_ins[i] if handed is None else handed, _np(below.grad),
                          grad_tol))
    return specs


def _error_entry(plan, rec, loss, err) -> Entry:
    n = len(plan.descs)
    if rec.phase == "forward":
        return Entry("output", FORWARD, rec.layer, plan.descs[rec.layer],
                     error_diff(err, "forward"))
    if rec.phase == "loss":
        return Entry("loss", LOSS, n, _loss_desc(plan.kind, loss), error_diff(err, "the loss"),
                     is_loss=True)
    return Entry("dL/dinput", INPUT_GRAD, rec.layer, plan.descs[rec.layer],
                 error_diff(err, "backward"))


def _loss_desc(kind, loss) -> str:
    if kind == "net":
        return NET_LOSS_DESC
    return "no loss" if loss is None else repr(loss)


def _describe_model(model, kind, plan) -> str:
    if kind == "net":
        return f"Net({plan.descs[0]}, {plan.descs[1]})"
    return plan.descs[0] if kind == "layer" else f"Sequential({', '.join(plan.descs)})"


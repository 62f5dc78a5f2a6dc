"""``check_layer``: one layer written anywhere against a torch function of (x, params).

The layer is driven exactly as its own code expects (``forward(x)``, then
``backward(grad_out)`` returning dL/dx) under a *random* upstream gradient,
so a bug that a ones-upstream hides (a missing transpose of a square
matrix, an ignored grad_out) still shows. Backward runs twice with the same
upstream array: a layer that accumulates its gradients, or changes the
caller's grad_out or its own cache in place, fails the second time.
"""

from __future__ import annotations

import numpy as np
import torch

from .access import describe_layer, param_access
from .conventions import Driver, adds_once, is_scratch_layer, same_grads
from .diff import compare_arrays, error_diff
from .inputs import reference_params, validate_input
from .layer_expected import own_expected, torch_expected
from .probes import (
    KINK_NOTE,
    decoy_input,
    input_change_entry,
    keep_arrays,
    kink_input,
    with_probe,
)
from .report import FORWARD, INPUT_GRAD, PARAM_GRAD, CheckContext, Entry, Report
from .run_notes import poison_notes, second_run_notes
from .tolerances import tolerance_for
from .upstream import upstream_array


def check_layer(layer, reference=None, x=None, *, params=None, grads=None, seed=None,
                upstream="random", rtol=None, atol=None, grad_rtol=None, grad_atol=None,
                backward_twice: bool = True, forward_twice: bool = True,
                probe_kinks: bool = True, reset=None, accumulate: bool | None = None) -> Report:
    """Check ``layer``'s forward, dL/dx and parameter gradients against ``reference``.

    Parameters
    ----------
    layer : object with ``forward(x)`` and ``backward(grad_out) -> dL/dx``
        A lecture-style layer (``W`` / ``W_grad`` attributes), a layer keeping
        dicts of parameters and gradients, or a scratch layer.
    reference : callable ``(x, *params) -> torch.Tensor``, or None
        The same maths in torch, e.g. ``lambda x, W: torch.sigmoid(x @ W)``.
        Parameters (torch tensors in the layer's own layout) are passed by
        keyword when the signature names them all (``lambda x, W, b: ...``),
        otherwise by position in the layer's order (dict order, or the order
        of ``params``). None: a scratch layer's torch twin, or a registered
        reference (as :func:`compare.check_model` with a random upstream); any
        other layer is judged by torch autograd of its own forward code, else
        by float64 finite differences (the notes say which and why; see
        :mod:`compare.no_reference`).
    x : np.ndarray, (batch, ...) float32 or float64
        The input; it fixes the dtype and the tolerances.
    params, grads : see :func:`compare.access.param_access`
        Where the parameters live, e.g. ``params="weights", grads="grads"``
        or ``params=["W", "b"]``; auto-detected when omitted.
    seed : int, optional
        Seed of the random upstream (None means 0); printed in the report.
    upstream : "random", "ones", or np.ndarray shaped like the output
        dL/d(output) handed to both sides.
    rtol, atol : float, optional
        Forward tolerance (both or neither; default by dtype).
    grad_rtol, grad_atol : float, optional
        Gradient tolerance (both or neither; default by dtype).
    backward_twice : bool
        Run backward a second time with the same upstream and judge that run.
    forward_twice : bool
        Run forward once on a decoy input (``x``'s values reordered) before the
        judged run, so a layer that caches only its first input fails.
    reset : callable or str, optional
        For a layer carrying state between calls (a recurrent cell keeping its
        hidden state): called before every forward (no arguments, or the layer),
        or the name of a layer method to call. Without it, a layer whose output
        changes on a repeated call is reported as stateful.
    accumulate : bool, optional
        The gradient convention. None (default): a layer with ``zero_grad()``,
        ``flush_gradients()`` (numpy-ml) or a similar method is zeroed through
        it before each forward and may accumulate (``+=``, as torch): its first
        backward is judged, and a second must add exactly once; other layers
        must overwrite. True: accumulate, zero-filling the gradient buffers.
        False: overwrite. See :mod:`compare.conventions`.
    probe_kinks : bool
        Check again with about a third of ``x`` set to exactly 0 (the kink of
        ReLU, Step, abs); those entries' layer reads "[x with exact zeros]".
        With an explicit ``upstream`` array the probe keeps that upstream.
        Probe entries are added only when the judged run itself passes.

    Returns
    -------
    Report
        Entries: output, dL/dx, and dL/d(param) for each parameter (and the same
        again for the exact-zeros probe).
    """
    __tracebackhide__ = True
    validate_input(x, "check_layer")  # also np.matrix/np.ma, 0-d, empty, NaN/inf, non-float
    seed = 0 if seed is None else int(seed)
    options = dict(params=params, grads=grads, seed=seed, upstream=upstream, rtol=rtol,
                   atol=atol, grad_rtol=grad_rtol, grad_atol=grad_atol,
                   backward_twice=backward_twice, reset=reset, accumulate=accumulate)
    if probe_kinks:
        return _with_kink_probe(layer, reference, x, forward_twice, options)
    if reference is None and _has_torch_twin(layer):
        from .model_check import check_model
        return check_model(layer, x, upstream=upstream, seed=seed, rtol=rtol, atol=atol,
                           grad_rtol=grad_rtol, grad_atol=grad_atol,
                           backward_twice=backward_twice, forward_twice=forward_twice)
    return _judge_layer(layer, reference, x, forward_twice=forward_twice, **options)


def _with_kink_probe(layer, reference, x, forward_twice: bool, options: dict) -> Report:
    """check_layer on ``x``, plus the exact-zeros probe when a reference judges kinks."""
    if reference is None and not _has_torch_twin(layer):
        report = check_layer(layer, reference, x, forward_twice=forward_twice,
                             probe_kinks=False, **options)
        report.notes.append(NO_REFERENCE_KINKS)
        return report
    # Probe first, so the layer's caches and grads end as the judged run left them;
    # it is reported only when that run passes (else it repeats its failures).
    x0 = kink_input(x, options["seed"])
    probe = None if x0 is None else keep_arrays(check_layer(
        layer, reference, x0, forward_twice=False, probe_kinks=False, **options))
    main = check_layer(layer, reference, x, forward_twice=forward_twice, probe_kinks=False,
                       **options)
    return main if probe is None or not main.ok else with_probe(main, probe, KINK_NOTE)


def _judge_layer(layer, reference, x, *, params, grads, seed, upstream, rtol, atol, grad_rtol,
                 grad_atol, backward_twice, forward_twice, reset, accumulate) -> Report:
    """One run of check_layer against ``reference`` (or the no-reference oracle), no probes."""
    fwd_tol = tolerance_for(x.dtype, FORWARD, rtol, atol)
    access = param_access(layer, params, grads)
    desc = describe_layer(layer)
    driver = Driver(layer, reset, accumulate)

    # the oracle first: its results are final before the layer's code can touch
    # shared memory (x and the parameters are shared, not copied).
    def draw(shape):
        return upstream_array(upstream, shape, x.dtype, seed)

    p_t = reference_params(access.params(), f"check_layer({desc})", x.dtype)  # validates
    if reference is not None:
        exp = torch_expected(reference, x, p_t, draw, desc)
    else:
        exp = own_expected(layer, x, access.params(), draw, driver.before_forward, desc)
    grad_tol = exp.grad_tolerance(x.dtype, grad_rtol, grad_atol)

    report_args = dict(dtype=x.dtype, seed=seed, actual_name="layer",
                       expected_name=exp.name,
                       tolerances={"forward": fwd_tol, "gradient": grad_tol},
                       upstream_given=True,
                       notes=[f"parameters found as {access.how}; upstream dL/doutput: "
                              f"{upstream if isinstance(upstream, str) else 'given'}"
                              + (", backward run twice" if backward_twice else ""),
                              *exp.notes])
    title = f"check_layer: {desc}"
    entries: list[Entry] = []
    run = _Run(layer, driver, access, x, exp.g, desc, fwd_tol)
    if forward_twice:
        driver.before_forward()
        try:
            layer.forward(decoy_input(x, seed))
        except Exception:  # noqa: S110 (the judged forward below reports whatever is wrong)
            pass
    if not run.forward(entries, exp.out):
        return Report(title, entries, **report_args)
    if exp.g is None:
        raise RuntimeError(f"check_layer({desc}): the layer's forward raised on its first "
                           "call on x but not on a later one; give reference=...")
    if not run.backward(entries, exp.dx, backward_twice):
        return Report(title, entries, **report_args)
    judged, first = run.judged(backward_twice, grad_tol)
    entries += _gradient_entries(run, exp, judged, grad_tol, desc)
    report_args["notes"] += _run_notes(run, entries, first if backward_twice else None,
                                       grad_tol)
    return Report(title, entries, **report_args, context=CheckContext(
        x=x, layers=[layer], upstream=exp.g, stateful_forward=run.stateful,
        first_backward=first if backward_twice else None))


def _gradient_entries(run, exp, judged: dict, tol, desc: str) -> list[Entry]:
    """dL/d(param) for each parameter, what a 2nd backward added (accumulating), dL/dinput."""
    entries = []
    for n, grad in judged.items():
        ref = exp.params[n]
        diff = compare_arrays(grad, ref, rtol=tol.rtol, atol=tol.atol,
                              check_dtype=exp.check_dtype)
        if ref is None:
            diff.message = f"the reference did not use parameter {n!r} (torch grad is None)"
        entries.append(Entry(f"dL/d{n}", PARAM_GRAD, 0, desc, diff, param=n))
    for n, added in run.increments.items():
        entries.append(Entry(f"dL/d{n} added by a 2nd backward", PARAM_GRAD, 0, desc,
                             compare_arrays(added, exp.params[n], rtol=tol.rtol,
                                            atol=tol.atol, check_dtype=exp.check_dtype),
                             param=n))
    entries.append(Entry("dL/dinput", INPUT_GRAD, 0, desc,
                         compare_arrays(run.dx, exp.dx, rtol=tol.rtol, atol=tol.atol,
                                        check_dtype=exp.check_dtype)))
    return entries


def _run_notes(run, entries, first: dict | None, tol) -> list[str]:
    """Second-backward, NaN-buffer, gradient-convention and stateful-forward notes."""
    notes = second_run_notes(entries, first, tol) if first is not None else []
    notes += poison_notes(entries) if not run.driver.accumulate else []
    note = run.driver.note(run.adds_once)
    notes += [note] if note else []
    return notes + run.stateful_notes(entries)


class _Run:
    """The judged forward and backward calls of one check_layer run, in the layer's convention."""

    def __init__(self, layer, driver, access, x, g, desc, fwd_tol) -> None:
        self.layer, self.driver, self.access, self.x, self.g = layer, driver, access, x, g
        self.desc, self.fwd_tol = desc, fwd_tol
        self.out = self.dx = None
        self.first, self.second, self.increments = {}, {}, {}
        self.adds_once, self.stateful = None, False

    def forward(self, entries, out_t) -> bool:
        """The judged forward; False when it raised (an ERROR entry is added)."""
        x_before = self.x.copy()
        self.driver.before_forward()
        try:
            # A snapshot: a backward that edits its cached output in place must not
            # make this forward look wrong afterwards.
            self.out = _copy(self.layer.forward(self.x))
        except Exception as err:  # the layer's own bug: report it, don't crash
            entries.append(Entry("output", FORWARD, 0, self.desc,
                                 error_diff(err, "forward", out_t)))
            return False
        if _not_an_array(self.out):
            entries.append(Entry("output", FORWARD, 0, self.desc,
                                 _not_array_diff(self.out, "forward", "the output", out_t)))
            return False
        self.out_entry = Entry("output", FORWARD, 0, self.desc, compare_arrays(
            self.out, out_t, rtol=self.fwd_tol.rtol, atol=self.fwd_tol.atol))
        entries.append(self.out_entry)
        if not np.array_equal(self.x, x_before):
            entries.append(input_change_entry(0, self.desc, x_before, self.x.copy()))
        return True

    def backward(self, entries, expected_dx, backward_twice: bool) -> bool:
        """Backward once or twice with the same upstream; False when it raised."""
        self.driver.zero_fill(self.access.grads())  # see Recording.poison
        try:
            with np.errstate(invalid="ignore"):  # spurious BLAS flags on the NaN: see check_model
                self.dx = self.layer.backward(self.g)
                self.first = {n: _copy(a) for n, a in self.access.grads().items()}
                if backward_twice:
                    self.first["<input 0>"] = _copy(self.dx)
                    self.dx = self.layer.backward(self.g)
        except Exception as err:
            entries.append(Entry("dL/dinput", INPUT_GRAD, 0, self.desc,
                                 error_diff(err, "backward", expected_dx)))
            return False
        self.second = {n: _copy(a) for n, a in self.access.grads().items()}
        if _not_an_array(self.dx):
            entries.append(Entry("dL/dinput", INPUT_GRAD, 0, self.desc,
                                 _not_array_diff(self.dx, "backward", "dL/dx", expected_dx)))
            return False
        return True

    def judged(self, backward_twice: bool, tol) -> tuple[dict, dict]:
        """(the parameter gradients to judge, the first-backward record for the notes)."""
        params = {n: a for n, a in self.first.items() if n != "<input 0>"}
        if not self.driver.accumulate:
            return self.second, self.first
        if not backward_twice:
            return params, self.first
        if not params or same_grads(params, self.second, tol):
            self.driver.accumulate = False  # has zero_grad() but overwrites: fine too
            return self.second, self.first
        # Judge the first backward after zeroing, and what the second one added: a
        # parameter that does not add exactly once fails on its own "added" entry.
        self.adds_once = adds_once(params, self.second, tol)
        self.increments = {n: self.second[n] - a for n, a in params.items()
                           if isinstance(a, np.ndarray) and isinstance(self.second.get(n),
                                                                        np.ndarray)
                           and a.shape == self.second[n].shape}
        return params, {"<input 0>": self.first["<input 0>"]}

    def stateful_notes(self, entries) -> list[str]:
        """When the output failed: call forward on the same x again; a different result is state."""
        entry = getattr(self, "out_entry", None)
        if entry is None or entry.ok or self.driver.reset is not None:
            return []
        self.driver.before_forward()
        try:
            again = _copy(self.layer.forward(self.x))
        except Exception:  # noqa: BLE001 (only a diagnosis: the report already has the failure)
            return []
        if not isinstance(again, np.ndarray) or not isinstance(self.out, np.ndarray) \
                or again.shape != self.out.shape or np.allclose(
                    again, self.out, rtol=self.fwd_tol.rtol, atol=self.fwd_tol.atol,
                    equal_nan=True):
            return []
        self.stateful = True
        msg = ("stateful: forward gave a different output when called again on the same x "
               "(check_layer calls forward more than once: an exact-zeros probe, a decoy "
               "input, then x), so the layer carries state between calls; give reset=... "
               "(a callable, or the name of a layer method) to bring it back to its "
               "initial state before each forward")
        entry.diff.message = msg
        return [msg]


NO_REFERENCE_KINKS = (
    "exact-zeros probe skipped: with no reference, the derivative at a kink is a convention of "
    "the oracle (torch's op for the forward's expression, e.g. np.maximum splits a tie "
    "0.5/0.5; finite differences average both sides), not a rule the layer must follow; give "
    "reference=... to probe kinks too")


def _has_torch_twin(layer) -> bool:
    """A scratch layer, a registered reference, or a user model of such layers: check_model's."""
    from .user_model import user_layers
    return is_scratch_layer(layer) or user_layers(layer) is not None


def _not_an_array(a) -> bool:
    return not isinstance(a, np.ndarray | np.generic | float | int | torch.Tensor)


def _not_array_diff(value, during: str, what: str, expected):
    """An ERROR verdict for a forward/backward that returned something other than an array."""
    size = f" of {len(value)}" if isinstance(value, list | tuple) else ""
    diff = error_diff(TypeError(), during, expected)
    diff.message = (f"{during} returned a {type(value).__name__}{size} where {what} as a "
                    "numpy array belongs (a layer keeping a list of its inputs returns one "
                    "per forward call since its last reset: give reset=... or "
                    "accumulate=True)")
    return diff


def _copy(a):
    return np.array(a, copy=True) if isinstance(a, np.ndarray) else a



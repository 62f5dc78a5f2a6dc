"""What ``check_pair``, ``check_loss_fn`` and ``check_engine`` share: functions judged by argument.

Their user code takes positional arguments rather than a layer object, so
gradients are named after the function's own parameter names (``dL/dx``,
``dL/dw``), the first float argument counting as the input (``INPUT_GRAD``)
and the others as parameters (``PARAM_GRAD``, ``param=<name>``).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np
import torch

import torch_ref

from .diff import compare_arrays, error_diff
from .inputs import validate_input
from .no_reference import EXPECTED_NAME, NoReferenceOracle
from .probes import input_change_entry
from .report import FORWARD, INPUT_GRAD, PARAM_GRAD, CheckContext, Entry, Report
from .run_notes import poison_notes, second_run_notes
from .tolerances import FINITE_DIFFERENCE, GRADIENT, Tolerance, tolerance_for
from .upstream import upstream_array


class UsageTypeError(TypeError):
    """The caller's code has the wrong form (twinnet's message, not the code's own error)."""


class UsageValueError(ValueError):
    """The caller's code returned the wrong number of things (twinnet's message)."""


def _is_float_array(a) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind == "f"


@dataclass
class ArgSpec:
    """The arguments of the checked function and which of them are differentiated.

    Attributes
    ----------
    who : str, the public function reporting ("check_pair")
    fname, desc : str, the checked function's name (desc: for report rows)
    args : tuple, as given
    names : list[str], one per argument: the function's own parameter names
    float_pos : list[int], positions of the floating-point arrays judged
    dtype : np.dtype, the narrowest float dtype among them (fixes the tolerances)
    """

    who: str
    fname: str
    desc: str
    args: tuple
    names: list
    float_pos: list
    dtype: np.dtype

    @classmethod
    def of(cls, who: str, fn, args, first_only: bool = False) -> ArgSpec:
        """Inspect ``fn`` and ``args``; UsageTypeError when nothing can be differentiated."""
        if not callable(fn):
            raise UsageTypeError(f"{who}: expected a function, got {type(fn).__name__}")
        fname = getattr(fn, "__name__", type(fn).__name__)
        names = arg_names(fn, len(args))
        if first_only:
            if not args or not _is_float_array(args[0]):
                got = type(args[0]).__name__ if args else "nothing"
                first = names[0] if args else "x"
                raise UsageTypeError(f"{who}: the first argument of {fname} ({first}) "
                                     f"must be a floating-point numpy array, got {got}")
            pos = [0]
        else:
            pos = [i for i, a in enumerate(args) if _is_float_array(a)]
        if not pos:
            raise UsageTypeError(f"{who}: none of {fname}'s arguments is a floating-point numpy "
                                 "array, so there is nothing to differentiate "
                                 f"(got {[type(a).__name__ for a in args]})")
        for i in pos:  # empty, NaN/inf, float16, np.matrix/np.ma: refused, naming the argument
            validate_input(args[i], who, name=names[i])
        dtype = min((args[i].dtype for i in pos), key=lambda d: d.itemsize)
        return cls(who, fname, fname, tuple(args), names, pos, np.dtype(dtype))

    def call(self, fn):
        """``fn(*args)``."""
        return fn(*self.args)

    def snapshot(self) -> dict:
        """Copies of the float arguments, to see a function that writes into them."""
        return {i: self.args[i].copy() for i in self.float_pos}

    def key(self, k: int) -> str:
        """The first-backward key of float argument ``k`` (compare.diagnose's convention)."""
        return "<input 0>" if k == 0 else self.names[self.float_pos[k]]

    def keyed(self, grads) -> dict:
        """{key: gradient} for the float arguments, in order."""
        return {self.key(k): g for k, g in enumerate(grads)}


def arg_names(fn, n: int) -> list[str]:
    """``fn``'s own names for its first ``n`` positional parameters (``arg<i>`` past them)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = []
    for i in range(n):
        if i < len(params) and params[i].kind in (params[i].POSITIONAL_ONLY,
                                                  params[i].POSITIONAL_OR_KEYWORD):
            names.append(params[i].name)
        else:
            names.append(f"arg{i}")
    return names


@dataclass
class Judge:
    """Tolerances, seed and oracle of one check."""

    seed: int
    fwd: Tolerance
    grad: Tolerance
    expected_name: str
    check_dtype: bool
    g: np.ndarray | None = None
    extra_notes: list = field(default_factory=list)

    @classmethod
    def make(cls, spec: ArgSpec, reference, seed, rtol, atol, grad_rtol, grad_atol,
             oracle: NoReferenceOracle | None = None) -> Judge:
        """Tolerances by ``spec.dtype``; finite differences get the wider FD row.

        ``oracle`` is the no-reference oracle when ``reference`` is None: autograd
        of the own forward is exact, so it is judged like a torch reference.
        """
        seed = 0 if seed is None else int(seed)
        fwd = tolerance_for(spec.dtype, FORWARD, rtol, atol)
        exact = reference is None and oracle is not None and oracle.exact
        notes = list(oracle.notes[1:]) if reference is None and oracle is not None else []
        if reference is not None or exact or grad_rtol is not None or grad_atol is not None:
            grad = tolerance_for(spec.dtype, GRADIENT, grad_rtol, grad_atol)
            name = "torch" if reference is not None else \
                EXPECTED_NAME if exact else "finite differences"
            return cls(seed, fwd, grad, name, reference is not None or exact,
                       extra_notes=notes)
        # float64 differences judge code of any dtype: the code's own rounding (its
        # dtype's gradient row) or the differences' truncation, whichever is larger
        fd, own = tolerance_for(np.float64, FINITE_DIFFERENCE), tolerance_for(spec.dtype,
                                                                               GRADIENT)
        grad = Tolerance(rtol=max(fd.rtol, own.rtol), atol=max(fd.atol, own.atol))
        return cls(seed, fwd, grad, "finite differences", False, extra_notes=notes)


def call_reference(who: str, reference, spec: ArgSpec, upstream, judge: Judge,
                   scalar: bool = False):
    """Run the torch ``reference`` on the arguments; ``(output, [grad per float arg])``.

    Sets ``judge.g`` (the upstream drawn for the reference's output shape).
    """
    rname = getattr(reference, "__name__", type(reference).__name__)
    try:
        inspect.signature(reference).bind(*spec.args)
    except TypeError as err:
        raise UsageTypeError(f"{who}: the reference {rname} cannot take {spec.fname}'s "
                             f"{len(spec.args)} positional arguments ({', '.join(spec.names)}): "
                             f"{err}") from err
    except ValueError:  # no signature to inspect (a builtin): just call it
        pass
    targs = list(spec.args)
    for i in spec.float_pos:
        targs[i] = torch_ref.as_tensor_safe(spec.args[i]).requires_grad_(True)
    try:
        out = reference(*targs)
    except Exception as err:
        raise UsageTypeError(f"{who}: the reference {rname} raised {type(err).__name__}: "
                             f"{err} (called with {', '.join(spec.names)}; float arrays as "
                             "tensors requiring grad)") from err
    if not isinstance(out, torch.Tensor):
        raise UsageTypeError(f"{who}: the reference {rname} must return a torch.Tensor, got "
                             f"{type(out).__name__}")
    if scalar:
        if out.numel() != 1:
            raise UsageValueError(f"{who}: the reference {rname} must return the scalar loss, "
                                  f"got shape {tuple(out.shape)}")
        judge.g = np.asarray(1.0)
        out.backward()
    else:
        judge.g = upstream_array(upstream, tuple(out.shape), spec.dtype, judge.seed)
        out.backward(torch_ref.as_tensor_safe(judge.g).to(out.dtype))
    return out.detach(), [targs[i].grad for i in spec.float_pos]


def run_user(fn, during: str, entries: list, expected, desc: str, kind: str, label: str):
    """``fn()``; when the user's code raises, an ERROR entry is added and None returned.

    twinnet's own usage errors (wrong return form) propagate instead.
    """
    try:
        with np.errstate(all="ignore"):
            return fn()
    except (UsageTypeError, UsageValueError):
        raise
    except Exception as err:  # the code under test raised: that is the finding
        entries.append(Entry(label, kind, 0, desc, error_diff(err, during, expected)))
        return None


def arg_entries(spec: ArgSpec, judge: Judge, grads, expected, is_loss: bool = False) -> list:
    """``dL/d<name>`` for each float argument: the user's gradient against the oracle's."""
    entries = []
    for k, pos in enumerate(spec.float_pos):
        name, grad = spec.names[pos], grads[k]
        if grad is not None and not isinstance(grad, np.ndarray | np.generic | float | int):
            raise UsageTypeError(f"{spec.who}: the gradient returned for {name} is a "
                                 f"{type(grad).__name__}; expected a numpy array shaped like "
                                 f"{name} {spec.args[pos].shape}")
        diff = compare_arrays(grad, expected[k], rtol=judge.grad.rtol, atol=judge.grad.atol,
                              check_dtype=judge.check_dtype)
        if expected[k] is None:
            diff.message = f"the reference did not use argument {name!r} (torch grad is None)"
        elif grad is None:
            diff.message = f"no gradient was returned for argument {name!r} (got None)"
        param = None if k == 0 else name
        entries.append(Entry(f"dL/d{name}", INPUT_GRAD if k == 0 else PARAM_GRAD, 0,
                             spec.desc, diff, param=param, is_loss=is_loss))
    return entries


def input_change_entries(spec: ArgSpec, before: dict) -> list:
    """An ERROR entry for each float argument the function wrote into."""
    entries = []
    for i, old in before.items():
        new = spec.args[i]
        if not np.array_equal(old, new, equal_nan=True):
            e = input_change_entry(0, spec.desc, old, new.copy())
            e.diff.message = f"{spec.fname} changed its argument {spec.names[i]} in place: " \
                f"the caller's array (or a cache holding it) is overwritten"
            entries.append(e)
    return entries


def oracle_note(reference, eps: float, fname: str,
                oracle: NoReferenceOracle | None = None) -> str:
    """The report's note saying which oracle judged it."""
    if reference is not None:
        rname = getattr(reference, "__name__", type(reference).__name__)
        return f"reference: torch function {rname} on the same arguments"
    if oracle is not None:
        return oracle.notes[0]
    return (f"reference: finite differences (central, float64, eps={eps:g}); {fname}'s "
            "output value itself is not judged, only its gradients")


class ArgumentsView:
    """The checked function's float arguments after the first, seen as a layer's parameters.

    compare.diagnose reads a layer's weight from ``report.layers``; this lets it
    find the weight among a function's arguments whatever its name (``w``, ``Wx``).
    """

    def __init__(self, spec: ArgSpec) -> None:
        self.params = {spec.names[i]: spec.args[i] for i in spec.float_pos[1:]}
        self.grads: dict = {}
        self.name = spec.fname

    def describe(self) -> str:
        """The function's name."""
        return self.name


def finish_report(spec: ArgSpec, judge: Judge, entries: list, note: str, *, first=None,
                  actual_name: str | None = None) -> Report:
    """The Report, with what compare.diagnose reads attached (x, upstream, first backward)."""
    notes = [note, *judge.extra_notes]
    if first:
        notes += second_run_notes(entries, first, judge.grad)
    notes += poison_notes(entries)
    report = Report(f"{spec.who}: {spec.desc}", entries, dtype=spec.dtype, seed=judge.seed,
                    actual_name=actual_name or spec.fname, expected_name=judge.expected_name,
                    tolerances={"forward": judge.fwd, "gradient": judge.grad},
                    upstream_given=True, notes=notes, context=CheckContext(
                        x=spec.args[spec.float_pos[0]], layers=[ArgumentsView(spec)],
                        upstream=judge.g, first_backward=first or None,
                        arguments={spec.names[i]: spec.args[i] for i in spec.float_pos}))
    return report

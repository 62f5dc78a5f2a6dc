"""``check_pair`` and ``check_loss_fn``: CS231n-style functions, checked as they are written.

A *pair* is ``forward(*args) -> (out, cache)`` with ``backward(dout, cache)``
returning one gradient per floating-point array argument, in argument order
(``affine_forward(x, w, b)`` / ``affine_backward(dout, cache) -> (dx, dw, db)``).
A *loss function* is ``fn(*args) -> (loss, dx)`` with dx the gradient of the
loss w.r.t. the first argument (``softmax_loss(x, y)``).

Integer and bool arrays (labels, word indices) and non-array arguments
(``conv_param``, ``bn_param``, ints) are constants: passed unchanged to both
sides, never differentiated. The oracle is ``reference`` (the same maths in
torch, taking the same positional arguments) or, without one, torch autograd
of the user's own forward code (:mod:`compare.no_reference`), falling back to
central finite differences in float64 (:mod:`compare.numgrad`).
"""

from __future__ import annotations

import numpy as np

from .arg_check import (
    ArgSpec,
    Judge,
    UsageTypeError,
    UsageValueError,
    arg_entries,
    call_reference,
    finish_report,
    input_change_entries,
    oracle_note,
    run_user,
)
from .diff import compare_arrays
from .no_reference import pair_oracle
from .numgrad import FD_STEP, central_differences
from .report import FORWARD, INPUT_GRAD, LOSS, Entry
from .upstream import upstream_array


def check_pair(forward, backward, *args, reference=None, seed=None, upstream="random",
               rtol=None, atol=None, grad_rtol=None, grad_atol=None,
               backward_twice: bool = True, eps: float = FD_STEP):
    """Check a CS231n-style ``forward``/``backward`` pair on ``args``.

    Parameters
    ----------
    forward : callable ``forward(*args) -> (out, cache)``
        ``out`` an np.ndarray of any shape.
    backward : callable ``backward(dout, cache)``
        Returns one gradient per floating-point array in ``args``, in order
        (a tuple; a single array when there is one), each shaped like its argument.
    *args
        Exactly what ``forward`` takes: float arrays (differentiated), integer
        arrays and anything else (constants).
    reference : callable ``reference(*args) -> torch.Tensor``, optional
        The forward in torch; float arrays arrive as tensors requiring grad, the
        rest as given. None: torch autograd of ``forward``'s own code, run on
        torch's NumPy API, else central finite differences in float64 (the note
        says which, and why; see :mod:`compare.no_reference`). The output itself
        is then not judged.
    seed : int, optional
        Seed of the random upstream dL/dout (None means 0).
    upstream : "random", "ones" or np.ndarray shaped like ``out``
    rtol, atol, grad_rtol, grad_atol : float, optional
        Forward and gradient tolerances (pairs; default by dtype).
    backward_twice : bool
        Call backward twice with the same cache and judge the second call, so a
        backward that changes its cache in place fails.
    eps : float
        Finite-difference step (reference=None only).

    Returns
    -------
    Report
        "output" (with a reference), then ``dL/d<name>`` per float argument,
        named by ``forward``'s own parameter names.
    """
    __tracebackhide__ = True
    spec = ArgSpec.of("check_pair", forward, args)
    oracle = None
    if reference is None:  # before the user's own run: it may change its arguments in place
        oracle = pair_oracle(forward, args, spec.float_pos, _drawer(upstream, seed),
                             lambda r: _split(spec, r, "(out, cache)")[0], eps)
    judge = Judge.make(spec, reference, seed, rtol, atol, grad_rtol, grad_atol, oracle)
    note = oracle_note(reference, eps, spec.fname, oracle)
    out_t = grads_t = None
    if reference is not None:  # torch first: its results are final before user code runs
        out_t, grads_t = call_reference("check_pair", reference, spec, upstream, judge)
    entries, before = [], spec.snapshot()
    result = run_user(lambda: _split(spec, forward(*args), "(out, cache)"), "forward",
                      entries, out_t, spec.desc, FORWARD, "output")
    if result is None:
        return finish_report(spec, judge, entries, note)
    out, cache = result
    if out_t is not None:
        entries.append(Entry("output", FORWARD, 0, spec.desc, compare_arrays(
            np.array(out, copy=True), out_t, rtol=judge.fwd.rtol, atol=judge.fwd.atol)))
    else:
        grads_t = _no_reference_grads(spec, judge, oracle, out, forward, upstream, eps)
    entries += input_change_entries(spec, before)
    g, first = judge.g, {}
    bname = getattr(backward, "__name__", "backward")

    def run_backward():
        grads = _as_grads(spec, backward(g.copy(), cache), bname)
        if backward_twice:
            first.update(spec.keyed([np.array(a, copy=True) for a in grads]))
            grads = _as_grads(spec, backward(g.copy(), cache), bname)
        return grads

    grads = run_user(run_backward, "backward", entries, grads_t[0], spec.desc, INPUT_GRAD,
                     f"dL/d{spec.names[spec.float_pos[0]]}")
    if grads is not None:
        entries += arg_entries(spec, judge, grads, grads_t)
    return finish_report(spec, judge, entries, note,
                         first=first if backward_twice and grads is not None else None,
                         actual_name=bname)


def _no_reference_grads(spec, judge, oracle, out, forward, upstream, eps) -> list:
    """The expected gradients without a reference; sets ``judge.g``.

    ``oracle`` is None only when the forward raised on the oracle's own call but
    not on the judged one: finite differences then, as before the own-forward oracle.
    """
    dtype = _dtype_of(out, spec)
    if oracle is not None:
        judge.g = oracle.upstream
        return [oracle.grads[i] for i in spec.float_pos]
    judge.g = upstream_array(upstream, np.shape(out), dtype, judge.seed)
    return central_differences(lambda *a: _split(spec, forward(*a), "(out, cache)")[0],
                               spec.args, spec.float_pos, judge.g, eps)


def check_loss_fn(fn, *args, reference=None, seed=None, rtol=None, atol=None,
                  grad_rtol=None, grad_atol=None, eps: float = FD_STEP):
    """Check ``fn(*args) -> (loss, dx)``, dx the gradient w.r.t. the first argument.

    Parameters
    ----------
    fn : callable, e.g. CS231n's ``softmax_loss(x, y)`` or ``svm_loss(x, y)``
        ``x`` (N, C) float scores, ``y`` (N,) integer labels.
    *args
        What ``fn`` takes; the first must be a floating-point array.
    reference : callable ``reference(*args) -> scalar torch.Tensor``, optional
        The loss in torch (the first argument arrives as a tensor requiring
        grad). None: torch autograd of ``fn``'s own code, else central finite
        differences in float64, as :func:`check_pair` (the loss value itself is
        then not judged).
    seed : int, optional
        Recorded in the report (no randomness is drawn: the loss is the output).
    rtol, atol, grad_rtol, grad_atol : float, optional
        Loss and gradient tolerances (pairs; default by dtype).
    eps : float
        Finite-difference step (reference=None only).

    Returns
    -------
    Report
        "loss" (with a reference) and ``dL/d<first argument>``.
    """
    __tracebackhide__ = True
    spec = ArgSpec.of("check_loss_fn", fn, args, first_only=True)
    oracle = None
    if reference is None:
        oracle = pair_oracle(fn, args, spec.float_pos, lambda shape, dtype: np.ones(shape, dtype),
                             lambda r: _split(spec, r, "(loss, dx)")[0], eps)
    judge = Judge.make(spec, reference, seed, rtol, atol, grad_rtol, grad_atol, oracle)
    if reference is not None:
        out_t, grads_t = call_reference("check_loss_fn", reference, spec, 1.0, judge,
                                        scalar=True)
    elif oracle is not None:
        out_t, grads_t = None, [oracle.grads[0]]
    else:
        out_t = None
        grads_t = central_differences(lambda *a: _split(spec, fn(*a), "(loss, dx)")[0],
                                      args, spec.float_pos, 1.0, eps)
    entries, before = [], spec.snapshot()
    result = run_user(lambda: _split(spec, fn(*args), "(loss, dx)"), spec.fname, entries,
                      out_t, spec.desc, LOSS, "loss")
    if result is not None:
        loss, dx = result
        if out_t is not None:
            entries.append(Entry("loss", LOSS, 0, spec.desc, compare_arrays(
                np.asarray(loss), out_t, rtol=judge.fwd.rtol, atol=judge.fwd.atol,
                check_dtype=False), is_loss=True))
        entries += input_change_entries(spec, before)
        entries += arg_entries(spec, judge, [dx], grads_t, is_loss=True)
    judge.g = np.asarray(1.0)
    return finish_report(spec, judge, entries, oracle_note(reference, eps, spec.fname, oracle))


def _drawer(upstream, seed):
    """``(shape, dtype) -> dL/dout``: the upstream, drawn once the output's shape is known."""
    seed = 0 if seed is None else int(seed)
    return lambda shape, dtype: upstream_array(upstream, tuple(shape), dtype, seed)


def _split(spec, result, form: str):
    """``(out, cache)`` / ``(loss, dx)`` from what the user's function returned, or TypeError."""
    if not isinstance(result, tuple | list) or len(result) != 2:
        got = f"a {type(result).__name__}" + (f" of length {len(result)}"
                                               if isinstance(result, tuple | list) else "")
        raise UsageTypeError(f"{spec.who}: {spec.fname} must return {form}, got {got}")
    return result


def _dtype_of(out, spec):
    if not isinstance(out, np.ndarray) or out.dtype.kind != "f":
        raise UsageTypeError(f"{spec.who}: {spec.fname}'s out must be a floating-point numpy "
                        f"array, got {type(out).__name__}"
                        + (f" of dtype {out.dtype}" if isinstance(out, np.ndarray) else ""))
    return out.dtype


def _as_grads(spec, result, bname: str) -> list:
    """One gradient per float argument, from backward's return value."""
    n = len(spec.float_pos)
    names = ", ".join(spec.names[i] for i in spec.float_pos)
    if isinstance(result, tuple | list):
        if len(result) == n:
            return list(result)
        raise UsageValueError(f"{spec.who}: {bname or 'backward'} returned {len(result)} "
                         f"gradients; {spec.fname} has {n} floating-point array argument"
                         f"{'s' if n > 1 else ''} ({names}), so it must return "
                         f"{'one per argument, in that order' if n > 1 else 'one array'}")
    if n == 1:
        return [result]
    raise UsageValueError(f"{spec.who}: {bname or 'backward'} returned one "
                     f"{type(result).__name__}; {spec.fname} has {n} floating-point array "
                     f"arguments ({names}), so it must return a tuple of {n} gradients")

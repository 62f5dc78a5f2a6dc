"""``check_engine``: a user's own autograd engine (micrograd-style ``Value``/``Tensor``) vs torch.

The engine is reached through five small callables, so any engine fits
without a wrapper class: build its objects from arrays, compute, read values,
run backward from the output with a given upstream gradient, read an input's
gradient. Engine graphs are single-use, so every run builds fresh objects.
"""

from __future__ import annotations

import numpy as np

from .arg_check import (
    ArgSpec,
    Judge,
    UsageTypeError,
    arg_entries,
    call_reference,
    finish_report,
    oracle_note,
    run_user,
)
from .diff import compare_arrays
from .numgrad import FD_STEP, central_differences
from .report import FORWARD, INPUT_GRAD, Entry
from .upstream import upstream_array


def check_engine(fn, reference, *inputs, to_engine, to_numpy, grad, backward, seed=None,
                 upstream="random", rtol=None, atol=None, grad_rtol=None, grad_atol=None,
                 run_twice: bool = True, eps: float = FD_STEP):
    """Check ``fn`` computed in the user's engine: its value and each input's gradient.

    Parameters
    ----------
    fn : callable ``fn(*objs) -> engine object``
        The computation, written with the engine's operations.
    reference : callable ``reference(*tensors) -> torch.Tensor``, or None
        The same computation in torch (float inputs arrive as tensors requiring
        grad). None: central finite differences in float64 through the engine's
        own forward (``to_engine``/``fn``/``to_numpy`` on float64 copies).
    *inputs : np.ndarray
        Float arrays become engine objects; anything else is passed unchanged.
    to_engine : callable ``to_engine(array) -> engine object``
        Called afresh for every run.
    to_numpy : callable ``to_numpy(obj) -> array``
        The object's value(s), shaped like the reference's output.
    grad : callable ``grad(obj) -> array``
        An input object's gradient after backward, shaped like that input.
    backward : callable ``backward(out_obj, upstream)``
        Runs the engine's backward from the output, ``upstream`` (np.ndarray
        shaped like the output) being dL/d(output).
    seed : int, optional
        Seed of the random upstream (None means 0).
    upstream : "random", "ones" or np.ndarray shaped like the output
    rtol, atol, grad_rtol, grad_atol : float, optional
        Forward and gradient tolerances (pairs; default by the inputs' dtype).
    run_twice : bool
        Run everything twice on fresh objects and judge the second run, so an
        engine that keeps gradients in shared or global state fails.
    eps : float
        Finite-difference step (reference=None only).

    Returns
    -------
    Report
        "output", then ``dL/d<name>`` per float input, named by ``fn``'s parameters.
    """
    __tracebackhide__ = True
    for name, f in (("to_engine", to_engine), ("to_numpy", to_numpy), ("grad", grad),
                    ("backward", backward)):
        if not callable(f):
            raise UsageTypeError(f"check_engine: {name} must be a callable, got "
                                 f"{type(f).__name__}")
    spec = ArgSpec.of("check_engine", fn, inputs)
    judge = Judge.make(spec, reference, seed, rtol, atol, grad_rtol, grad_atol)
    out_t = grads_t = None
    if reference is not None:
        out_t, grads_t = call_reference("check_engine", reference, spec, upstream, judge)

    engine = _Engine(spec, fn, to_engine, to_numpy, grad, backward)
    entries, first = _runs(engine, spec, judge, inputs, upstream, out_t, grads_t, eps,
                           run_twice)
    return finish_report(spec, judge, entries, oracle_note(reference, eps, spec.fname)
                         + ("; every run builds fresh engine objects"
                            + (", run twice, the second judged" if run_twice else "")),
                         first=first or None, actual_name="engine")


def _runs(engine, spec, judge, inputs, upstream, out_t, grads_t, eps: float,
          run_twice: bool) -> tuple[list, dict]:
    """Forward and backward on fresh engine objects, once or twice; the last run is judged.

    Returns the entries and the first run's gradients by name (for the second-run notes).
    """
    entries: list = []
    first: dict = {}
    for run in range(2 if run_twice else 1):
        judged = run == (1 if run_twice else 0)
        errors: list = []
        result = run_user(lambda: engine.forward(inputs), "the engine's forward", errors,
                          out_t, spec.desc, FORWARD, "output")
        if result is None:
            entries += errors
            break
        objs, out_obj, out = result
        if judged and out_t is not None:
            entries.append(Entry("output", FORWARD, 0, spec.desc, compare_arrays(
                out, out_t, rtol=judge.fwd.rtol, atol=judge.fwd.atol, check_dtype=False)))
        if judge.g is None:
            judge.g = upstream_array(upstream, out.shape, spec.dtype, judge.seed)
        if grads_t is None:
            grads_t = central_differences(engine.value, inputs, spec.float_pos, judge.g, eps)
        grads = run_user(lambda o=objs, r=out_obj: engine.backward(o, r, judge.g),
                         "the engine's backward", errors, grads_t[0], spec.desc, INPUT_GRAD,
                         f"dL/d{spec.names[spec.float_pos[0]]}")
        if grads is None:
            entries += errors
            break
        if judged:
            entries += arg_entries(spec, judge, grads, grads_t)
        else:
            first = spec.keyed(grads)
    return entries, first


class _Engine:
    """The user's five callables, driven in order."""

    def __init__(self, spec, fn, to_engine, to_numpy, grad, backward) -> None:
        self.spec, self.fn, self.to_engine, self.to_numpy = spec, fn, to_engine, to_numpy
        self.grad, self.run_backward = grad, backward

    def build(self, arrays) -> list:
        """Fresh engine objects for the float arrays; the rest as given."""
        return [self.to_engine(a.copy()) if k in self.spec.float_pos else a
                for k, a in enumerate(arrays)]

    def forward(self, arrays):
        """(input objects, output object, output values)."""
        objs = self.build(arrays)
        out_obj = self.fn(*objs)
        return objs, out_obj, np.asarray(self.to_numpy(out_obj))

    def value(self, *arrays) -> np.ndarray:
        """The output values only (for finite differences)."""
        return np.asarray(self.to_numpy(self.fn(*self.build(arrays))))

    def backward(self, objs, out_obj, g) -> list:
        """Run the engine's backward; the float inputs' gradients (None where absent)."""
        self.run_backward(out_obj, g.copy())
        grads = []
        for k in self.spec.float_pos:
            value = self.grad(objs[k])
            grads.append(None if value is None else np.asarray(value))
        return grads

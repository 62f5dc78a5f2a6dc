"""How a layer expects to be driven: gradient convention and state between calls.

* **overwrite** (scratch, the lecture): every backward replaces the gradients.
  check_layer NaN-fills the buffers first, so ``+=`` or a gradient never
  written shows.
* **accumulate** (torch, numpy-ml): backward adds into the gradients and the
  owner zeroes them (``zero_grad()``, numpy-ml's ``flush_gradients()``). A layer
  offering such a method is zeroed through it before each forward; the first
  backward's gradients are judged, and a second backward must add them exactly
  once. A layer that adds with no way to zero it is judged as overwrite (its
  gradients grow without bound otherwise), unless ``accumulate=True`` is given;
  so are scratch's layers, whose contract is overwrite.
* **stateful** (a recurrent cell carrying its hidden state): the caller's
  ``reset=`` runs before every forward, so every call starts from the same state.
"""

from __future__ import annotations

import inspect

import numpy as np

GRAD_RESETS = ("zero_grad", "zero_grads", "flush_gradients", "zerograd", "clear_grads",
               "reset_grads")


class Driver:
    """Calls a layer's reset hooks before each forward; says what it did.

    Parameters
    ----------
    layer : the checked layer
    reset : callable, str or None
        The caller's state reset: a callable (no arguments, or the layer as its
        one argument) or the name of a layer method; run before every forward.
    accumulate : bool or None
        None: the accumulate convention when the layer has one of
        :data:`GRAD_RESETS`; True: also without one (gradients zero-filled);
        False: always overwrite.
    """

    def __init__(self, layer, reset=None, accumulate=None) -> None:
        self.layer, self.reset_name = layer, None
        if isinstance(reset, str):
            method = getattr(layer, reset, None)
            if not callable(method):
                raise AttributeError(f"check_layer: reset={reset!r}, but "
                                     f"{type(layer).__name__} has no such method")
            self.reset_name, reset = f".{reset}()", method
        elif reset is not None and not callable(reset):
            raise TypeError(f"check_layer: reset must be a callable or a method name, got "
                            f"{type(reset).__name__}")
        elif reset is not None:
            self.reset_name = getattr(reset, "__name__", "reset")
        self.reset = reset
        self._reset_takes_layer = reset is not None and _required_args(reset) == 1
        name = next((n for n in GRAD_RESETS if callable(getattr(layer, n, None))
                     and _required_args(getattr(layer, n)) == 0), None)
        if accumulate is None and is_scratch_layer(layer):
            name = None  # scratch's contract is overwrite; its zero_grad() is for optimisers
        self.zero_name = name if accumulate is not False else None
        self.accumulate = bool(accumulate) or (accumulate is None and name is not None)

    def before_forward(self) -> None:
        """Run the caller's reset, then zero the gradients (accumulate convention)."""
        if self.reset is not None:
            if self._reset_takes_layer:
                self.reset(self.layer)
            else:
                self.reset()
        if self.zero_name is not None:
            getattr(self.layer, self.zero_name)()

    def zero_fill(self, grads: dict) -> None:
        """Prepare the gradient buffers: NaN (overwrite) or 0 (accumulate without a method)."""
        fill = 0.0 if self.accumulate else np.nan
        if self.accumulate and self.zero_name is not None:
            return  # the layer's own method zeroed them
        for grad in grads.values():
            if isinstance(grad, np.ndarray) and grad.dtype.kind == "f":
                grad.fill(fill)

    def note(self, adds_once: bool | None) -> str | None:
        """The report's line on the convention found (None: plain overwrite)."""
        parts = []
        if self.reset_name:
            parts.append(f"state reset by {self.reset_name} before each forward")
        if self.accumulate:
            how = f".{self.zero_name}()" if self.zero_name else "zero-filling them"
            verdict = {True: "a second backward added them exactly once",
                       False: "a second backward did NOT add them exactly once",
                       None: "second backward not run"}[adds_once]
            parts.append(f"gradient convention: accumulate (+=, as torch and numpy-ml); "
                         f"gradients zeroed by {how} before each forward, the first "
                         f"backward judged; {verdict}")
        elif self.zero_name:
            parts.append(f".{self.zero_name}() called before each forward; gradient "
                         "convention: overwrite (a second backward left any gradients as they "
                         "were)")
        return "; ".join(parts) or None


def _required_args(fn) -> int:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 0
    return sum(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
               for p in params)


def is_scratch_layer(layer) -> bool:
    """Whether ``layer`` is (or derives from) one of scratch's own classes."""
    return any(cls.__module__.split(".")[0] == "scratch" for cls in type(layer).__mro__)


def adds_once(first: dict, second: dict, tol) -> bool:
    """Whether ``second`` is ``2 * first`` for every gradient that is not all zeros."""
    checked = False
    for n, a in first.items():
        b = second.get(n)
        if not isinstance(a, np.ndarray) or not isinstance(b, np.ndarray) \
                or a.shape != b.shape or not np.all(np.isfinite(a)):
            return False
        if not a.any():
            continue
        checked = True
        if not np.allclose(b, 2 * a, rtol=tol.rtol, atol=tol.atol):
            return False
    return checked


def same_grads(first: dict, second: dict, tol) -> bool:
    """Whether a second backward left every gradient as the first did."""
    for n, a in first.items():
        b = second.get(n)
        if not isinstance(a, np.ndarray) or not isinstance(b, np.ndarray) \
                or a.shape != b.shape or not np.allclose(b, a, rtol=tol.rtol, atol=tol.atol,
                                                         equal_nan=True):
            return False
    return True

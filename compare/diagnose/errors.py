"""Hints for entries where the check stopped on an error instead of comparing numbers."""

from __future__ import annotations

from .hint import Hint
from .nonfinite import nonfinite_error_hint


def error_hint(name: str, message: str, layer_input) -> Hint | None:
    """A hint for an ERROR entry's ``message``, or None when no signature fits.

    Recognised: a non-finite value that made scratch raise (see
    :func:`nonfinite_error_hint`), and a forward that wrote into its input
    array (compare's "input unchanged by forward" check).
    """
    if "its backward wrote into" in message:  # compare's "state unchanged by backward" check
        return _backward_write_hint(name, message)
    if "in place" in message and "input" in message:
        msg = (f"{message.strip()}. An in-place write (np.maximum(x, 0, out=x), x *= ..., "
               "np.tanh(x, out=x)) leaves the layer below computing its gradient from the "
               "overwritten values; compute into a new array.")
        return Hint("inplace", name, msg, {"error": message})
    return nonfinite_error_hint(name, message, layer_input)


def _backward_write_hint(name: str, message: str) -> Hint:
    """A backward seen writing into its cache (``stateful``) or its grad_out (``inplace``).

    Confirmed by observation: the array was compared with its snapshot right
    after that layer's backward returned.
    """
    if "dL/doutput it was handed" in message:
        msg = (f"{message.strip()}. The layer above returned that array (and may still use "
               "it); scaling it in place (grad_out *= ..., dx = dout; dx[mask] = 0) hands "
               "corrupted values to whoever holds it. Copy first: dx = dout.copy().")
        return Hint("inplace", name, msg, {"error": message})
    msg = (f"{message.strip()}. This run's numbers can still be right, but a second identical "
           "call to backward (or the neighbouring layer that caches the same array) reads "
           "the changed values: backward must leave its caches as forward left them.")
    return Hint("stateful", name, msg, {"error": message})

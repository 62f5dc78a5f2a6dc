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
    if "in place" in message and "input" in message:
        msg = (f"{message.strip()}. An in-place write (np.maximum(x, 0, out=x), x *= ..., "
               "np.tanh(x, out=x)) leaves the layer below computing its gradient from the "
               "overwritten values; compute into a new array.")
        return Hint("inplace", name, msg, {"error": message})
    return nonfinite_error_hint(name, message, layer_input)

"""The right formula with the weight used in the wrong form, found by re-running the twin.

A layer's dL/dx is a product of dL/dy with its weight (a matrix, or a
convolution kernel). A classic bug uses the weight in the wrong form there:
not transposed, kernel not flipped, channels reshaped where they should be
transposed. Each candidate form ``W'`` is tried by building the layer's torch
twin with ``W'`` in place of ``W`` and backpropagating the same dL/dy from
the same input; the claim needs scratch's dL/dx to match that on every
element.
"""

from __future__ import annotations

import copy

import numpy as np

from .hint import Hint, allclose


def weight_forms(W: np.ndarray) -> list[tuple[str, np.ndarray, str]]:
    """(name, W', meaning) for the usual wrong forms of a 2-D or 4-D weight."""
    forms = []
    if W.ndim == 2:
        n_in, n_out = W.shape
        if n_in == n_out:
            forms.append(("W.T", W.T, "the weight is not transposed"))
        forms.append(("W reshaped", W.reshape(n_out, n_in).T,
                      "the weight is reshaped where it should be transposed"))
    elif W.ndim == 4:
        o, c, kh, kw = W.shape
        forms.append(("kernel not flipped", W[:, :, ::-1, ::-1],
                      "the kernel is not flipped in both spatial axes (cross-correlation "
                      "where the transposed convolution needs the flipped kernel)"))
        forms.append(("kernel flipped in height only", W[:, :, ::-1, :],
                      "the kernel is flipped in one spatial axis only"))
        forms.append(("kernel flipped in width only", W[:, :, :, ::-1],
                      "the kernel is flipped in one spatial axis only"))
        forms.append(("channels reshaped", W.reshape(c, o, kh, kw).transpose(1, 0, 2, 3),
                      "the in/out channel axes are reshaped where they should be transposed"))
        if o == c:
            forms.append(("channels swapped", W.transpose(1, 0, 2, 3),
                          "the in/out channel axes are exchanged"))
    return [(n, np.ascontiguousarray(w), why) for n, w, why in forms
            if w.shape == W.shape and not np.array_equal(w, W)]


def _twin_input_grad(layer, key: str, W_form: np.ndarray, x: np.ndarray,
                     g: np.ndarray) -> np.ndarray:
    import torch

    import torch_ref

    clone = copy.deepcopy(layer)
    clone.params[key] = W_form.astype(layer.params[key].dtype)
    module = torch_ref.to_torch(clone)
    x_t = torch.tensor(x, requires_grad=True)
    module(x_t).backward(torch.tensor(g))
    return x_t.grad.numpy()


def detect_weight_form(layer, a: np.ndarray, x, g, name: str, rtol: float,
                       atol: float) -> Hint | None:
    """``transpose``/``flip``/``reshape`` hint when dL/dx is the twin's with a wrong form of W.

    Parameters
    ----------
    layer : scratch layer with ``params["W"]`` (2-D (in, out) or 4-D (O, C, kH, kW))
    a : np.ndarray
        Scratch's dL/dx, the input's shape.
    x, g : np.ndarray
        The layer's input and the dL/dy handed to it.
    """
    params = getattr(layer, "params", None)
    if not isinstance(params, dict) or x is None or g is None:
        return None
    # Any name: the layer's one 2-D or 4-D parameter is its weight.
    keys = [k for k, v in params.items() if isinstance(v, np.ndarray) and v.ndim in (2, 4)]
    if len(keys) != 1:
        return None
    key = keys[0]
    W = params[key]
    if not isinstance(W, np.ndarray) or W.ndim not in (2, 4) or a.shape != x.shape:
        return None
    for form, W_form, why in weight_forms(W):
        try:
            candidate = _twin_input_grad(layer, key, W_form, x, g)
        except Exception:  # noqa: BLE001  (no twin, odd layer: this detector just abstains)
            return None
        if allclose(a.astype(np.float64), candidate.astype(np.float64), rtol, atol):
            kind = {"W.T": "transpose", "kernel not flipped": "flip",
                    "kernel flipped in height only": "flip",
                    "kernel flipped in width only": "flip"}.get(form, "reshape")
            msg = (f"scratch's dL/dx equals what the correct backward gives with the weight "
                   f"replaced by its form '{form}' (the reference re-run with it, same input "
                   f"and dL/dy), on all {a.size} elements: {why}.")
            return Hint(kind, name, msg, {"weight_form": form})
    return None

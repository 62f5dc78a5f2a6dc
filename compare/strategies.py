"""Hypothesis strategies for testing hand-written layers against torch.

Import them in your own tests::

    from hypothesis import given
    from compare.strategies import layer_shapes, inputs, architectures, model_cases

Everything generated is valid input for scratch and torch alike: arrays are
finite, carry exactly the requested dtype (float64 by default, float32 on
request) and never need a cast. Weights of generated layers come from an
integer seed that Hypothesis draws (and shrinks) itself, so a failing case
replays from Hypothesis's own record (``@seed``, ``@reproduce_failure`` or its
example database) with no hidden global random state.

Inputs deliberately include values *at* the kinks of ReLU and Step (exact
``0.0`` and ``-0.0``) and just beside them (the smallest normal float and
machine epsilon, with both signs), where a hand-written derivative most often
disagrees with torch's convention.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as err:  # an optional extra: say which one instead of a bare ImportError
    raise ImportError(
        "compare.strategies needs Hypothesis, which twinnet installs only with an extra: "
        "pip install 'twinnet[hypothesis]' (or 'twinnet[test]')") from err

import scratch

FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
LOSS_NAMES = ("bce", "bce_with_logits", "mse", "cross_entropy")
DEFAULT_ACTIVATIONS = (scratch.Sigmoid, scratch.Tanh, scratch.ReLU, scratch.Identity)
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class LayerShape:
    """The sizes one dense layer sees.

    Attributes
    ----------
    batch : int
        Rows of the input, ``x.shape[0]``.
    in_features : int
        Columns of the input; ``W`` has shape ``(in_features, out_features)``.
    out_features : int
        Columns of the output, ``y.shape == (batch, out_features)``.
    """

    batch: int
    in_features: int
    out_features: int

    @property
    def x_shape(self) -> tuple[int, int]:
        """``(batch, in_features)``."""
        return (self.batch, self.in_features)

    @property
    def W_shape(self) -> tuple[int, int]:  # noqa: N802  (the lecture's name)
        """``(in_features, out_features)``, the lecture's layout ``y = x @ W``."""
        return (self.in_features, self.out_features)


@dataclass(frozen=True)
class ModelCase:
    """A model with matching data and loss, ready for ``compare.check_model``.

    Attributes
    ----------
    model : scratch.Sequential
        Layers ``Linear, act, Linear, act, ..., Linear[, final activation]``.
    x : np.ndarray, shape (batch, in_features)
        Input, in the model's dtype.
    y : np.ndarray
        Target: shape ``(batch, out_features)`` in the model's dtype for
        ``"bce"``, ``"bce_with_logits"`` (values in [0, 1]) and ``"mse"``;
        shape ``(batch,)`` int64 class labels in ``[0, out_features)`` for
        ``"cross_entropy"``.
    loss : str
        One of ``"bce"``, ``"bce_with_logits"``, ``"mse"``, ``"cross_entropy"``.
    """

    model: Any
    x: np.ndarray
    y: np.ndarray
    loss: str


def _as_float_dtype(dtype) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in FLOAT_DTYPES:
        raise ValueError(f"compare.strategies: dtype must be float32 or float64, got {dt}")
    return dt


def seeds() -> st.SearchStrategy[int]:
    """Integer seeds for ``np.random.default_rng``, in ``[0, 2**32 - 1]``; shrink towards 0."""
    return st.integers(0, MAX_SEED)


def dtypes() -> st.SearchStrategy[np.dtype]:
    """``np.dtype('float64')`` or ``np.dtype('float32')``; shrinks towards float64."""
    return st.sampled_from(FLOAT_DTYPES)


def kink_values(dtype=np.float64) -> tuple[float, ...]:
    """Values at and beside the kink at 0 of ReLU and Step, all exact in ``dtype``.

    Returns ``0.0, -0.0`` and ``+-`` the smallest normal number and machine
    epsilon of ``dtype``.
    """
    info = np.finfo(_as_float_dtype(dtype))
    tiny, eps = float(info.smallest_normal), float(info.eps)
    return (0.0, -0.0, tiny, -tiny, eps, -eps)


def layer_shapes(*, max_batch: int = 5, max_features: int = 6) -> st.SearchStrategy[LayerShape]:
    """Sizes of a dense layer: batch in ``[1, max_batch]``, features in ``[1, max_features]``.

    Returns
    -------
    SearchStrategy[LayerShape]
        Use ``.x_shape`` for the input's shape ``(batch, in_features)`` and
        ``.W_shape`` for the weight's ``(in_features, out_features)``.
    """
    if max_batch < 1 or max_features < 1:
        raise ValueError(f"layer_shapes: max_batch and max_features must be >= 1, "
                         f"got {max_batch}, {max_features}")
    size = st.integers(1, max_features)
    return st.builds(LayerShape, batch=st.integers(1, max_batch),
                     in_features=size, out_features=size)


def inputs(shape, dtype=np.float64, *, bound: float = 4.0,
           kinks: bool = True) -> st.SearchStrategy[np.ndarray]:
    """Finite arrays of exactly ``dtype``, optionally salted with kink values.

    Parameters
    ----------
    shape : tuple of int, or a strategy of them
        E.g. ``(batch, in_features)`` or ``layer_shapes().map(lambda s: s.x_shape)``.
    dtype : float64 or float32
    bound : float
        Ordinary values lie in ``[-bound, bound]``; keep it moderate so
        sigmoid and tanh do not saturate into flat, uninformative gradients.
    kinks : bool
        Also draw :func:`kink_values` (exact zeros, +-tiny, +-eps) as elements.

    Returns
    -------
    SearchStrategy[np.ndarray]
        Arrays of shape ``shape`` and dtype ``dtype``, every element finite.
    """
    dt = _as_float_dtype(dtype)
    if not (np.isfinite(bound) and bound > 0):
        raise ValueError(f"inputs: bound must be a positive finite float, got {bound!r}")
    ordinary = st.floats(-bound, bound, allow_nan=False, allow_infinity=False,
                         allow_subnormal=False, width=8 * dt.itemsize)
    elements = st.one_of(ordinary, st.sampled_from(kink_values(dt))) if kinks else ordinary
    return hnp.arrays(dt, shape, elements=elements)


def _resolve(value, default: st.SearchStrategy) -> st.SearchStrategy:
    """``None`` -> default, an int -> just that int, a strategy -> itself."""
    if value is None:
        return default
    if isinstance(value, st.SearchStrategy):
        return value
    return st.just(int(value))


def architectures(*, in_features=None, out_features=None, max_hidden: int = 2,
                  max_width: int = 5, activations=DEFAULT_ACTIVATIONS,
                  final_activation=None, bias=None,
                  dtype=np.float64) -> st.SearchStrategy[list]:
    """Lists of scratch layers whose widths chain: ``Linear, act, ..., Linear[, final]``.

    Parameters
    ----------
    in_features, out_features : int or strategy of int, optional
        Width of the input and of the last ``Linear``; drawn from
        ``[1, max_width]`` when not given.
    max_hidden : int
        At most this many hidden ``Linear + activation`` blocks (0 gives one ``Linear``).
    max_width : int
        Hidden widths lie in ``[1, max_width]``.
    activations : sequence of layer classes
        Each hidden block's activation is one of these, instantiated with no
        arguments (default Sigmoid, Tanh, ReLU, Identity; add ``scratch.Step`` at will).
    final_activation : layer class, optional
        Appended after the last ``Linear`` (e.g. ``scratch.Sigmoid`` for BCE).
    bias : bool, optional
        Give every ``Linear`` a bias (True), none (False) or draw per layer (None).
    dtype : float64 or float32

    Returns
    -------
    list of scratch layers
        ``layers[0]`` is a ``Linear`` taking ``(batch, in_features)``; the last
        ``Linear`` returns ``(batch, out_features)``. Wrap them in
        ``scratch.Sequential(*layers)``.
    """
    if max_hidden < 0 or max_width < 1 or not activations:
        raise ValueError(f"architectures: need max_hidden >= 0, max_width >= 1 and at least "
                         f"one activation, got {max_hidden}, {max_width}, {activations!r}")
    width = st.integers(1, max_width)
    return _architectures(_resolve(in_features, width), _resolve(out_features, width),
                          st.lists(width, max_size=max_hidden), st.sampled_from(tuple(activations)),
                          final_activation, bias, _as_float_dtype(dtype))


@st.composite
def _architectures(draw, in_width, out_width, hidden_widths, activation, final_activation,
                   bias, dt) -> list:
    widths = [draw(in_width), *draw(hidden_widths), draw(out_width)]
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(widths, widths[1:], strict=False)):
        with_bias = draw(st.booleans()) if bias is None else bool(bias)
        layers.append(scratch.Linear(fan_in, fan_out, bias=with_bias, rng=draw(seeds()), dtype=dt))
        if i < len(widths) - 2:
            layers.append(draw(activation)())
    if final_activation is not None:
        layers.append(final_activation())
    return layers


def targets(loss: str, batch: int, out_features: int,
            dtype=np.float64) -> st.SearchStrategy[np.ndarray]:
    """Valid targets for ``loss`` given predictions of shape ``(batch, out_features)``.

    Returns
    -------
    SearchStrategy[np.ndarray]
        ``"bce"``/``"bce_with_logits"``: shape ``(batch, out_features)``, ``dtype``,
        values in [0, 1] (hard 0/1 labels and soft ones). ``"mse"``: same shape,
        any moderate finite value. ``"cross_entropy"``: shape ``(batch,)`` int64
        labels in ``[0, out_features)``.
    """
    dt = _as_float_dtype(dtype)
    width = 8 * dt.itemsize
    if loss in ("bce", "bce_with_logits"):
        probs = st.one_of(st.sampled_from((0.0, 1.0)), st.floats(0.0, 1.0, width=width))
        return hnp.arrays(dt, (batch, out_features), elements=probs)
    if loss == "mse":
        return inputs((batch, out_features), dt, kinks=False)
    if loss == "cross_entropy":
        return hnp.arrays(np.int64, (batch,), elements=st.integers(0, out_features - 1))
    raise ValueError(f"targets: loss must be one of {LOSS_NAMES}, got {loss!r}")


def model_cases(loss: str = "bce", *, max_batch: int = 4, max_hidden: int = 2,
                max_width: int = 5, activations=DEFAULT_ACTIVATIONS,
                dtype=np.float64) -> st.SearchStrategy[ModelCase]:
    """A :class:`ModelCase`: a scratch ``Sequential``, an input, a target, a loss name.

    For ``"bce"`` the model ends in ``Sigmoid`` (it outputs probabilities);
    for the other losses it ends in ``Linear`` (logits or raw values).
    ``"cross_entropy"`` models have at least 2 outputs (classes).

    Returns
    -------
    SearchStrategy[ModelCase]
        ``case.x`` has shape ``(batch, in_features)``; ``case.y`` as in
        :func:`targets`.
    """
    if loss not in LOSS_NAMES:
        raise ValueError(f"model_cases: loss must be one of {LOSS_NAMES}, got {loss!r}")
    return _model_cases(loss, max_batch, max_hidden, max_width, tuple(activations),
                        _as_float_dtype(dtype))


@st.composite
def _model_cases(draw, loss, max_batch, max_hidden, max_width, activations, dt) -> ModelCase:
    min_out = 2 if loss == "cross_entropy" else 1
    layers = draw(architectures(
        out_features=st.integers(min_out, max(min_out, max_width)), max_hidden=max_hidden,
        max_width=max_width, activations=activations,
        final_activation=scratch.Sigmoid if loss == "bce" else None, dtype=dt))
    linears = [layer for layer in layers if isinstance(layer, scratch.Linear)]
    batch = draw(st.integers(1, max_batch))
    x = draw(inputs((batch, linears[0].in_features), dt))
    y = draw(targets(loss, batch, linears[-1].out_features, dt))
    return ModelCase(scratch.Sequential(*layers), x, y, loss)

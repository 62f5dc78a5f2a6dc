"""The mutant registry: each broken class with what it breaks and where a checker should point.

A mutant is a subclass of a correct scratch layer or loss that overrides one
method with a realistic bug. :func:`mutant` registers it with its metadata;
:data:`MUTANTS` lists them in catalogue order. Each knows how to build

* a **model case** for :func:`compare.check_model`: a small model hosting the
  mutant (a Linear between two Tanh layers, an activation between two Linear
  layers, the lecture's ``Net``, a loss under a small MLP, an RNN, Conv2d or
  MaxPool2d before a Flatten and a Linear), typical data, and the position the
  report should blame;
* a **unit case** for :func:`compare.check_layer` and :func:`compare.gradcheck`:
  the mutant alone with an input of the kind it sees in the model and the same
  maths written in torch (a loss is wrapped by :class:`LossAsLayer`).

The data is ordinary (standard normal inputs, probabilities in [0.05, 0.95]):
a mutant that needs special inputs to show (an exact 0 into ReLU, a saturated
probability, a second forward) is caught only if the checker looks for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

import scratch

# What the report should name: a parameter key of the layer, or one of these entries;
# UPDATE: an optimizer's step (the parameters after it, with the gradients agreeing).
OUTPUT, INPUT_GRAD, LOSS_VALUE, PRED_GRAD = "output", "dL/dinput", "loss", "dL/dpred"
UPDATE = "update"


@dataclass(frozen=True)
class Mutant:
    """One catalogued bug.

    Attributes
    ----------
    id : str
        Short stable name, e.g. ``"linear-db-first-row"``.
    cls : type
        The broken subclass.
    breaks : type
        The correct scratch class it derives from.
    flag : str
        What a checker should flag: a parameter key of the broken layer
        ("W", "b"), "output" (its forward), "dL/dinput", for a loss "loss"
        (its value) or "dL/dpred" (its gradient), for an optimizer "update"
        (the parameters after a step whose gradients agreed).
    host : str
        Which model hosts it (see :data:`HOSTS`).
    reveals : str
        What input or usage makes the bug visible, e.g. "any input",
        "a second forward", "an exact 0 input".
    origin : str
        Where the mistake is seen in the wild.
    """

    id: str
    cls: type
    breaks: type
    flag: str
    host: str
    reveals: str
    origin: str

    @property
    def description(self) -> str:
        return (self.cls.__doc__ or "").strip().splitlines()[0]

    def model_case(self, seed: int = 0, dtype=np.float64) -> ModelCase:
        """The mutant inside its host model, with typical data (see the module docstring)."""
        return HOSTS[self.host].model(self.cls, np.random.default_rng(seed), np.dtype(dtype))

    def unit_case(self, seed: int = 0, dtype=np.float64) -> UnitCase | None:
        """The mutant alone, its input, and the torch reference for check_layer.

        None for an optimizer, which has no layer to check on its own.
        """
        unit = HOSTS[self.host].unit
        return None if unit is None else unit(self.cls, np.random.default_rng(seed),
                                              np.dtype(dtype))

    @property
    def is_optimizer(self) -> bool:
        return self.flag == UPDATE


@dataclass(eq=False)
class ModelCase:
    """Arguments for check_model/gradcheck, and where the report should point.

    ``index`` is the mutant's position in ``layers``; a loss sits at
    ``len(layers)``. ``prefix`` is the mutant's parameter-name prefix in the
    model (``"2."``, ``"l2."``).
    """

    model: object
    x: np.ndarray
    y: object
    loss: object
    index: int
    prefix: str


@dataclass(eq=False)
class UnitCase:
    """Arguments for check_layer(layer, reference, x) and gradcheck(layer, x)."""

    layer: object
    x: np.ndarray
    reference: object
    notes: list = field(default_factory=list)


MUTANTS: list[Mutant] = []


def mutant(id: str, flag: str, host: str, reveals: str = "any input", origin: str = ""):
    """Class decorator: register the decorated broken class in :data:`MUTANTS`."""
    def register(cls: type) -> type:
        if any(m.id == id for m in MUTANTS):
            raise ValueError(f"mutant id {id!r} is registered twice")
        if host not in HOSTS:
            raise ValueError(f"mutant {id!r}: unknown host {host!r}; known: {sorted(HOSTS)}")
        breaks = next(c for c in cls.__mro__[1:] if c.__module__.startswith("scratch."))
        MUTANTS.append(Mutant(id, cls, breaks, flag, host, reveals, origin))
        return cls
    return register


def by_id(id: str) -> Mutant:
    for m in MUTANTS:
        if m.id == id:
            return m
    raise KeyError(f"no mutant {id!r}; known: {[m.id for m in MUTANTS]}")


class LossAsLayer:
    """A loss with a fixed target seen as a layer ``pred -> [L]``, so check_layer can judge it.

    Shapes: forward pred (as the loss takes it) -> (1,); backward (1,) -> like pred.
    """

    def __init__(self, loss, target: np.ndarray) -> None:
        self.loss, self.target = loss, target

    def describe(self) -> str:
        return repr(self.loss)

    def forward(self, pred: np.ndarray) -> np.ndarray:
        return np.array([self.loss.forward(pred, self.target)], dtype=pred.dtype)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out[0] * self.loss.backward()


# -- hosts ---------------------------------------------------------------------------
BATCH = 6


@dataclass(frozen=True)
class Host:
    """How to build the model case and the unit case for a mutant class."""

    model: object  # (cls, rng, dtype) -> ModelCase
    unit: object   # (cls, rng, dtype) -> UnitCase, or None (an optimizer)


def _normal(rng, shape, dt):
    return rng.normal(size=shape).astype(dt)


def _linear_sizes(square, out_is_batch=False):
    return (4, BATCH) if out_is_batch else (4, 4) if square else (4, 3)


def _linear_unit(square, out_is_batch=False):
    def unit(cls, rng, dt):
        n, m = _linear_sizes(square, out_is_batch)
        return UnitCase(cls(n, m, rng=rng, dtype=dt), _normal(rng, (BATCH, n), dt),
                        lambda x, W, b: x @ W + b)
    return unit


def _linear_model(square, out_is_batch=False):
    def model(cls, rng, dt):
        n, m = _linear_sizes(square, out_is_batch)
        net = scratch.Sequential(scratch.Linear(3, n, rng=rng, dtype=dt), scratch.Tanh(),
                                 cls(n, m, rng=rng, dtype=dt), scratch.Tanh(),
                                 scratch.Linear(m, 2, rng=rng, dtype=dt))
        return ModelCase(net, _normal(rng, (BATCH, 3), dt), _normal(rng, (BATCH, 2), dt),
                         scratch.MSELoss(), 2, "2.")
    return model


TORCH_ACTIVATION = {
    scratch.Sigmoid: torch.sigmoid, scratch.Tanh: torch.tanh, scratch.ReLU: torch.relu,
    # Step: a 0/1 output with zero gradient (0 * x keeps the graph connected)
    scratch.Step: lambda x: (x > 0).to(x.dtype) + 0 * x,
}


def _torch_activation(cls):
    return next(fn for base, fn in TORCH_ACTIVATION.items() if issubclass(cls, base))


def _off_kinks(a: np.ndarray, margin: float = 0.1) -> np.ndarray:
    """``a`` pushed at least ``margin`` away from 0, so gradcheck's step (1e-2 in float32)
    never crosses ReLU's or Step's kink: a finite difference across it is no witness.
    (check_layer adds exact zeros itself.)"""
    return np.where(a < 0, a - margin, a + margin).astype(a.dtype)


def _activation_unit(cls, rng, dt):
    return UnitCase(cls(), _off_kinks(_normal(rng, (BATCH, 5), dt)), _torch_activation(cls))


def _activation_model(after=None, first=False):
    """Linear(3, 5) [-> after()] -> mutant -> Linear(5, 2); or mutant -> Linear(5, 2) if first."""
    def model(cls, rng, dt):
        if first:
            layers = [cls(), scratch.Linear(5, 2, rng=rng, dtype=dt)]
            x = _normal(rng, (BATCH, 5), dt)
        else:
            layers = [scratch.Linear(3, 5, rng=rng, dtype=dt)]
            layers += [after()] if after is not None else []
            layers += [cls(), scratch.Linear(5, 2, rng=rng, dtype=dt)]
            x = _normal(rng, (BATCH, 3), dt)
        index = next(i for i, layer in enumerate(layers) if isinstance(layer, cls))
        return ModelCase(scratch.Sequential(*layers), x, _normal(rng, (BATCH, 2), dt),
                         scratch.MSELoss(), index, f"{index}.")
    return model


def _lecture_unit(square):
    def unit(cls, rng, dt):
        n, m = (3, 3) if square else (3, 1)
        return UnitCase(cls(n, m, rng=rng, dtype=dt), _normal(rng, (BATCH, n), dt),
                        lambda x, W: torch.sigmoid(x @ W))
    return unit


def _lecture_model(square):
    def model(cls, rng, dt):
        # The lecture's Net(x_dim, 3) with the mutant as l1 (square: x_dim 3) or l2.
        x_dim = 3 if square else 2
        net = scratch.Net(x_dim, 3, rng=rng, dtype=dt)
        which = "l1" if square else "l2"
        old = getattr(net, which)
        broken = cls(old.in_dim, old.out_dim, rng=rng, dtype=dt)
        broken.name = old.name
        setattr(net, which, broken)
        labels = rng.integers(0, 2, size=BATCH)
        return ModelCase(net, _normal(rng, (BATCH, x_dim), dt), labels, None,
                         0 if square else 1, f"{which}.")
    return model


LOSS_SETUPS = {
    # loss class: (output width, final activation or None, target maker, torch functional)
    scratch.MSELoss: (2, None, lambda rng, s, dt: _normal(rng, s, dt),
                      torch.nn.functional.mse_loss),
    scratch.BCELoss: (1, scratch.Sigmoid, lambda rng, s, dt: rng.integers(0, 2, s).astype(dt),
                      torch.nn.functional.binary_cross_entropy),
    scratch.BCEWithLogitsLoss: (1, None, lambda rng, s, dt: rng.integers(0, 2, s).astype(dt),
                                torch.nn.functional.binary_cross_entropy_with_logits),
    scratch.CrossEntropyLoss: (4, None, lambda rng, s, dt: rng.integers(0, s[1], s[0]),
                               torch.nn.functional.cross_entropy),
}


def _loss_setup(cls):
    return next(v for base, v in LOSS_SETUPS.items() if issubclass(cls, base))


def _loss_model(cls, rng, dt):
    width, act, target, _ = _loss_setup(cls)
    layers = [scratch.Linear(3, 4, rng=rng, dtype=dt), scratch.Tanh(),
              scratch.Linear(4, width, rng=rng, dtype=dt)]
    if act is not None:
        layers.append(act())
    return ModelCase(scratch.Sequential(*layers), _normal(rng, (BATCH, 3), dt),
                     target(rng, (BATCH, width), dt), cls(), len(layers), "")


def _loss_unit(cls, rng, dt):
    width, act, target, fn = _loss_setup(cls)
    if act is scratch.Sigmoid:  # probabilities, as a sigmoid output gives them
        pred = rng.uniform(0.05, 0.95, size=(BATCH, width)).astype(dt)
    else:
        pred = _normal(rng, (BATCH, width), dt)
    y = target(rng, (BATCH, width), dt)
    loss = cls()
    y_t = torch.from_numpy(y)
    return UnitCase(LossAsLayer(loss, y), pred,
                    lambda p: fn(p, y_t, reduction=loss.reduction).reshape(1))


STEPS = 4  # time steps of the RNN host's sequences


def torch_rnn(x, W_ih, W_hh, b_ih, b_hh):
    """The tanh RNN in torch, scratch's layout: h_t = tanh(x_t W_ih + b_ih + h_{t-1} W_hh + b_hh).

    x (batch, time, in) -> (batch, time, hidden), from h_0 = 0.
    """
    h = torch.zeros(x.shape[0], W_hh.shape[0], dtype=x.dtype)
    states = []
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ W_ih + b_ih + h @ W_hh + b_hh)
        states.append(h)
    return torch.stack(states, dim=1)


def _rnn_model(cls, rng, dt):
    net = scratch.Sequential(cls(3, 4, rng=rng, dtype=dt), scratch.Flatten(),
                             scratch.Linear(4 * STEPS, 2, rng=rng, dtype=dt))
    return ModelCase(net, _normal(rng, (BATCH, STEPS, 3), dt), _normal(rng, (BATCH, 2), dt),
                     scratch.MSELoss(), 0, "0.")


def _rnn_unit(cls, rng, dt):
    return UnitCase(cls(3, 4, rng=rng, dtype=dt), _normal(rng, (BATCH, STEPS, 3), dt), torch_rnn)


def _conv_model(cls, rng, dt):
    # 3x3 kernels at stride 1 on 6x6 images: overlapping windows, 4x4 outputs
    net = scratch.Sequential(cls(2, 3, 3, rng=rng, dtype=dt), scratch.ReLU(), scratch.Flatten(),
                             scratch.Linear(3 * 4 * 4, 2, rng=rng, dtype=dt))
    return ModelCase(net, _normal(rng, (BATCH, 2, 6, 6), dt), _normal(rng, (BATCH, 2), dt),
                     scratch.MSELoss(), 0, "0.")


def _conv_unit(cls, rng, dt):
    return UnitCase(cls(2, 3, 3, rng=rng, dtype=dt), _normal(rng, (BATCH, 2, 6, 6), dt),
                    lambda x, W, b: torch.nn.functional.conv2d(x, W, b))


def _pool_model(cls, rng, dt):
    net = scratch.Sequential(scratch.Conv2d(2, 3, 3, rng=rng, dtype=dt), cls(2),
                             scratch.Flatten(), scratch.Linear(3 * 2 * 2, 2, rng=rng, dtype=dt))
    return ModelCase(net, _normal(rng, (BATCH, 2, 6, 6), dt), _normal(rng, (BATCH, 2), dt),
                     scratch.MSELoss(), 1, "1.")


def _pool_unit(cls, rng, dt):
    # distinct values 0.1 apart: no window holds two values closer than gradcheck's step,
    # so no finite difference swaps a window's maximum
    shape = (BATCH, 3, 4, 4)
    x = (rng.permutation(int(np.prod(shape))) - np.prod(shape) / 2) * 0.1
    return UnitCase(cls(2), x.reshape(shape).astype(dt),
                    lambda x: torch.nn.functional.max_pool2d(x, 2))


def _softmax_model(cls, rng, dt):
    net = scratch.Sequential(scratch.Linear(3, 4, rng=rng, dtype=dt), cls(),
                             scratch.Linear(4, 2, rng=rng, dtype=dt))
    return ModelCase(net, _normal(rng, (BATCH, 3), dt), _normal(rng, (BATCH, 2), dt),
                     scratch.MSELoss(), 1, "1.")


def _softmax_unit(cls, rng, dt):
    return UnitCase(cls(), _normal(rng, (BATCH, 4), dt), lambda x: torch.softmax(x, dim=-1))


def _optimizer_model(cls, rng, dt):
    # a correct model: only the optimizer (``cls``, built by the runner) is broken
    net = scratch.Sequential(scratch.Linear(3, 4, rng=rng, dtype=dt), scratch.Tanh(),
                             scratch.Linear(4, 2, rng=rng, dtype=dt))
    return ModelCase(net, _normal(rng, (BATCH, 3), dt), _normal(rng, (BATCH, 2), dt),
                     scratch.MSELoss(), 0, "")


def _deep_sigmoid_model(cls, rng, dt):
    # the mutant at position 2 under nine more Linear + Sigmoid pairs: its gradients are
    # orders of magnitude below the top layers' (about 1e-6 and less)
    layers = [scratch.Linear(3, 6, rng=rng, dtype=dt), scratch.Sigmoid(),
              cls(6, 6, rng=rng, dtype=dt)]
    for _ in range(9):
        layers += [scratch.Sigmoid(), scratch.Linear(6, 6, rng=rng, dtype=dt)]
    layers += [scratch.Sigmoid(), scratch.Linear(6, 2, rng=rng, dtype=dt)]
    return ModelCase(scratch.Sequential(*layers), _normal(rng, (BATCH, 3), dt),
                     _normal(rng, (BATCH, 2), dt), scratch.MSELoss(), 2, "2.")


def _deep_sigmoid_unit(cls, rng, dt):
    return UnitCase(cls(6, 6, rng=rng, dtype=dt), _normal(rng, (BATCH, 6), dt),
                    lambda x, W, b: x @ W + b)


HOSTS: dict[str, Host] = {
    "deep-sigmoid": Host(_deep_sigmoid_model, _deep_sigmoid_unit),
    "linear": Host(_linear_model(False), _linear_unit(False)),
    "linear-square": Host(_linear_model(True), _linear_unit(True)),
    # out == batch: a bias gradient summed over the wrong axis still has the right shape
    "linear-out-is-batch": Host(_linear_model(False, True), _linear_unit(False, True)),
    "activation": Host(_activation_model(), _activation_unit),
    "activation-after-sigmoid": Host(_activation_model(after=scratch.Sigmoid),
                                     _activation_unit),
    "activation-first": Host(_activation_model(first=True), _activation_unit),
    "lecture-l2": Host(_lecture_model(False), _lecture_unit(False)),
    "lecture-l1-square": Host(_lecture_model(True), _lecture_unit(True)),
    "loss": Host(_loss_model, _loss_unit),
    "rnn": Host(_rnn_model, _rnn_unit),
    "conv": Host(_conv_model, _conv_unit),
    "pool": Host(_pool_model, _pool_unit),
    "softmax": Host(_softmax_model, _softmax_unit),
    "optimizer": Host(_optimizer_model, None),
}

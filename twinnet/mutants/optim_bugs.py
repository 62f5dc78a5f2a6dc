"""Broken optimizers: momentum SGD, one bug each, caught by :func:`compare.lockstep`.

Each subclasses ``scratch.SGD`` (torch's update: ``buf = m buf + g``, ``buf = g``
on the first step, ``p -= lr buf``) and overrides ``step``. Parameters and
gradients come from ``model.params`` / ``model.grads``, as in scratch.
"""

from __future__ import annotations

import scratch

from .catalogue import UPDATE, mutant


@mutant("sgd-momentum-as-ema", UPDATE, "optimizer", reveals="momentum > 0",
        origin="momentum written as an exponential moving average, m buf + (1 - m) g "
               "(Adam's first moment), from a zero buffer")
class SGDMomentumAsMovingAverage(scratch.SGD):
    """buf = m buf + (1 - m) g from buf = 0, instead of torch's buf = m buf + g from buf = g."""

    def step(self):
        for key, p in self.model.params.items():
            g = self.model.grads[key]
            buf = self._buf.setdefault(key, 0 * g)
            buf *= self.momentum
            buf += (1 - self.momentum) * g
            p -= self.lr * buf


@mutant("sgd-momentum-buffer-unused", UPDATE, "optimizer",
        reveals="momentum > 0 and a second step",
        origin="the velocity is updated but the step still uses the raw gradient")
class SGDMomentumBufferUnused(scratch.SGD):
    """Keeps the momentum buffer up to date but steps with the plain gradient."""

    def step(self):
        for key, p in self.model.params.items():
            g = self.model.grads[key]
            buf = self._buf.get(key)
            if buf is None:
                self._buf[key] = g.copy()
            else:
                buf *= self.momentum
                buf += g
            p -= self.lr * g


@mutant("sgd-nesterov-unasked", UPDATE, "optimizer", reveals="momentum > 0",
        origin="Nesterov's look-ahead step, g + m buf, where plain momentum was meant")
class SGDNesterovUnasked(scratch.SGD):
    """Steps with g + m buf (Nesterov momentum) instead of buf."""

    def step(self):
        for key, p in self.model.params.items():
            g = self.model.grads[key]
            buf = self._buf.get(key)
            if buf is None:
                buf = self._buf[key] = g.copy()
            else:
                buf *= self.momentum
                buf += g
            p -= self.lr * (g + self.momentum * buf)


@mutant("sgd-buffer-aliases-grad", UPDATE, "optimizer",
        reveals="momentum > 0 and a second step (backward overwrites grads in place)",
        origin="'buf = g' without a copy: the buffer is the gradient array itself")
class SGDBufferAliasesGrad(scratch.SGD):
    """Stores the first gradient array itself as the buffer, so backward rewrites it."""

    def step(self):
        for key, p in self.model.params.items():
            g = self.model.grads[key]
            buf = self._buf.get(key)
            if buf is None:
                buf = self._buf[key] = g
            else:
                buf *= self.momentum
                buf += g
            p -= self.lr * buf

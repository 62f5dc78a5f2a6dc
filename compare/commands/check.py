"""``twinnet check``: the lecture's worked example (placeholder until compare lands)."""

from __future__ import annotations

import numpy as np


def register(sub) -> None:
    p = sub.add_parser("check", help="run the lecture's worked example")
    p.set_defaults(func=run)


def run(args) -> int:
    import scratch

    model = scratch.Net(2, 3, rng=0)
    model.l1.W = np.array([[1.0, -1.0, 3.0], [2.0, 2.0, -1.0]])
    model.l2.W = np.array([[0.1], [0.5], [-0.1]])
    x = np.array([[5.0, 3.0]])
    print(f"y: {model.predict(x)}")
    print(f"loss: {model.backward(label=1)}")
    print(f"W grad: {model.l1.W_grad}")
    print(f"V grad: {model.l2.W_grad}")
    return 0

"""The scratch models of the two tasks; layer classes can be swapped to plant bugs."""

from __future__ import annotations

import numpy as np

import scratch

DIGITS_CHANNELS = 8
IRIS_HIDDEN = 16


def digits_cnn(rng: np.random.Generator, dtype=np.float64, *, conv=scratch.Conv2d,
               pool=scratch.MaxPool2d) -> scratch.Sequential:
    """Conv2d(1, 8, 3, padding=1) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(128, 10).

    Shapes: (N, 1, 8, 8) -> conv, padding 1 keeps 8x8: (N, 8, 8, 8) -> pool 2x2:
    (N, 8, 4, 4) -> flatten: (N, 8*4*4 = 128) -> logits (N, 10). Parameter names
    "0.W" (8, 1, 3, 3), "0.b" (8,), "4.W" (128, 10), "4.b" (10,).

    Parameters
    ----------
    rng : np.random.Generator
        Draws the initial weights (torch's default uniform ranges).
    conv, pool : classes to use for the Conv2d and MaxPool2d layers (same arguments).
    """
    return scratch.Sequential(
        conv(1, DIGITS_CHANNELS, 3, padding=1, rng=rng, dtype=dtype), scratch.ReLU(), pool(2),
        scratch.Flatten(), scratch.Linear(DIGITS_CHANNELS * 4 * 4, 10, rng=rng, dtype=dtype))


def iris_mlp(rng: np.random.Generator, dtype=np.float64, *,
             activation=scratch.Tanh) -> scratch.Sequential:
    """Linear(4, 16) -> Tanh -> Linear(16, 3): (N, 4) features to (N, 3) logits.

    Parameter names "0.W" (4, 16), "0.b" (16,), "2.W" (16, 3), "2.b" (3,).
    """
    return scratch.Sequential(scratch.Linear(4, IRIS_HIDDEN, rng=rng, dtype=dtype), activation(),
                              scratch.Linear(IRIS_HIDDEN, 3, rng=rng, dtype=dtype))

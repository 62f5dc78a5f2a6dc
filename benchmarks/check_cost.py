"""What the scale-aware tolerance and the backward-write checks cost: check_model timings.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/check_cost.py

Times ``compare.check_model`` at default settings (median of repeats) on a
mid-size MLP (batch 256, 3 x Linear(512) + Tanh, MSE) in float64 and float32,
on a small net (batch 8, 4 -> 16 -> 3), and the rate of small random cases
(seeds 0-199 per dtype). Run it once from this checkout and once with
``PYTHONPATH`` pointing at another checkout to compare the two.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

if __name__ == "__main__" and "--here" in sys.argv:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import compare  # noqa: E402
import scratch  # noqa: E402


def _mlp(dtype, batch, widths, rng):
    layers = []
    for a, b in zip(widths, widths[1:], strict=False):
        layers += [scratch.Linear(a, b, rng=rng, dtype=dtype), scratch.Tanh()]
    model = scratch.Sequential(*layers[:-1])
    x = rng.normal(size=(batch, widths[0])).astype(dtype)
    y = rng.normal(size=(batch, widths[-1])).astype(dtype)
    return model, x, y


def _median_time(fn, repeats: int) -> float:
    fn()  # warm-up: twins are built and cached on the first call
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"compare from {Path(compare.__file__).parent}")
    for dtype in (np.float64, np.float32):
        for label, batch, widths, repeats in (("mid MLP 256x512x3", 256, [512] * 4, 15),
                                              ("small net 8x(4,16,3)", 8, [4, 16, 3], 50)):
            model, x, y = _mlp(dtype, batch, widths, rng)
            t = _median_time(lambda m=model, a=x, b=y: compare.check_model(m, a, b, "mse"), repeats)
            print(f"  check_model {label:22s} {np.dtype(dtype).name}: {t * 1e3:8.2f} ms")
        start = time.perf_counter()
        for case in compare.random_cases(200, 0, np.dtype(dtype).name):
            case.check()
        rate = 200 / (time.perf_counter() - start)
        print(f"  random cases (check, backward twice)  {np.dtype(dtype).name}: "
              f"{rate:8.1f} cases/s")


if __name__ == "__main__":
    main()

"""Speed of the own-forward oracle next to float64 central differences (both need no reference).

Both give every gradient of one forward (dL/dx and each parameter, for one
upstream gradient): the oracle by one run of the user's forward on
torch._numpy plus one torch backward, central differences by two runs of the
NumPy forward per input and parameter entry. Two user forwards, written here
in CS231n's style:

- dense: tanh(x @ W + b), x (32, 64), W (64, 128), b (128,) -- 10,368 entries;
- conv: conv_forward_naive (Python loops, np.pad, slice assignment),
  x (2, 3, 8, 8), 4 filters 3x3, stride 1, pad 1 -- 496 entries.

Each contender is timed in ``--repeats`` calls after one warm-up call; the
table gives the median seconds per call and the ratio. It also prints the
largest difference between the two oracles' gradients (central differences
agree to about 1e-8 relative in float64).

Run (the OpenBLAS variables are unset only here, so the BLAS picks its own kernel):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python -m benchmarks.own_forward_speed
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from compare.numgrad import central_differences
from compare.own_forward import own_forward_gradients


def dense_tanh_forward(x, w, b):
    out = np.tanh(x.dot(w) + b)
    return out, (x, w, b, out)


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    out = np.zeros((N, F, H_out, W_out), dtype=x.dtype)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def cases(rng) -> dict:
    """name -> (forward, args, positions, upstream)."""
    dense = (rng.normal(size=(32, 64)), rng.normal(size=(64, 128)) / 8, rng.normal(size=128))
    conv = (rng.normal(size=(2, 3, 8, 8)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4))
    return {
        "dense 64x128, batch 32": (dense_tanh_forward, dense, (0, 1, 2),
                                   rng.normal(size=(32, 128))),
        "conv naive 2x3x8x8, 4 3x3": (conv_forward_naive, conv + ({"stride": 1, "pad": 1},),
                                      (0, 1, 2), rng.normal(size=(2, 4, 8, 8))),
    }


def median_seconds(fn, repeats: int) -> tuple[float, object]:
    """(median seconds per call over ``repeats`` calls after one warm-up, last result)."""
    result = fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for torch (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"numpy {np.__version__}, torch {torch.__version__}, torch threads {args.threads}, "
          f"median of {args.repeats} calls after one warm-up")
    print(f"{'case':28} {'entries':>7} {'own forward s':>13} {'central diff s':>14} "
          f"{'FD/oracle':>9} {'max |diff|':>10}")
    for name, (forward, fargs, positions, upstream) in cases(np.random.default_rng(0)).items():
        entries = sum(fargs[i].size for i in positions)
        t_own, own = median_seconds(
            lambda f=forward, a=fargs, p=positions, u=upstream:
            own_forward_gradients(f, a, p, u), args.repeats)
        t_fd, fd = median_seconds(
            lambda f=forward, a=fargs, p=positions, u=upstream:
            central_differences(lambda *xs, f=f: f(*xs)[0], a, p, u), args.repeats)
        diff = max(float(np.max(np.abs(own.grads[i] - g))) for i, g in zip(positions, fd,
                                                                           strict=True))
        print(f"{name:28} {entries:7d} {t_own:13.4f} {t_fd:14.3f} {t_fd / t_own:9.0f} "
              f"{diff:10.1e}")


if __name__ == "__main__":
    main()

"""Speed of scratch's Conv2d (alone and in a small digits CNN) next to torch on the CPU.

Model: Conv2d(1, 8, 3, padding=1) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(128, 10)
on 8x8 images (the size of scikit-learn's digits). One step is forward plus
backward of a fixed upstream gradient; the table gives the median over
repeats of the time per step and the ratio scratch / torch (< 1: scratch faster).

Two torch columns: "torch" is how one trains (the input needs no gradient, so
torch skips dL/dx of the first conv), "torch+dx" also asks for dL/dx, which
scratch always computes -- the like-for-like figure.

Run (the OpenBLAS variables are unset only here, so the BLAS picks its own kernel):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python -m benchmarks.conv_speed
(from the repository root, so that this checkout's scratch is the one imported)
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch
from threadpoolctl import threadpool_info, threadpool_limits

import scratch


def scratch_model(rng, dtype):
    return scratch.Sequential(
        scratch.Conv2d(1, 8, 3, padding=1, rng=rng, dtype=dtype), scratch.ReLU(),
        scratch.MaxPool2d(2), scratch.Flatten(),
        scratch.Linear(8 * 4 * 4, 10, rng=rng, dtype=dtype))


def torch_model(dtype):
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(8 * 4 * 4, 10)).to(dtype)


def median_step_seconds(steps, repeats: int, number: int) -> list[float]:
    """For each step function, the median over ``repeats`` of its mean time per call.

    The steps take turns within every repeat, so a burst of load from other
    processes on a shared machine hits all of them alike.
    """
    for step in steps:
        step()  # warm-up: allocations, lazy initialisation
    times = [[] for _ in steps]
    for _ in range(repeats):
        for step, record in zip(steps, times, strict=True):
            start = time.perf_counter()
            for _ in range(number):
                step()
            record.append((time.perf_counter() - start) / number)
    return [statistics.median(record) for record in times]


def scratch_step(layer, x, grad):
    def step():
        layer.forward(x)
        layer.backward(grad)
    return step


def torch_step(module, x, grad):
    def step():
        module.zero_grad(set_to_none=True)
        if x.grad is not None:
            x.grad = None
        module(x).backward(grad)
    return step


def bench(batch: int, dtype, repeats: int, number: int) -> list[tuple[str, float, float, float]]:
    """Rows (what, scratch seconds, torch seconds, torch+dx seconds)."""
    rng = np.random.default_rng(batch)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    x = rng.normal(size=(batch, 1, 8, 8)).astype(dtype)
    rows = []
    s_model, t_model = scratch_model(rng, dtype), torch_model(tdtype)
    s_conv, t_conv = s_model[0], t_model[0]
    for what, s_layer, t_layer, out_shape in (
            ("conv", s_conv, t_conv, (batch, 8, 8, 8)),
            ("cnn", s_model, t_model, (batch, 10))):
        grad = rng.normal(size=out_shape).astype(dtype)
        t_x = torch.from_numpy(x)
        t_x_grad = torch.from_numpy(x.copy()).requires_grad_(True)
        t_grad = torch.from_numpy(grad)
        steps = (scratch_step(s_layer, x, grad), torch_step(t_layer, t_x, t_grad),
                 torch_step(t_layer, t_x_grad, t_grad))
        rows.append((what, *median_step_seconds(steps, repeats, number)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--number", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for both numpy's BLAS and torch (default 1)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    with threadpool_limits(limits=args.threads):
        print(f"numpy {np.__version__}, torch {torch.__version__}, threads {args.threads}, "
              f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')!r}, "
              f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE')!r}")
        for info in threadpool_info():
            print(f"  {info.get('internal_api')} {info.get('version')} "
                  f"kernel={info.get('architecture')} threads={info.get('num_threads')} "
                  f"({os.path.basename(info.get('filepath', ''))})")
        print(f"median per forward+backward step, {args.repeats} repeats x {args.number} steps")
        print(f"{'what':5} {'dtype':8} {'batch':>5} {'scratch us':>11} {'torch us':>9} "
              f"{'ratio':>6} {'torch+dx us':>12} {'ratio':>6}")
        for dtype_name in args.dtypes:
            for batch in args.batches:
                for what, s, t, tdx in bench(batch, np.dtype(dtype_name), args.repeats,
                                             args.number):
                    print(f"{what:5} {dtype_name:8} {batch:5d} {s * 1e6:11.1f} {t * 1e6:9.1f} "
                          f"{s / t:6.2f} {tdx * 1e6:12.1f} {s / tdx:6.2f}")


if __name__ == "__main__":
    main()

"""What compare itself costs: check_model time minus scratch's and torch's own steps.

Run it without the OpenBLAS overrides some machines set, so that the BLAS
kernel is the one OpenBLAS picks itself (the kernel in use is printed):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/compare_overhead.py

For each model, three callables are timed in interleaved rounds (round-robin,
so a noisy neighbour slows all three alike), each round a few calls of each:

* ``scratch``: scratch's forward + loss + backward (the lecture net: predict
  + backward(label));
* ``torch``: the prebuilt twin's forward + loss + backward;
* ``check_model``: compare.check_model on the same model and data.

overhead = check_model - (scratch + torch), printed from the medians, from
the minima, and paired round by round (the steadiest figure on a busy
machine). It includes everything compare adds: syncing the cached twin's
weights, tapping layers, keeping intermediate gradients, the comparisons and
the Report.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from threadpoolctl import threadpool_info  # noqa: E402

import compare  # noqa: E402
import compare.cases  # noqa: E402
import compare.lecture_printout  # noqa: E402
import scratch  # noqa: E402
import torch_ref  # noqa: E402


def lecture_setup():
    net = compare.cases.lecture_net()
    x = compare.lecture_printout.example_arrays()[0]
    twin = torch_ref.to_torch(net)
    x_t = torch.from_numpy(x.copy())

    def scratch_step():
        net.predict(x)
        net.backward(1)

    def torch_step():
        twin.zero_grad(set_to_none=True)
        twin.loss(twin(x_t), 1).backward()

    return "lecture net (2-3-1, batch 1)", net, x, 1, None, scratch_step, torch_step


def mlp_setup(batch=256, width=512, depth=3):
    rng = np.random.default_rng(0)
    layers = []
    for _ in range(depth):
        layers += [scratch.Linear(width, width, rng=rng), scratch.Sigmoid()]
    layers += [scratch.Linear(width, 1, rng=rng), scratch.Sigmoid()]
    model = scratch.Sequential(*layers)
    x = rng.standard_normal((batch, width))
    y = (rng.random((batch, 1)) < 0.5).astype(np.float64)
    loss, twin = scratch.BCELoss(), torch_ref.to_torch(model)
    tloss, x_t, y_t = torch_ref.loss_to_torch(loss), torch.from_numpy(x.copy()), torch.tensor(y)

    def scratch_step():
        model.backward(loss.backward() if loss.forward(model.forward(x), y) is not None else None)

    def torch_step():
        twin.zero_grad(set_to_none=True)
        tloss(twin(x_t), y_t).backward()

    return (f"sigmoid MLP ({width}x{depth} hidden, batch {batch})", model, x, y, "bce",
            scratch_step, torch_step)


def time_interleaved(fns: dict, blocks: int, calls: int) -> dict:
    """Seconds per call of each function over ``blocks`` round-robin rounds: (median, min).

    Also ``paired_overhead``: the median over rounds of check_model minus the
    two steps of the same round.
    """
    per_call = {name: [] for name in fns}
    for fn in fns.values():  # warm-up (also builds and caches check_model's twin)
        for _ in range(3):
            fn()
    for _ in range(blocks):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            per_call[name].append((time.perf_counter() - start) / calls)
    stats = {name: (statistics.median(v), min(v)) for name, v in per_call.items()}
    # Paired: each round's check_model minus that same round's two steps, so load
    # that slows a whole round cancels; the median over rounds.
    stats["paired_overhead"] = statistics.median(
        c - s - t for c, s, t in zip(per_call["check_model"], per_call["scratch"],
                                     per_call["torch"], strict=True))
    return stats


def measure(setup, blocks, calls, twice):
    title, model, x, y, loss, scratch_step, torch_step = setup

    def check():
        report = compare.check_model(model, x, y, loss, backward_twice=twice)
        assert report.ok, report

    t = time_interleaved({"scratch": scratch_step, "torch": torch_step, "check_model": check},
                         blocks, calls)
    return title, t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=300, help="interleaved rounds")
    parser.add_argument("--calls", type=int, default=10, help="calls per round (lecture net)")
    parser.add_argument("--mlp", action="store_true", help="also time a 512-wide MLP")
    args = parser.parse_args()

    overrides = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
                 if k in os.environ}
    blas = [f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')}, "
            f"{i.get('num_threads')} threads)" for i in threadpool_info()
            if i.get("user_api") == "blas"]
    print(f"numpy {np.__version__}, torch {torch.__version__} ({torch.get_num_threads()} "
          f"threads); BLAS: {'; '.join(blas) or 'unknown'}")
    print(f"OpenBLAS overrides in effect: {overrides or 'none'}")
    print(f"{args.blocks} interleaved rounds of {args.calls} calls each\n")

    setups = [(lecture_setup(), args.calls)]
    if args.mlp:
        setups.append((mlp_setup(), 1))
    for setup, calls in setups:
        for twice in (False, True):
            title, t = measure(setup, args.blocks, calls, twice)
            print(f"{title}, backward_twice={twice}:")
            for i, stat in enumerate(("median", "min")):
                s_, t_, c_ = (t[k][i] for k in ("scratch", "torch", "check_model"))
                print(f"  {stat:6s}: scratch step {s_ * 1e6:9.1f} us  torch step {t_ * 1e6:9.1f} us"
                      f"  check_model {c_ * 1e6:9.1f} us  ->  compare overhead "
                      f"{(c_ - s_ - t_) * 1e6:7.1f} us, check_model / (scratch + torch) = "
                      f"{c_ / (s_ + t_):.2f}x")
            print(f"  paired: compare overhead {t['paired_overhead'] * 1e6:7.1f} us "
                  "(median over rounds of check_model - scratch - torch in that round)")


if __name__ == "__main__":
    main()

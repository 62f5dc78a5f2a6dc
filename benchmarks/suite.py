"""The benchmark suite: which benchmarks exist, their sizes, and the command line.

``python -m benchmarks`` and ``twinnet bench`` share :func:`add_arguments` and
:func:`run_from_args`. Heavy imports (NumPy, torch) happen only once a run
starts, so building the ``twinnet`` parser stays cheap.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .timing import Result, Settings, max_rss_bytes

DEFAULT_OUT = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Benchmark:
    """A benchmark: ``module.function(settings, **kwargs)``; ``smoke`` kwargs shrink it."""

    name: str
    module: str
    function: str
    kwargs: dict = field(default_factory=dict)
    smoke: dict = field(default_factory=dict)

    def run(self, settings: Settings, smoke: bool = False) -> Result:
        fn = getattr(importlib.import_module(f"benchmarks.{self.module}"), self.function)
        return fn(settings, **{**self.kwargs, **(self.smoke if smoke else {})})


_SMALL_MLP = {"batch": 8, "width": 16}
BENCHMARKS = [
    Benchmark("lecture_net", "lecture_net", "run"),
    Benchmark("lecture_sequential", "lecture_net", "run_sequential"),
    Benchmark("mid_mlp_float64", "mlp", "run_mid", {"dtype": "float64"}, _SMALL_MLP),
    Benchmark("mid_mlp_float32", "mlp", "run_mid", {"dtype": "float32"}, _SMALL_MLP),
    Benchmark("large_mlp_float64", "mlp", "run_large", {"dtype": "float64"}, _SMALL_MLP),
    Benchmark("large_mlp_float32", "mlp", "run_large", {"dtype": "float32"}, _SMALL_MLP),
    Benchmark("digits_cnn", "cnn", "run", {}, {"batch": 8}),
    Benchmark("check_model", "checker", "run_check_model", {}, _SMALL_MLP),
    Benchmark("random_cases", "checker", "run_random_cases", {}, {"n_cases": 3}),
    Benchmark("check_jobs", "checker", "run_jobs", {}, {"n_cases": 4}),
    Benchmark("iris_loop", "iris_loop", "run", {}, {"threshold": 1e-2}),
]
NAMES = [b.name for b in BENCHMARKS]
SMOKE_SETTINGS = Settings(repeats=2, warmup=1, min_block_s=0.0, settle_s=0.0)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"folder for the JSON and PNG results (default: {DEFAULT_OUT})")
    parser.add_argument("--only", default="",
                        help="comma-separated benchmarks to run (default: all): "
                             + ", ".join(NAMES))
    parser.add_argument("--repeats", type=int, default=Settings.repeats,
                        help="timed blocks per contender; medians are over these "
                             f"(default {Settings.repeats})")
    parser.add_argument("--warmup", type=int, default=Settings.warmup,
                        help=f"untimed calls first (default {Settings.warmup})")
    parser.add_argument("--min-block", type=float, default=Settings.min_block_s,
                        help="seconds each timed block lasts at least "
                             f"(default {Settings.min_block_s})")
    parser.add_argument("--settle", type=float, default=Settings.settle_s,
                        help="seconds of rest before each timed block, so the other library's "
                             f"worker threads stop spinning (default {Settings.settle_s})")
    parser.add_argument("--threads", type=int, default=None,
                        help="limit NumPy's BLAS and torch to this many threads "
                             "(default: each library's own choice)")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes and 2 repeats: checks that everything runs; "
                             "its numbers mean nothing")


def argv_from_args(args: argparse.Namespace) -> list[str]:
    """The options of ``args`` as command-line words (to rerun them in a clean process)."""
    argv = ["--out", str(args.out), "--repeats", str(args.repeats), "--warmup",
            str(args.warmup), "--min-block", str(args.min_block), "--settle", str(args.settle)]
    if args.only:
        argv += ["--only", args.only]
    if args.threads is not None:
        argv += ["--threads", str(args.threads)]
    if args.smoke:
        argv.append("--smoke")
    return argv


def selected(only: str) -> list[Benchmark]:
    if not only:
        return list(BENCHMARKS)
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    unknown = [w for w in wanted if w not in NAMES]
    if unknown:
        raise SystemExit(f"twinnet bench: unknown benchmark(s) {unknown}; choose from {NAMES}")
    return [b for b in BENCHMARKS if b.name in wanted]


_LIMIT_IN_FORCE: list[int] = []  # the limits of the thread_limit blocks now open, innermost last


def limit_in_force() -> int | None:
    """The thread count the innermost open ``thread_limit`` block set (None: none is open)."""
    return _LIMIT_IN_FORCE[-1] if _LIMIT_IN_FORCE else None


@contextlib.contextmanager
def thread_limit(threads: int | None):
    """Within the block, NumPy's BLAS and torch use at most ``threads`` threads (None: as is)."""
    if threads is None:
        yield
        return
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    _LIMIT_IN_FORCE.append(threads)
    try:
        with threadpool_limits(limits=threads, user_api="blas"):
            yield
    finally:
        _LIMIT_IN_FORCE.pop()
        torch.set_num_threads(before)


def run_suite(benchmarks: list[Benchmark], settings: Settings, out: Path, smoke: bool = False,
              command: list[str] | None = None, log=print,
              threads: int | None = None) -> list[Result]:
    """Run ``benchmarks`` in order, then write the JSON and PNG into ``out``."""
    with thread_limit(threads):
        return _run_suite(benchmarks, settings, out, smoke, command or [], log)


def _run_suite(benchmarks, settings, out, smoke, command, log) -> list[Result]:
    from . import environment, output

    env = environment.collect()
    log(environment.describe(env))
    results = []
    for bench in benchmarks:
        start = time.perf_counter()
        result = bench.run(settings, smoke=smoke)
        # getrusage's peak covers torch's allocations too, which tracemalloc cannot see;
        # it only grows, so it bounds this benchmark and everything before it.
        result.memory["process_max_rss_bytes_so_far"] = max_rss_bytes()
        results.append(result)
        log(_one_line(result, time.perf_counter() - start))
    env["load_average_end"] = environment.collect()["load_average"]
    out.mkdir(parents=True, exist_ok=True)
    json_path, png_path = out / output.JSON_NAME, out / output.PNG_NAME
    output.write_json(json_path, env, {**asdict(settings), "smoke": smoke}, command, results)
    blas_threads = [lib["num_threads"] for lib in env["blas"] if lib["user_api"] == "blas"]
    output.write_png(png_path, results,
                     f"twinnet bench - {env['cpu']}, {env['cpu_count']} cores; threads: NumPy "
                     f"BLAS {blas_threads}, torch {env['torch']['num_threads']}; load "
                     f"{env['load_average'][0]:.1f}" + (" (smoke: sizes too small to mean anything)"
                                                         if smoke else ""))
    log("")
    log(output.markdown_table(results))
    log(f"\nwrote {json_path} and {png_path}")
    return results


def _one_line(result: Result, seconds: float) -> str:
    if result.status != "ok":
        return f"{result.name}: skipped ({result.reason})"
    from .output import format_seconds

    parts = [f"{k} {format_seconds(v['median_s'])}" for k, v in result.timings.items()]
    met = {True: "met", False: "MISSED", None: "no target"}[result.met]
    return (f"{result.name}: {', '.join(parts)}; {result.metric} = "
            f"{result.metrics[result.metric]:.3f} [{result.target}: {met}] ({seconds:.0f} s)")


def run_from_args(args: argparse.Namespace) -> int:
    settings = SMOKE_SETTINGS if args.smoke else Settings(
        repeats=args.repeats, warmup=args.warmup, min_block_s=args.min_block,
        settle_s=args.settle)
    run_suite(selected(args.only), settings, args.out, smoke=args.smoke,
              command=[sys.executable, "-m", "benchmarks", *argv_from_args(args)],
              threads=args.threads)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time scratch against torch side by side (see docs/benchmarks.md).")
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))

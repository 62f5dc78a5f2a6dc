"""What the benchmarks ran on: BLAS library, kernel (core type) and threads, torch's threads.

``OPENBLAS_CORETYPE`` forces OpenBLAS onto a given kernel and
``OPENBLAS_L2_SIZE`` overrides its cache model; both are read when NumPy is
imported. ``benchmarks/run.sh`` (and ``twinnet bench``) start Python without
them, and the report records which kernel OpenBLAS actually picked.
"""

from __future__ import annotations

import os
import platform
import re

OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def blas_libraries() -> list[dict]:
    """threadpoolctl's view of every BLAS/OpenMP pool loaded in this process."""
    from threadpoolctl import threadpool_info

    keep = ("user_api", "internal_api", "version", "architecture", "num_threads",
            "threading_layer", "prefix")
    return [{k: info.get(k) for k in keep} for info in threadpool_info()]


def torch_info() -> dict:
    import torch

    config = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=(\w+)", config)
    return {
        "version": torch.__version__,
        "num_threads": torch.get_num_threads(),
        "num_interop_threads": torch.get_num_interop_threads(),
        "blas": blas.group(1) if blas else "unknown",
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }


def git_commit() -> dict:
    """The commit of the code measured, and whether the work tree differed from it."""
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                                  timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "HEAD"), "dirty": None if status is None else bool(status)}


def collect() -> dict:
    """Everything needed to read a result file later, as a JSON-ready dict."""
    import numpy as np

    return {
        "git": git_commit(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "openblas_overrides": {k: os.environ.get(k) for k in OPENBLAS_OVERRIDES},
        "thread_env": {k: os.environ.get(k) for k in THREAD_VARS},
        "blas": blas_libraries(),
        "torch": torch_info(),
    }


def describe(env: dict) -> str:
    """A few lines for the terminal: which BLAS kernel ran, with how many threads."""
    git = env.get("git") or {}
    lines = [f"CPU: {env['cpu']} ({env['cpu_count']} logical cores), "
             f"load average {env['load_average']}",
             f"code: commit {git.get('commit') or 'unknown'}"
             + (" with uncommitted changes" if git.get("dirty") else "")]
    for lib in env["blas"]:
        if lib["user_api"] == "blas":
            lines.append(f"NumPy BLAS: {lib['internal_api']} {lib['version']}, "
                         f"kernel (core type) {lib['architecture']}, {lib['num_threads']} threads, "
                         f"{lib['threading_layer']}")
    t = env["torch"]
    lines.append(f"torch {t['version']}: BLAS {t['blas']}, {t['cpu_capability']}, "
                 f"{t['num_threads']} threads")
    overrides = {k: v for k, v in env["openblas_overrides"].items() if v is not None}
    lines.append(f"OpenBLAS overrides in effect: {overrides or 'none'}")
    return "\n".join(lines)

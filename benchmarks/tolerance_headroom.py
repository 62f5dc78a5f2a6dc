"""How much of each tolerance honest rounding uses, over the random cases.

    python benchmarks/tolerance_headroom.py -n 2000

For every random case (scratch checked against torch) and every compared
array, the largest |scratch - torch| / (atol + rtol * |torch|) is taken under
the table's tolerance and under a few tighter candidate pairs; the worst over
all cases is printed per dtype, for forward values and for gradients. A figure
below 1 means no false alarm at that pair; how far below is the headroom. This
is the measurement behind the table in ``compare/tolerances.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from compare import TOLERANCES, random_cases  # noqa: E402

CANDIDATES = {"float64": [(1e-10, 1e-10), (1e-12, 1e-12)],
              "float32": [(1e-6, 1e-6), (1e-7, 1e-7)]}
GROUPS = {"forward": ("forward", "loss"), "gradient": ("param_grad", "input_grad")}


def worst_ratios(n: int, seed: int, dtype: str) -> dict:
    table = TOLERANCES[np.dtype(dtype)]
    worst: dict = {}
    for case in random_cases(n, seed, dtype):
        report = case.check()
        if not report.ok:
            print(f"FALSE ALARM? {case}\n{report}")
        for e in report.entries:
            group = next(g for g, kinds in GROUPS.items() if e.kind in kinds)
            diff = np.abs(e.actual.astype(np.float64) - e.expected.astype(np.float64))
            ref = np.abs(e.expected.astype(np.float64))
            pairs = [(table[group].rtol, table[group].atol), *CANDIDATES[dtype]]
            for rtol, atol in pairs:
                ratio = float(np.max(diff / (atol + rtol * ref), initial=0.0))
                key = (group, rtol, atol)
                if ratio > worst.get(key, (-1.0,))[0]:
                    worst[key] = (ratio, float(diff.max(initial=0.0)), case.seed, e.name)
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--cases", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for dtype in ("float64", "float32"):
        print(f"{dtype}, {args.cases} cases from seed {args.seed}:")
        for (group, rtol, atol), (ratio, diff, seed, name) in sorted(
                worst_ratios(args.cases, args.seed, dtype).items()):
            print(f"  {group:8s} rtol={rtol:<7.2g} atol={atol:<7.2g} worst {ratio:9.3g} of "
                  f"allowed (max |diff| {diff:.2g}; case {seed}: {name})")


if __name__ == "__main__":
    main()

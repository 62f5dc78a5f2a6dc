"""Measure honest rounding against bug sizes: the numbers behind check_model's tolerance policy.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
        .venv/bin/python benchmarks/tolerance_policy.py -n 300

For correct models (the default random profile and the hard profile of
``compare.cases_hard``), every compared array's honest error
``d = max |scratch - torch|`` is set against

* ``scale = max |torch|`` (the array's own size): ``d / scale`` is what a
  per-array floor must allow;
* the measured rounding envelope ``E`` (``compare.envelope``): ``d / E`` is
  what the envelope multiple must allow.

Then the same figures for planted bugs that a tolerance must still catch:
float32 arithmetic inside a float64 layer's dW, and a sign flip of a layer-0
gradient in a 10-layer sigmoid net. Prints the worst and 99.9th percentile of
each ratio per dtype and profile.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import scratch  # noqa: E402
from compare import check_model, random_case, tolerances  # noqa: E402
from compare.cases_hard import hard_case  # noqa: E402

_SEEN: list = []  # the rounding envelope of each array judged by the policy, in order


def _recording_for_array(original):
    def for_array(self, expected, rounding):
        tol = original(self, expected, rounding)
        _SEEN.append(rounding)
        return tol
    return for_array


tolerances.ScaledTolerance.for_array = _recording_for_array(tolerances.ScaledTolerance.for_array)


def _honest_rows(case) -> list:
    """(kind, d/scale, d/E) per compared array of the judged run (probes excluded)."""
    _SEEN.clear()
    report = case.check(probe_kinks=False, probe_extremes=False)
    seen = list(_SEEN)
    rows = []
    for e, rounding in zip(report.entries, seen, strict=False):
        if e.actual is None or e.expected is None or e.expected.size == 0:
            continue
        a, t = e.actual.astype(np.float64), e.expected.astype(np.float64)
        d = float(np.max(np.abs(a - t)))
        scale = float(np.max(np.abs(t)))
        rows.append((e.kind, d / scale if scale else (0.0 if d == 0 else np.inf),
                     d / rounding if rounding else (0.0 if d == 0 else np.inf), case.seed,
                     e.name))
    return rows


def _summary(label, rows) -> None:
    for col, what in ((1, "d / max|torch|"), (2, "d / envelope")):
        vals = np.array([r[col] for r in rows])
        worst = rows[int(np.argmax(vals))]
        print(f"  {label:26s} {what:15s} worst {vals.max():9.3g}  99.9% "
              f"{np.percentile(vals, 99.9):9.3g}  median {np.median(vals):9.3g}  "
              f"(case {worst[3]}: {worst[4][:60]})")


def _bug_rows() -> None:
    """Relative size of the bugs the policy must still catch."""
    rng = np.random.default_rng(0)
    rel = []
    for _ in range(200):
        n, i, o = int(rng.integers(1, 17)), int(rng.integers(1, 65)), int(rng.integers(1, 65))
        x, g = rng.normal(size=(n, i)), rng.normal(size=(n, o))
        exact = x.T @ g
        as32 = (x.astype(np.float32).T @ g.astype(np.float32)).astype(np.float64)
        rel.append(np.max(np.abs(as32 - exact)) / np.max(np.abs(exact)))
    print(f"  float32 dW in a float64 Linear: |bug| / max|dW| median {np.median(rel):.2g}, "
          f"smallest {np.min(rel):.2g} (the float64 floor must sit below this)")
    rng = np.random.default_rng(1)
    layers = []
    for _ in range(10):
        layers += [scratch.Linear(6, 6, rng=rng), scratch.Sigmoid()]
    model = scratch.Sequential(*layers[:-1], scratch.Linear(6, 1, rng=rng), scratch.Sigmoid())
    x = rng.normal(size=(4, 6))
    y = rng.integers(0, 2, size=(4, 1)).astype(np.float64)
    report = check_model(model, x, y, "bce")
    dw0 = report.entry("layer 0 (Linear(6, 6)) dL/dW").expected
    print(f"  10-layer sigmoid net: max|dL/dW| of layer 0 = {np.max(np.abs(dw0)):.2g} "
          f"(a sign flip there is an error of 2x its own scale)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--cases", type=int, default=200)
    args = parser.parse_args()
    for dtype in ("float64", "float32"):
        print(f"{dtype}: honest error per compared array, {args.cases} cases per profile")
        for profile, make in (("default", random_case), ("hard", hard_case)):
            rows = [r for s in range(args.cases) for r in _honest_rows(make(s, dtype))]
            for group, kinds in (("forward", ("forward", "loss")),
                                 ("gradient", ("param_grad", "input_grad"))):
                sel = [r for r in rows if r[0] in kinds]
                _summary(f"{profile} {group} ({len(sel)})", sel)
    print("bugs:")
    _bug_rows()


if __name__ == "__main__":
    main()

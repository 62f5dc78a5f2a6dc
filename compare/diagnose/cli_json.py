"""``twinnet check --json``: the same checks as the table, as one JSON document for scripts and CI.

The document (printed to stdout) holds the lecture example's report, a
summary per dtype, and the full report -- with its hints -- of every failing
case; the exit status is 1 when anything failed, as without ``--json``. Each
summary row carries ``worst``: for "forward" (outputs and loss) and "gradient",
the largest |diff| / allowed of any case (null when nothing was compared), as
the text table's last columns show it.
"""

from __future__ import annotations

import json
import sys
import traceback

from .jsonable import jsonable

# The two columns of the text table: (name in the summary, entry kinds it covers).
WORST_GROUPS = (("forward", ("forward", "loss")), ("gradient", ("param_grad", "input_grad")))


def keep_worst(worst: dict, seed: int, report) -> None:
    """Update ``worst[group]`` with ``report``'s worst entry of each group if it is worse.

    ``worst[group]`` is ``{"ratio", "abs_diff", "allowed", "seed"}``: the largest
    |diff| / allowed over every case so far (what the text table prints), its
    |diff| and allowed at that element, and the seed of the case it came from.
    """
    for group, kinds in WORST_GROUPS:
        e = report.worst(kinds)
        if e is not None and e.ratio >= worst.get(group, {"ratio": -1.0})["ratio"]:
            actual, expected = e.diff.values_at_worst()
            worst[group] = {"ratio": float(e.ratio), "abs_diff": float(abs(actual - expected)),
                            "allowed": float(e.allowed), "seed": seed}


def check_document(args) -> dict:
    """Run the lecture example and ``args.cases`` random cases per dtype; return the document."""
    from compare.cases import lecture_example, random_case

    dtypes = ["float64", "float32"] if args.dtype == "both" else [args.dtype]
    lecture = lecture_example()
    summary, failures = [], []
    for dtype in dtypes:
        passed, worst = 0, {}
        for seed in range(args.seed, args.seed + args.cases):
            description = f"case {seed} ({dtype})"
            try:
                case = random_case(seed, dtype)
                description = str(case)
                report = case.check()
            except Exception:  # a crash is a failure to report, as in the table
                failures.append({"case": description, "seed": seed, "dtype": dtype,
                                 "error": traceback.format_exc()})
                continue
            keep_worst(worst, seed, report)
            if report.ok:
                passed += 1
            else:
                failures.append({"case": description, "seed": seed, "dtype": dtype,
                                 "report": report.to_dict()})
        summary.append({"dtype": dtype, "cases": args.cases, "passed": passed,
                        "failed": args.cases - passed,
                        "worst": {group: worst.get(group) for group, _ in WORST_GROUPS}})
    return {"ok": lecture.ok and not failures, "lecture": lecture.to_dict(),
            "seeds": [args.seed, args.seed + args.cases - 1], "summary": summary,
            "failures": failures}


def run_json(args, stream=None) -> int:
    """Print :func:`check_document` as JSON; exit status 0 when everything passed, else 1."""
    if args.cases < 0:
        print("twinnet check: --cases must be >= 0", file=sys.stderr)
        return 2
    doc = check_document(args)
    json.dump(jsonable(doc), sys.stdout if stream is None else stream, indent=2,
              allow_nan=False)
    print(file=sys.stdout if stream is None else stream)
    return 0 if doc["ok"] else 1


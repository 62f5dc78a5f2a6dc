"""Writing results: a JSON file, a PNG chart and a Markdown table."""

from __future__ import annotations

import json
from pathlib import Path

from .timing import Result

JSON_NAME, PNG_NAME = "twinnet-bench.json", "twinnet-bench.png"


def format_seconds(s: float | None) -> str:
    if s is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def _median(result: Result, label: str) -> float | None:
    timing = result.timings.get(label)
    return timing["median_s"] if timing else None


def table_rows(results: list[Result]) -> list[list[str]]:
    """One row per benchmark: name, scratch median, baseline median, metric, target, met."""
    rows = []
    for r in results:
        if r.status != "ok":
            rows.append([r.title, "-", "-", "-", r.target or "-", f"skipped: {r.reason}"])
            continue
        subject = f"{format_seconds(_median(r, r.subject))} ({r.subject})"
        baseline = (f"{format_seconds(_median(r, r.baseline))} ({r.baseline})"
                    if r.baseline else "-")
        value = r.metrics[r.metric]
        shown = f"{value:.0f} {r.metric}" if r.metric == "cases/s" else f"{value:.3f} {r.metric}"
        met = {True: "yes", False: "NO", None: "-"}[r.met]
        rows.append([r.title, subject, baseline, shown, r.target, met])
    return rows


def markdown_table(results: list[Result]) -> str:
    head = ["Benchmark", "Subject median", "Baseline median", "Ratio / rate", "Target", "Met?"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(results)]
    return "\n".join(lines)


def write_json(path: Path, environment: dict, settings: dict, command: list[str],
               results: list[Result]) -> None:
    payload = {
        "schema": "twinnet-bench/1",
        "command": command,
        "settings": settings,
        "environment": environment,
        "results": [r.to_dict() for r in results],
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")


def _budget_used(r: Result) -> float:
    """Value relative to the target, oriented so that <= 1 means met."""
    value = r.metrics[r.metric]
    return value / r.target_value if r.target_op == "<=" else r.target_value / value


def write_png(path: Path, results: list[Result], title: str):
    """Left: median time of every contender. Right: each target's value / allowed value.

    Built as a bare ``Figure`` (no pyplot, backend and rcParams untouched); returns it.
    """
    from matplotlib.figure import Figure

    ran = [r for r in results if r.status == "ok"]
    fig = Figure(figsize=(13, 1.2 + 0.9 * max(len(ran), 1)))
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    y, labels, ticks = 0.0, [], []
    for r in ran:
        names = list(r.timings)
        for i, name in enumerate(names):
            t = r.timings[name]["median_s"]
            left.barh(y + i * 0.25, t, height=0.22, color=f"C{i}")
            left.text(t, y + i * 0.25, f" {name} {format_seconds(t)}", va="center", fontsize=7)
        ticks.append(y + 0.25 * (len(names) - 1) / 2)
        labels.append(r.title)
        y += 0.25 * len(names) + 0.4
    left.set_yticks(ticks, labels, fontsize=7)
    left.invert_yaxis()
    left.set_xscale("log")
    left.set_xlabel("median time per call (s, log scale)")

    judged = [r for r in ran if r.target_value is not None]
    for i, r in enumerate(judged):
        used = _budget_used(r)
        right.barh(i, used, color="tab:green" if r.met else "tab:red")
        right.text(used, i, f" {r.metrics[r.metric]:.3g} ({r.target})", va="center", fontsize=7)
    right.axvline(1.0, color="k", lw=1)
    right.set_yticks(range(len(judged)), [r.name for r in judged], fontsize=7)
    right.invert_yaxis()
    right.set_xlabel("value / target (<= 1 is met)")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return fig

"""compare: run scratch and its torch twin on the same data and judge every number.

    report = compare.check_model(model, x, y, loss="bce")
    print(report)                    # a table: every output, the loss, every gradient
    report.ok, report.first_divergence

See ``compare.tolerances`` for how close is close enough, and
docs/reading-a-report.md for how to read a report.

The public names below are imported on first use (PEP 562), not when the
package is: the pytest plugin (``twinnet.pytest_plugin``) is loaded by every
pytest run in an environment where twinnet is installed, and must not make
unrelated test suites pay for importing torch.
"""

from __future__ import annotations

import importlib

# public name -> submodule that defines it
_EXPORTS = {
    "Case": "cases", "lecture_example": "cases", "random_case": "cases",
    "random_cases": "cases",
    "STATUSES": "diff", "ArrayDiff": "diff", "compare_arrays": "diff",
    "gradcheck": "gradient_check",
    "check_layer": "layer_check",
    "check_pair": "pairs", "check_loss_fn": "pairs", "check_engine": "engine",
    "LockstepDivergence": "lockstep_run", "LockstepResult": "lockstep_run",
    "assert_lockstep": "lockstep_run", "lockstep": "lockstep_run",
    "assert_model_matches": "model_check", "check_model": "model_check",
    "Divergence": "report", "Entry": "report", "Report": "report",
    "TOLERANCES": "tolerances", "Tolerance": "tolerances", "tolerance_for": "tolerances",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'compare' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

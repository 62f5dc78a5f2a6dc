"""compare: run scratch and its torch twin on the same data and judge every number.

    report = compare.check_model(model, x, y, loss="bce")
    print(report)                    # a table: every output, the loss, every gradient
    report.ok, report.first_divergence

See ``compare.tolerances`` for how close is close enough, and
the README's "Reading a report" for how to read a report.

The public names below are imported on first use (PEP 562), not when the
package is: the pytest plugin (``twinnet.pytest_plugin``) is loaded by every
pytest run in an environment where twinnet is installed, and must not make
unrelated test suites pay for importing torch.
"""

from __future__ import annotations

import importlib
import sys
import types

# public name -> submodule that defines it
_EXPORTS = {
    "Case": "cases", "lecture_example": "cases", "random_case": "cases",
    "random_cases": "cases",
    "STATUSES": "diff", "ArrayDiff": "diff", "compare_arrays": "diff",
    "gradcheck": "gradcheck",
    "check_layer": "layer_check",
    "LockstepDivergence": "lockstep", "LockstepResult": "lockstep",
    "assert_lockstep": "lockstep", "lockstep": "lockstep",
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


class _Package(types.ModuleType):
    """``compare.lockstep`` and ``compare.gradcheck`` name both a function and its module.

    Importing a submodule makes Python set it as an attribute of this package,
    which would hide the function of the same name; this keeps the function,
    as an eager ``from .lockstep import lockstep`` used to.
    """

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

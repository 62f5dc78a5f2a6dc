"""twinnet: prove hand-written NumPy backpropagation right against PyTorch autograd.

This package is the product face. The checking API is :mod:`compare`'s, re-exported
here so that users need one import::

    import twinnet
    report = twinnet.check_layer(layer, reference=lambda x, W: torch.sigmoid(x @ W), x=x)
    print(report)

The applications built on that API live in subpackages: ``twinnet.cli`` (the
``twinnet`` command, also ``python -m twinnet``), ``twinnet.pytest_plugin`` (the
``twinnet`` fixture), ``twinnet.lecture``, ``twinnet.tasks``, ``twinnet.mutants``
(the one bug catalogue) and ``twinnet.gradflow`` (the gradient-flow figure).

Names are resolved on first use (PEP 562): pytest imports this package for the
plugin in every test run of an environment where twinnet is installed, and an
unrelated test suite must not pay for importing torch.
"""

from __future__ import annotations

import importlib

__version__ = "0.2.0"

# The public checking API: every name compare exports, looked up there on first use.
_FROM_COMPARE = (
    "ArrayDiff", "Case", "Divergence", "Entry", "LockstepDivergence", "LockstepResult",
    "Report", "STATUSES", "TOLERANCES", "Tolerance", "assert_lockstep", "assert_model_matches",
    "check_engine", "check_layer", "check_loss_fn", "check_model", "check_pair",
    "compare_arrays", "gradcheck", "lecture_example", "lockstep", "random_case", "random_cases",
    "tolerance_for",
)

__all__ = ["__version__", *_FROM_COMPARE]


def __getattr__(name: str):
    if name not in _FROM_COMPARE:
        raise AttributeError(f"module 'twinnet' has no attribute {name!r}")
    value = getattr(importlib.import_module("compare"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

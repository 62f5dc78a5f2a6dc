"""compare: run scratch and its torch twin on the same data and judge every number.

    report = compare.check_model(model, x, y, loss="bce")
    print(report)                    # a table: every output, the loss, every gradient
    report.ok, report.first_divergence

See ``compare.tolerances`` for how close is close enough, and
``docs/readme/report.md`` for how to read a report.
"""

from .cases import Case, lecture_example, random_case, random_cases
from .diff import STATUSES, ArrayDiff, compare_arrays
from .gradcheck import gradcheck
from .layer_check import check_layer
from .lockstep import LockstepDivergence, LockstepResult, assert_lockstep, lockstep
from .model_check import assert_model_matches, check_model
from .report import Divergence, Entry, Report
from .tolerances import TOLERANCES, Tolerance, tolerance_for

__all__ = [
    "STATUSES", "TOLERANCES", "ArrayDiff", "Case", "Divergence", "Entry", "Report", "Tolerance",
    "assert_model_matches", "check_layer", "check_model", "compare_arrays", "gradcheck",
    "lecture_example", "random_case", "random_cases", "tolerance_for",
    "LockstepDivergence", "LockstepResult", "assert_lockstep", "lockstep",
]

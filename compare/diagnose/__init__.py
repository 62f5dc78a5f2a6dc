"""Diagnose, don't just detect: recognise the classic signatures of backprop bugs.

``diagnose_pair(a, b, ...)`` explains one scratch/reference pair;
``diagnose(report)`` explains a whole ``compare`` report (``report.hints``
calls it). Each hint states the evidence behind it; when nothing fits, the
hint says so (kind ``unexplained``). ``probe_backward`` runs extra backward
passes to expose accumulated or stale gradients; ``rerun_in_float64`` tells
float32 rounding from a bug.
"""

from .diagnosis import confirm_rounding, diagnose, diagnose_entry
from .hint import KINDS, Hint, PairContext
from .pair import diagnose_pair
from .probe import probe_backward
from .rerun import as_float64, attach_float64_rerun, rerun_in_float64
from .zeros import second_pass_hints

__all__ = ["KINDS", "Hint", "PairContext", "as_float64", "attach_float64_rerun",
           "confirm_rounding", "diagnose",
           "diagnose_entry", "diagnose_pair", "probe_backward", "rerun_in_float64",
           "second_pass_hints"]
